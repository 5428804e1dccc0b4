-- What an API token may be used for: the authorization API (`/api/v1/*`, AuthZEN), user
-- provisioning (SCIM), or both. Tokens made before keep the authorization API.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT[] NOT NULL DEFAULT ARRAY['authorization'];
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scopes_known
    CHECK (scopes <@ ARRAY['authorization', 'scim'] AND cardinality(scopes) > 0);

-- The identity provider's own id for a provisioned user (SCIM `externalId`).
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external_id_key ON users (external_id) WHERE external_id IS NOT NULL;
