-- CSV import jobs with their rejected rows, segments (rules that put contacts into an access
-- group) and public forms with their per-address rate limit.

CREATE TABLE import_jobs (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    file_name  TEXT NOT NULL DEFAULT '',
    delimiter  TEXT NOT NULL DEFAULT ',',
    headers    JSONB NOT NULL DEFAULT '[]',
    -- Column mapping and options chosen on the mapping page.
    options    JSONB,
    status     TEXT NOT NULL DEFAULT 'uploaded' CHECK (status IN ('uploaded','running','done','failed')),
    total      BIGINT NOT NULL DEFAULT 0,
    processed  BIGINT NOT NULL DEFAULT 0,
    created    BIGINT NOT NULL DEFAULT 0,
    updated    BIGINT NOT NULL DEFAULT 0,
    skipped    BIGINT NOT NULL DEFAULT 0,
    rejected   BIGINT NOT NULL DEFAULT 0,
    error      TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE INDEX import_jobs_user_idx ON import_jobs (user_id, id DESC);

-- The uploaded file, in chunks of about 1 MB: kept in PostgreSQL (not on one server's disk) so
-- whichever instance serves the mapping page can run the import. Removed when it has run.
CREATE TABLE import_chunks (
    job_id BIGINT NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    data   BYTEA NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE import_rejects (
    job_id BIGINT NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    row_no BIGINT NOT NULL,
    reason TEXT NOT NULL,
    email  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, row_no)
);

CREATE TABLE segments (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    tags          TEXT[] NOT NULL DEFAULT '{}',
    category      TEXT,
    email_domain  TEXT,
    group_id      BIGINT NOT NULL REFERENCES access_groups(id) ON DELETE CASCADE,
    keep_applying BOOLEAN NOT NULL DEFAULT FALSE,
    created_by    BIGINT REFERENCES users(id),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX segments_live_idx ON segments (id) WHERE keep_applying;
-- Email domain conditions match on this expression.
CREATE INDEX contacts_email_domain_idx ON contacts (lower(split_part(email, '@', 2))) WHERE email IS NOT NULL;

CREATE TABLE forms (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    public_key    TEXT NOT NULL UNIQUE,
    tags          TEXT[] NOT NULL DEFAULT '{}',
    group_ids     BIGINT[] NOT NULL DEFAULT '{}',
    main_owner_id BIGINT REFERENCES users(id),
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Submissions per client address, for the public endpoint's rate limit (kept in PostgreSQL so
-- every instance sees the same counts).
CREATE TABLE form_hits (
    ip TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX form_hits_ip_idx ON form_hits (ip, at);
