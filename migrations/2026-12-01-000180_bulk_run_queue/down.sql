DROP TABLE bulk_run_progress;
DROP INDEX bulk_runs_queued;
ALTER TABLE bulk_runs DROP COLUMN status, DROP COLUMN queued_at, DROP COLUMN finished_at,
    DROP COLUMN report, DROP COLUMN error, DROP COLUMN ip;
