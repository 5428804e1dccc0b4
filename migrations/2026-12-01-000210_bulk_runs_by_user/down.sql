DROP INDEX bulk_runs_user_executed;
