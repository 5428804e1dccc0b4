ALTER TABLE segments DROP COLUMN saved_by;
