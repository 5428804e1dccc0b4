-- The facts the access rules (src/access) decide on, one row per user and per contact.
-- As views they are queried through diesel's DSL, which keeps them as prepared statements:
-- after a few runs PostgreSQL reuses a generic plan, and a check costs no planning (the
-- authorization API answers in two look-ups).

-- A user's side beyond their own row: effective permissions are the union of their presets'
-- keys, plus granted, minus revoked overrides (permissions::effective); and their teams.
CREATE VIEW subject_facts AS
SELECT u.id,
       ARRAY(SELECT pp.perm_key FROM user_presets up
             JOIN preset_permissions pp ON pp.preset_id = up.preset_id
             WHERE up.user_id = u.id) AS preset_keys,
       ARRAY(SELECT o.perm_key FROM user_overrides o WHERE o.user_id = u.id AND o.granted) AS granted,
       ARRAY(SELECT o.perm_key FROM user_overrides o WHERE o.user_id = u.id AND NOT o.granted) AS revoked,
       ARRAY(SELECT tm.team_id FROM team_members tm WHERE tm.user_id = u.id ORDER BY tm.team_id) AS teams
FROM users u;

-- A contact's side: its co-owners, the teams of its owners (rule 3: the main owner and the
-- writable co-owners) and the grants on its access groups, as JSON arrays of rows.
CREATE VIEW contact_facts AS
SELECT c.id, c.main_owner_id, c.confidential,
       coalesce((SELECT json_agg(json_build_array(o.user_id, o.read_only) ORDER BY o.user_id)
                 FROM contact_owners o WHERE o.contact_id = c.id), '[]')::text AS co_owners,
       coalesce((SELECT json_agg(json_build_array(t.id, t.name, t.manager_id, tm.user_id, u.email)
                                 ORDER BY t.id, tm.user_id)
                 FROM team_members tm JOIN teams t ON t.id = tm.team_id JOIN users u ON u.id = tm.user_id
                 WHERE tm.user_id IN (SELECT c.main_owner_id
                                      UNION ALL SELECT o.user_id FROM contact_owners o
                                                WHERE o.contact_id = c.id AND NOT o.read_only)), '[]')::text
         AS owner_teams,
       coalesce((SELECT json_agg(json_build_array(g.group_id, ag.name, g.user_id, g.team_id, t.name, g.level)
                                 ORDER BY g.group_id, g.id)
                 FROM contact_access_groups cag
                 JOIN access_group_grants g ON g.group_id = cag.group_id
                 JOIN access_groups ag ON ag.id = g.group_id
                 LEFT JOIN teams t ON t.id = g.team_id
                 WHERE cag.contact_id = c.id), '[]')::text AS grants
FROM contacts c;
