ALTER TABLE forms DROP COLUMN saved_by;
