ALTER TABLE contact_tags DROP COLUMN lent;
