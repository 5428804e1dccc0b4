ALTER TABLE bulk_run_changes DROP COLUMN lo, DROP COLUMN hi;
