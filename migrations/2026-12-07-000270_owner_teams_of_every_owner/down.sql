CREATE OR REPLACE VIEW contact_facts AS
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
