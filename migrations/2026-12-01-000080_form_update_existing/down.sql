ALTER TABLE forms DROP COLUMN update_existing;
