-- Access reviews (issue #32): someone responsible confirms, item by item, that each person
-- still needs what they hold. A review is a snapshot taken when it starts: its items say what
-- each assignment gave then (contacts reached, level) and whether it was used in the window;
-- decisions are recorded on the items, and a removal goes through the same domain change as
-- the screens. The review never takes part in an access decision.
CREATE TABLE access_reviews (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    -- Whose access: everyone, a role, a team's members, a preset's holders, or every
    -- access-group grant.
    scope        TEXT NOT NULL CHECK (scope IN ('everyone', 'role', 'team', 'preset', 'grants')),
    scope_value  TEXT NOT NULL DEFAULT '',
    -- Who decides: each person's team manager, one named reviewer, or whoever started it.
    reviewers    TEXT NOT NULL CHECK (reviewers IN ('managers', 'named', 'starter')),
    reviewer_id  BIGINT REFERENCES users(id) ON DELETE SET NULL,
    deadline     TIMESTAMPTZ NOT NULL,
    -- What the deadline does to items nobody decided.
    unanswered   TEXT NOT NULL CHECK (unanswered IN ('keep', 'remove')),
    -- Started again this many months after it starts (none: once).
    every_months INTEGER CHECK (every_months BETWEEN 1 AND 24),
    -- "Used" means used since then.
    used_since   TIMESTAMPTZ NOT NULL,
    started_by   BIGINT REFERENCES users(id) ON DELETE SET NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    reminded_at  TIMESTAMPTZ,
    closed_at    TIMESTAMPTZ,
    -- The review this one repeats.
    follows      BIGINT REFERENCES access_reviews(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX access_reviews_follows_key ON access_reviews (follows);
CREATE INDEX access_reviews_open_idx ON access_reviews (deadline) WHERE closed_at IS NULL;

CREATE TABLE access_review_items (
    id          BIGSERIAL PRIMARY KEY,
    review_id   BIGINT NOT NULL REFERENCES access_reviews(id) ON DELETE CASCADE,
    reviewer_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    -- The person whose access it is (none: a team's grant), and how the report names them.
    user_id     BIGINT REFERENCES users(id) ON DELETE SET NULL,
    holder      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('preset', 'override', 'member', 'grant')),
    -- The assignment: a preset, a team, a grant (id), or a permission key (override).
    ref_id      BIGINT,
    ref_key     TEXT NOT NULL DEFAULT '',
    what        TEXT NOT NULL,
    -- What it gave when the review started: contacts reached (none where it is keys).
    reach       BIGINT,
    used        BOOLEAN NOT NULL,
    decision    TEXT CHECK (decision IN ('keep', 'remove')),
    comment     TEXT NOT NULL DEFAULT '',
    decided_by  BIGINT REFERENCES users(id) ON DELETE SET NULL,
    decided_at  TIMESTAMPTZ,
    -- Decided by the deadline's policy rather than a person.
    by_policy   BOOLEAN NOT NULL DEFAULT FALSE,
    -- Already gone (removed or ended elsewhere) when the removal came.
    gone        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX access_review_items_review_idx ON access_review_items (review_id, reviewer_id, holder, id);
CREATE INDEX access_review_items_reviewer_idx ON access_review_items (reviewer_id) WHERE decision IS NULL;
