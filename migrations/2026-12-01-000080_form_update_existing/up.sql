-- Issue #16 M1: a public form submission that matches an existing contact changes it only when
-- the form is configured to (off by default).
ALTER TABLE forms ADD COLUMN update_existing BOOLEAN NOT NULL DEFAULT FALSE;
