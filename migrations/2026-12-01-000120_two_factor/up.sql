-- Two-factor sign-in (TOTP, RFC 6238). One authenticator per user: `confirmed_at` is null
-- while enrolment waits for its first valid code. `last_step` is the highest time step a code
-- was accepted for: a code is never accepted twice (no replay within its window).
CREATE TABLE two_factor (
    user_id      BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    confirmed_at TIMESTAMPTZ,
    last_step    BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Single-use recovery codes, stored as SHA-256 of the code (they are random, 50 bits each:
-- a slow hash adds nothing against guessing, which the sign-in throttle limits anyway).
CREATE TABLE recovery_codes (
    id        BIGSERIAL PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Roles whose users must sign in with two-factor (an Administrator's setting).
CREATE TABLE two_factor_roles (
    role TEXT PRIMARY KEY
);
