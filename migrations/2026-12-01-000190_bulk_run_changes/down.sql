DROP TABLE bulk_run_changes;
