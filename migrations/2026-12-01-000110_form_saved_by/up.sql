-- Issue #16 (review): a public form changes who has access (its access groups, its main owner)
-- only with the authority of whoever last saved it. Forms saved before this have none until
-- an administrator saves them again.
ALTER TABLE forms ADD COLUMN saved_by BIGINT REFERENCES users(id);
CREATE INDEX forms_saved_by_idx ON forms (saved_by);
