DROP INDEX teams_external_id_key;
ALTER TABLE teams DROP COLUMN external_id;
