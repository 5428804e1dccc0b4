-- Issue #16: a segment puts contacts into an access group with the authority of whoever last
-- saved it (only contacts that user could assign by hand).
ALTER TABLE segments ADD COLUMN saved_by BIGINT REFERENCES users(id);
UPDATE segments SET saved_by = created_by;
CREATE INDEX segments_saved_by_idx ON segments (saved_by);
