DROP INDEX bulk_runs_executed;
