-- One queue for all background work (`jobs`): a job is the work of one kind on one subject (a
-- bulk run's preview, execution or owners' notices; an import's run). A worker claims a job by
-- its row lock (SKIP LOCKED) and holds it while it works, so a stopped instance's job is free
-- again as soon as its connection goes; a failed attempt is tried again after `run_after`, and
-- after its last attempt the kind gives up (marks its subject failed) and the job is removed.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    run_after TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (kind, subject_id)
);
CREATE INDEX jobs_due_idx ON jobs (run_after, id);

-- What the per-kind sweeps used to find.
INSERT INTO jobs (kind, subject_id)
    SELECT 'bulk.preview', id FROM bulk_runs WHERE status = 'previewing'
    UNION ALL SELECT 'bulk.execute', id FROM bulk_runs WHERE status = 'queued'
    UNION ALL SELECT 'bulk.notices', id FROM bulk_runs WHERE notify_ids IS NOT NULL
    UNION ALL SELECT 'import.run', id FROM import_jobs WHERE status = 'running';
