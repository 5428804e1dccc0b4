-- Users, presets, overrides, sessions, login throttling, setup tokens and the audit log.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL,
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    phone         TEXT,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('administrator','manager','marketer','salesperson','sending_operator','user')),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','deactivated','deleted')),
    avatar        BYTEA,
    disable_export BOOLEAN NOT NULL DEFAULT FALSE,
    only_owned    BOOLEAN NOT NULL DEFAULT FALSE,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Deleted users keep their row, so an email once used is never reusable.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE INDEX users_role_idx ON users (role);

CREATE TABLE presets (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    -- Set for the one system preset of each role; system presets are read-only.
    system_role TEXT UNIQUE CHECK (system_role IN ('administrator','manager','marketer','salesperson','sending_operator','user')),
    created_by  BIGINT REFERENCES users(id),
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX presets_name_lower_key ON presets (lower(name));
CREATE INDEX presets_created_by_idx ON presets (created_by);

CREATE TABLE preset_permissions (
    preset_id BIGINT NOT NULL REFERENCES presets(id) ON DELETE CASCADE,
    perm_key  TEXT NOT NULL,
    PRIMARY KEY (preset_id, perm_key)
);

CREATE TABLE user_presets (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    preset_id BIGINT NOT NULL REFERENCES presets(id),
    PRIMARY KEY (user_id, preset_id)
);
CREATE INDEX user_presets_preset_idx ON user_presets (preset_id);

-- Per-user overrides: a key granted (true) or revoked (false) on top of the presets.
CREATE TABLE user_overrides (
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    perm_key TEXT NOT NULL,
    granted  BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, perm_key)
);

-- Server-side session state for actix-session; id is the SHA-256 of the cookie's key.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    BIGINT REFERENCES users(id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Failed sign-ins per account ("acct:<email>") and per client ("ip:<addr>").
CREATE TABLE login_attempts (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    last_failure TIMESTAMPTZ NOT NULL DEFAULT now(),
    locked_until TIMESTAMPTZ
);

-- Instance-wide values shared by every web instance (e.g. the generated session secret).
CREATE TABLE app_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    used_at    TIMESTAMPTZ
);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id    BIGINT REFERENCES users(id),
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT,
    before      JSONB,
    after       JSONB,
    ip          TEXT
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- The audit log is append-only: the database itself refuses to change or remove entries.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
