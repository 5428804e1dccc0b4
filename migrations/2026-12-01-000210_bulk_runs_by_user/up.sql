-- A user's executed runs, newest first ("Your bulk runs"), without reading their previews.
CREATE INDEX bulk_runs_user_executed ON bulk_runs (user_id, id DESC) WHERE status <> 'previewed';
