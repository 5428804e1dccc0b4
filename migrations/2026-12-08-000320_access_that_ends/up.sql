-- Access that ends on time (issue #32): a preset held, a per-user override, a co-ownership, a
-- team membership and an access-group grant may carry an end (`ends_at`), and who set it
-- (`ends_set_by`, told when it ends).
--
-- Expired means gone at that instant, whether or not the expiry job has run yet. So each table
-- is renamed `<name>_all` (every row, ended ones included until the job removes and audits
-- them), and a view of the old name shows only the rows in force. Every reader — the access
-- facts, the SQL filter, lists, escalation checks, reach counts — reads the view and cannot
-- forget the rule; writers write through the view (PostgreSQL updates simple views in place).
-- Only the expiry job reads the `_all` tables.

ALTER TABLE user_presets RENAME TO user_presets_all;
ALTER TABLE user_overrides RENAME TO user_overrides_all;
ALTER TABLE contact_owners RENAME TO contact_owners_all;
ALTER TABLE team_members RENAME TO team_members_all;
ALTER TABLE access_group_grants RENAME TO access_group_grants_all;

ALTER TABLE user_presets_all
    ADD COLUMN ends_at TIMESTAMPTZ,
    ADD COLUMN ends_set_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE user_overrides_all
    ADD COLUMN ends_at TIMESTAMPTZ,
    ADD COLUMN ends_set_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE contact_owners_all
    ADD COLUMN ends_at TIMESTAMPTZ,
    ADD COLUMN ends_set_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE team_members_all
    ADD COLUMN ends_at TIMESTAMPTZ,
    ADD COLUMN ends_set_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE access_group_grants_all
    ADD COLUMN ends_at TIMESTAMPTZ,
    ADD COLUMN ends_set_by BIGINT REFERENCES users(id) ON DELETE SET NULL;

-- The job finds what has ended, and the start page what ends soon, by index.
CREATE INDEX user_presets_ends_idx ON user_presets_all (ends_at) WHERE ends_at IS NOT NULL;
CREATE INDEX user_overrides_ends_idx ON user_overrides_all (ends_at) WHERE ends_at IS NOT NULL;
CREATE INDEX contact_owners_ends_idx ON contact_owners_all (ends_at) WHERE ends_at IS NOT NULL;
CREATE INDEX team_members_ends_idx ON team_members_all (ends_at) WHERE ends_at IS NOT NULL;
CREATE INDEX access_group_grants_ends_idx ON access_group_grants_all (ends_at) WHERE ends_at IS NOT NULL;

-- The access paths scan a user's co-ownerships and memberships from the index alone: it
-- carries the end too.
DROP INDEX contact_owners_user_idx;
CREATE INDEX contact_owners_user_idx ON contact_owners_all (user_id, contact_id) INCLUDE (read_only, ends_at);
DROP INDEX team_members_user_idx;
CREATE INDEX team_members_user_idx ON team_members_all (user_id, team_id) INCLUDE (ends_at);

CREATE VIEW user_presets AS
SELECT * FROM user_presets_all WHERE ends_at IS NULL OR ends_at > now();
CREATE VIEW user_overrides AS
SELECT * FROM user_overrides_all WHERE ends_at IS NULL OR ends_at > now();
CREATE VIEW contact_owners AS
SELECT * FROM contact_owners_all WHERE ends_at IS NULL OR ends_at > now();
CREATE VIEW team_members AS
SELECT * FROM team_members_all WHERE ends_at IS NULL OR ends_at > now();
CREATE VIEW access_group_grants AS
SELECT * FROM access_group_grants_all WHERE ends_at IS NULL OR ends_at > now();

-- Giving again what has ended but is not yet removed: the ended row is invisible through the
-- view yet still holds the key, so an insert would silently do nothing (ON CONFLICT DO NOTHING)
-- or fail. It is cleared first; the new row's own change is what the audit log records.
CREATE FUNCTION clear_ended_user_preset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_presets_all
    WHERE user_id = NEW.user_id AND preset_id = NEW.preset_id AND ends_at <= now();
    RETURN NEW;
END $$;
CREATE TRIGGER clear_ended BEFORE INSERT ON user_presets_all
    FOR EACH ROW EXECUTE FUNCTION clear_ended_user_preset();

CREATE FUNCTION clear_ended_user_override() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_overrides_all
    WHERE user_id = NEW.user_id AND perm_key = NEW.perm_key AND ends_at <= now();
    RETURN NEW;
END $$;
CREATE TRIGGER clear_ended BEFORE INSERT ON user_overrides_all
    FOR EACH ROW EXECUTE FUNCTION clear_ended_user_override();

CREATE FUNCTION clear_ended_contact_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM contact_owners_all
    WHERE contact_id = NEW.contact_id AND user_id = NEW.user_id AND ends_at <= now();
    RETURN NEW;
END $$;
CREATE TRIGGER clear_ended BEFORE INSERT ON contact_owners_all
    FOR EACH ROW EXECUTE FUNCTION clear_ended_contact_owner();

CREATE FUNCTION clear_ended_team_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM team_members_all
    WHERE team_id = NEW.team_id AND user_id = NEW.user_id AND ends_at <= now();
    RETURN NEW;
END $$;
CREATE TRIGGER clear_ended BEFORE INSERT ON team_members_all
    FOR EACH ROW EXECUTE FUNCTION clear_ended_team_member();

CREATE FUNCTION clear_ended_grant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM access_group_grants_all
    WHERE group_id = NEW.group_id
      AND (user_id = NEW.user_id OR team_id = NEW.team_id)
      AND ends_at <= now();
    RETURN NEW;
END $$;
CREATE TRIGGER clear_ended BEFORE INSERT ON access_group_grants_all
    FOR EACH ROW EXECUTE FUNCTION clear_ended_grant();

-- The access facts read the views (a view binds to what its names meant when it was made, so
-- both are made again, unchanged in text).
CREATE OR REPLACE VIEW subject_facts AS
SELECT u.id,
       ARRAY(SELECT pp.perm_key FROM user_presets up
             JOIN preset_permissions pp ON pp.preset_id = up.preset_id
             WHERE up.user_id = u.id) AS preset_keys,
       ARRAY(SELECT o.perm_key FROM user_overrides o WHERE o.user_id = u.id AND o.granted) AS granted,
       ARRAY(SELECT o.perm_key FROM user_overrides o WHERE o.user_id = u.id AND NOT o.granted) AS revoked,
       ARRAY(SELECT tm.team_id FROM team_members tm WHERE tm.user_id = u.id ORDER BY tm.team_id) AS teams
FROM users u;

CREATE OR REPLACE VIEW contact_facts AS
SELECT c.id, c.main_owner_id, c.confidential,
       coalesce((SELECT json_agg(json_build_array(o.user_id, o.read_only) ORDER BY o.user_id)
                 FROM contact_owners o WHERE o.contact_id = c.id), '[]')::text AS co_owners,
       coalesce((SELECT json_agg(json_build_array(t.id, t.name, t.manager_id, tm.user_id, u.email)
                                 ORDER BY t.id, tm.user_id)
                 FROM team_members tm JOIN teams t ON t.id = tm.team_id JOIN users u ON u.id = tm.user_id
                 WHERE tm.user_id IN (SELECT c.main_owner_id
                                      UNION ALL SELECT o.user_id FROM contact_owners o
                                                WHERE o.contact_id = c.id)), '[]')::text
         AS owner_teams,
       coalesce((SELECT json_agg(json_build_array(g.group_id, ag.name, g.user_id, g.team_id, t.name, g.level)
                                 ORDER BY g.group_id, g.id)
                 FROM contact_access_groups cag
                 JOIN access_group_grants g ON g.group_id = cag.group_id
                 JOIN access_groups ag ON ag.id = g.group_id
                 LEFT JOIN teams t ON t.id = g.team_id
                 WHERE cag.contact_id = c.id), '[]')::text AS grants
FROM contacts c;

-- Fresh statistics for the new column, so the planner knows from the start that almost no
-- assignment ends (the views' filter would otherwise be estimated at a default selectivity).
ANALYZE user_presets_all;
ANALYZE user_overrides_all;
ANALYZE contact_owners_all;
ANALYZE team_members_all;
ANALYZE access_group_grants_all;
