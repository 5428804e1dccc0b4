-- Bulk runs execute in the background (issue #15). "Execute" queues a previewed run; a worker
-- on any instance claims it (FOR NO KEY UPDATE SKIP LOCKED on this row, held by the one
-- transaction that applies it all) and ends it done, changed (the editable set moved since
-- the preview: nothing applied) or failed (nothing applied).
ALTER TABLE bulk_runs
    ADD COLUMN status TEXT NOT NULL DEFAULT 'previewed'
        CHECK (status IN ('previewed', 'queued', 'done', 'changed', 'failed')),
    ADD COLUMN queued_at TIMESTAMPTZ,
    ADD COLUMN finished_at TIMESTAMPTZ,
    ADD COLUMN report JSONB,
    ADD COLUMN error TEXT,
    -- The address "Execute" came from, for the audit entry the run writes when it ends.
    ADD COLUMN ip TEXT;
UPDATE bulk_runs SET status = 'done', finished_at = executed_at WHERE executed_at IS NOT NULL;
CREATE INDEX bulk_runs_queued ON bulk_runs (id) WHERE status = 'queued';

-- What a run is doing, written by the worker on a second connection (autocommit) so its page
-- sees it while the run's transaction is open. backend_pid/backend_start name the PostgreSQL
-- session of that transaction: a run whose session is gone was interrupted (nothing of it
-- applied) and is waiting to be taken over.
CREATE TABLE bulk_run_progress (
    run_id BIGINT PRIMARY KEY REFERENCES bulk_runs (id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    processed BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    waiting_for BIGINT,
    backend_pid INT NOT NULL,
    backend_start TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
