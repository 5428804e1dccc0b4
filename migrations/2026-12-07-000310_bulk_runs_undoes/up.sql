-- Which executed run undid a run (its page, the runs list, a second undo refused): looked up by
-- the undone run's id inside the undo's spec, without reading every run.
CREATE INDEX bulk_runs_undoes_idx ON bulk_runs (((spec -> 'undo' ->> 'run_id')::bigint)) WHERE status = 'done';
