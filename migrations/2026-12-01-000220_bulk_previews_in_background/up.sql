-- Previews are computed in the background (issue #15): a whole-base undo preview runs every
-- statement once in a savepoint it rolls back, minutes on a million contacts. "Preview" stores
-- the run as 'previewing'; a worker claims it (FOR NO KEY UPDATE SKIP LOCKED, like an
-- execution), computes it and stores it as 'previewed', with what it would do in `preview`
-- (the counts and the before → after sample), for the run's page to show.
ALTER TABLE bulk_runs DROP CONSTRAINT bulk_runs_status_check;
ALTER TABLE bulk_runs
    ADD CONSTRAINT bulk_runs_status_check
        CHECK (status IN ('previewing', 'previewed', 'queued', 'done', 'changed', 'failed')),
    ADD COLUMN preview JSONB;
CREATE INDEX bulk_runs_previewing ON bulk_runs (id) WHERE status = 'previewing';
-- "Your bulk runs": what was executed (it has a queued_at) and, apart, recent previews.
DROP INDEX bulk_runs_user_executed;
CREATE INDEX bulk_runs_user_executed ON bulk_runs (user_id, id DESC) WHERE queued_at IS NOT NULL;
CREATE INDEX bulk_runs_user_previews ON bulk_runs (user_id, id DESC) WHERE queued_at IS NULL;
