-- Bearer tokens of the authorization API (SPEC 7). Only the SHA-256 of a token is kept:
-- the token itself is shown once, when it is created.
CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   BIGINT REFERENCES users(id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_created_by_idx ON api_tokens (created_by);

-- The audit viewer pages by id (keyset) under its filters: index each filter with id.
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id, id DESC);
CREATE INDEX audit_log_action_id_idx ON audit_log (action, id DESC);
CREATE INDEX audit_log_object_id_idx ON audit_log (object_type, object_id, id DESC);
