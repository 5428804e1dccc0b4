-- A bulk Manage preview: the exact selection previewed, so "Execute" runs on that selection
-- and can tell when access changed in between. A token is used once.
CREATE TABLE bulk_runs (
    id              BIGSERIAL PRIMARY KEY,
    token           TEXT NOT NULL UNIQUE,
    user_id         BIGINT NOT NULL REFERENCES users(id),
    spec            JSONB NOT NULL,
    matched         BIGINT[] NOT NULL,
    editable_count  BIGINT NOT NULL,
    editable_sum    BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    executed_at     TIMESTAMPTZ
);
CREATE INDEX bulk_runs_user_idx ON bulk_runs (user_id, created_at DESC);
