DROP INDEX bulk_runs_undoes_idx;
