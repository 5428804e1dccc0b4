ALTER TABLE bulk_runs RENAME COLUMN editable_hash TO editable_sum;
