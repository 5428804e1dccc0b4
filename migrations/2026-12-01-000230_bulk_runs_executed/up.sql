-- Everyone's executed runs, newest first ("Your bulk runs" for those who read the audit log).
CREATE INDEX bulk_runs_executed ON bulk_runs (id DESC) WHERE queued_at IS NOT NULL;
