-- The notices sent before access ends (issue #32): one per assignment and end, so the expiry
-- sweep tells the holder and whoever set the end once, and again only if the end changes.
CREATE TABLE end_notices (
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, key, ends_at)
);
