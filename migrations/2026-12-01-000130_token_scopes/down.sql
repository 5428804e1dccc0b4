DROP INDEX users_external_id_key;
ALTER TABLE users DROP COLUMN external_id;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scopes_known;
ALTER TABLE api_tokens DROP COLUMN scopes;
