-- The lowest and highest contact id of each record row (a row holds one chunk's changes, in id
-- order): an undo going chunk by chunk reads only the rows that can hold its chunk's contacts,
-- not every row whole for every chunk.
ALTER TABLE bulk_run_changes ADD COLUMN lo BIGINT, ADD COLUMN hi BIGINT;
UPDATE bulk_run_changes SET lo = (SELECT min(i) FROM unnest(contact_ids) i), hi = (SELECT max(i) FROM unnest(contact_ids) i);
ALTER TABLE bulk_run_changes ALTER COLUMN lo SET NOT NULL, ALTER COLUMN hi SET NOT NULL;
