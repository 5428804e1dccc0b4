-- Server-side state of the three-step user wizard, one row per open wizard (so two wizards in
-- two tabs never mix). Only its owner may continue it; Save or Cancel removes the row, and
-- rows left behind are purged after a day.
CREATE TABLE user_wizards (
    id         TEXT PRIMARY KEY,
    owner_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The user being edited; NULL when creating.
    target_id  BIGINT REFERENCES users(id) ON DELETE CASCADE,
    state      JSONB NOT NULL,
    -- The processed avatar (128×128 PNG) uploaded in step 1, kept until Save.
    avatar     BYTEA,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX user_wizards_owner_idx ON user_wizards (owner_id);
CREATE INDEX user_wizards_target_idx ON user_wizards (target_id);
CREATE INDEX user_wizards_updated_idx ON user_wizards (updated_at);
