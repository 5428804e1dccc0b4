ALTER TABLE bulk_runs DROP COLUMN source;
