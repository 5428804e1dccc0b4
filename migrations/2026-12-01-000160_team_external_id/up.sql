-- The identity provider's own id for a team provisioned as a SCIM Group (`externalId`).
ALTER TABLE teams ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX teams_external_id_key ON teams (external_id) WHERE external_id IS NOT NULL;
