DROP INDEX bulk_runs_notify_idx;
ALTER TABLE bulk_runs DROP COLUMN notify_ids;
