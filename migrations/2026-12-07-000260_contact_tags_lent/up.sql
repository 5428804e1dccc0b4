-- A tag a shared automation rule added to a contact its owner could not have tagged by hand
-- (SPEC 14 lets a shared rule act on every contact) is "lent": it is there, it shows, but it
-- starts nothing that changes who has access — no live segment and no access rule's
-- condition counts it — so nobody widens access by borrowing a shared rule's reach (issue #26,
-- S16: a chain of a shared rule and a segment or rule of someone else).
ALTER TABLE contact_tags ADD COLUMN lent boolean NOT NULL DEFAULT false;
