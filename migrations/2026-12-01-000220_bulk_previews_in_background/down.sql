DROP INDEX bulk_runs_user_previews;
DROP INDEX bulk_runs_user_executed;
CREATE INDEX bulk_runs_user_executed ON bulk_runs (user_id, id DESC) WHERE status <> 'previewed';
DROP INDEX bulk_runs_previewing;
UPDATE bulk_runs SET status = 'failed', error = 'Preview not finished.' WHERE status = 'previewing';
ALTER TABLE bulk_runs DROP COLUMN preview, DROP CONSTRAINT bulk_runs_status_check;
ALTER TABLE bulk_runs ADD CONSTRAINT bulk_runs_status_check
    CHECK (status IN ('previewed', 'queued', 'done', 'changed', 'failed'));
