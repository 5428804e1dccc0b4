//! A review's items, taken when it starts: one set-based statement per kind of assignment
//! (what each gives — contacts reached, level — computed once per team and group, not per
//! item), then whether each was used, from the audit log of the window.

use super::perm_of_action;
use crate::db::sql::{sql, Sql};
use crate::permissions::PermSet;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// The persons of review `r` (`rv.` columns in scope), as a sub-select of user ids.
fn persons() -> Sql {
    sql!(
        "SELECT u.id FROM users u WHERE u.status = 'active' AND CASE rv.scope \
           WHEN 'everyone' THEN TRUE \
           WHEN 'role' THEN u.role = rv.scope_value \
           WHEN 'team' THEN EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = u.id AND tm.team_id::text = rv.scope_value) \
           WHEN 'preset' THEN EXISTS (SELECT 1 FROM user_presets up WHERE up.user_id = u.id AND up.preset_id::text = rv.scope_value) \
           ELSE FALSE END"
    )
}

/// Who reviews what person `person` (an SQL expression over `rv.` and that column) holds: the
/// named reviewer, the starter, or the active manager of a team of theirs — the reviewed team's,
/// when the review is a team's — who is not themselves; else the starter.
fn reviewer(person: &'static str) -> Sql {
    sql!(
        "CASE rv.reviewers WHEN 'named' THEN rv.reviewer_id WHEN 'starter' THEN rv.started_by \
         ELSE coalesce((SELECT min(t.manager_id) FROM team_members tm JOIN teams t ON t.id = tm.team_id \
                        JOIN users m ON m.id = t.manager_id AND m.status = 'active' \
                        WHERE tm.user_id = ",
        person,
        " AND t.manager_id <> ",
        person,
        " AND (rv.scope <> 'team' OR t.id::text = rv.scope_value)), rv.started_by) END"
    )
}

/// Takes the items of review `id`; returns how many.
pub fn take(c: &mut PgConnection, id: i64) -> QueryResult<i64> {
    let insert = "INSERT INTO access_review_items (review_id, reviewer_id, user_id, holder, kind, ref_id, ref_key, what, reach, used) ";
    let mut n = 0;
    // Presets held (for "the holders of a preset", that preset only), with how many keys.
    n += sql!(
        insert,
        "SELECT rv.id, ",
        reviewer("u.id"),
        ", u.id, u.email, 'preset', p.id, '', 'preset ' || p.name || ' (' || \
           (SELECT count(*) FROM preset_permissions pp WHERE pp.preset_id = p.id) || ' permissions)' \
           || coalesce(', until ' || to_char(up.ends_at AT TIME ZONE 'UTC', 'FMDD Mon YYYY, HH24:MI \"UTC\"'), ''), \
           NULL, FALSE \
         FROM access_reviews rv JOIN user_presets up ON up.user_id IN (",
        persons(),
        ") JOIN users u ON u.id = up.user_id JOIN presets p ON p.id = up.preset_id \
         WHERE rv.id = ",
        id,
        " AND (rv.scope <> 'preset' OR up.preset_id::text = rv.scope_value)"
    )
    .query()
    .execute(c)? as i64;
    // Per-user grants of a key (a revoke takes away: nothing to confirm), and team
    // memberships with what the team's grants reach; not for a preset's holders.
    n += sql!(
        insert,
        "SELECT rv.id, ",
        reviewer("u.id"),
        ", u.id, u.email, 'override', NULL, o.perm_key, 'per-user grant of ' || o.perm_key \
           || coalesce(', until ' || to_char(o.ends_at AT TIME ZONE 'UTC', 'FMDD Mon YYYY, HH24:MI \"UTC\"'), ''), NULL, FALSE \
         FROM access_reviews rv JOIN user_overrides o ON o.granted AND o.user_id IN (",
        persons(),
        ") JOIN users u ON u.id = o.user_id WHERE rv.id = ",
        id,
        " AND rv.scope <> 'preset'"
    )
    .query()
    .execute(c)? as i64;
    n += sql!(
        "WITH team_reach AS (SELECT g.team_id, count(DISTINCT cag.contact_id) AS n FROM access_group_grants g \
           JOIN contact_access_groups cag ON cag.group_id = g.group_id WHERE g.team_id IS NOT NULL GROUP BY g.team_id) ",
        insert,
        "SELECT rv.id, ",
        reviewer("u.id"),
        ", u.id, u.email, 'member', t.id, '', 'member of team ' || t.name \
           || coalesce(', until ' || to_char(tm.ends_at AT TIME ZONE 'UTC', 'FMDD Mon YYYY, HH24:MI \"UTC\"'), ''), \
           coalesce(tr.n, 0), FALSE \
         FROM access_reviews rv JOIN team_members tm ON tm.user_id IN (",
        persons(),
        ") JOIN users u ON u.id = tm.user_id JOIN teams t ON t.id = tm.team_id \
         LEFT JOIN team_reach tr ON tr.team_id = t.id WHERE rv.id = ",
        id,
        " AND rv.scope <> 'preset'"
    )
    .query()
    .execute(c)? as i64;
    // Access-group grants: a person's own (person scopes) or every grant ("grants"), with the
    // group's contacts and the level.
    n += sql!(
        "WITH group_size AS (SELECT group_id, count(*) AS n FROM contact_access_groups GROUP BY group_id) ",
        insert,
        "SELECT rv.id, CASE WHEN g.user_id IS NOT NULL THEN ",
        reviewer("g.user_id"),
        " WHEN rv.reviewers = 'managers' THEN coalesce(t.manager_id, rv.started_by) ELSE ",
        reviewer("NULL"),
        " END, g.user_id, coalesce(u.email, 'team ' || t.name), 'grant', g.id, '', \
           'access group ' || ag.name || ' (' || CASE g.level WHEN 'view' THEN 'see' WHEN 'edit' THEN 'see and edit' \
           ELSE 'see, edit and send' END || ')' \
           || coalesce(', until ' || to_char(g.ends_at AT TIME ZONE 'UTC', 'FMDD Mon YYYY, HH24:MI \"UTC\"'), ''), \
           coalesce(gs.n, 0), FALSE \
         FROM access_reviews rv JOIN access_group_grants g ON TRUE \
         JOIN access_groups ag ON ag.id = g.group_id LEFT JOIN users u ON u.id = g.user_id \
         LEFT JOIN teams t ON t.id = g.team_id LEFT JOIN group_size gs ON gs.group_id = g.group_id \
         WHERE rv.id = ",
        id,
        " AND ((rv.scope = 'grants') OR (rv.scope <> 'preset' AND g.user_id IN (",
        persons(),
        ")))"
    )
    .query()
    .execute(c)? as i64;
    mark_used(c, id)?;
    Ok(n)
}

/// Marks what was used in the review's window: a preset or per-user grant when the person made
/// a recorded change that needed one of its keys; a grant or team membership when the person
/// (for a team's grant, one of its members) changed a contact of a group it gives.
fn mark_used(c: &mut PgConnection, id: i64) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Done {
        #[diesel(sql_type = BigInt)]
        actor_id: i64,
        #[diesel(sql_type = Text)]
        action: String,
    }
    let done: Vec<Done> = sql!(
        "SELECT DISTINCT a.actor_id, a.action FROM audit_log a JOIN access_reviews rv ON rv.id = ",
        id,
        " WHERE a.at >= rv.used_since AND a.actor_id IN \
           (SELECT user_id FROM access_review_items WHERE review_id = ",
        id,
        " AND kind IN ('preset', 'override'))"
    )
    .query()
    .load(c)?;
    #[derive(QueryableByName)]
    struct KeyItem {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        user_id: i64,
        #[diesel(sql_type = diesel::sql_types::Array<Text>)]
        keys: Vec<String>,
    }
    let items: Vec<KeyItem> = sql!(
        "SELECT i.id, i.user_id, CASE i.kind WHEN 'override' THEN ARRAY[i.ref_key] \
           ELSE ARRAY(SELECT perm_key FROM preset_permissions WHERE preset_id = i.ref_id) END AS keys \
         FROM access_review_items i WHERE i.review_id = ",
        id,
        " AND i.kind IN ('preset', 'override') AND i.user_id IS NOT NULL"
    )
    .query()
    .load(c)?;
    let used: Vec<i64> = items
        .into_iter()
        .filter(|it| {
            let keys = PermSet::from_keys(it.keys.iter().map(String::as_str));
            done.iter().any(|d| d.actor_id == it.user_id && perm_of_action(&d.action).is_some_and(|p| keys.contains(p)))
        })
        .map(|it| it.id)
        .collect();
    sql!("UPDATE access_review_items SET used = TRUE WHERE id = ANY(", crate::db::sql::Bind::I64s(used), ")")
        .query()
        .execute(c)?;
    // Changes made to contacts of a group, by whom: (actor, group).
    sql!(
        "WITH touched AS (SELECT DISTINCT a.actor_id, cag.group_id FROM audit_log a \
           JOIN access_reviews rv ON rv.id = ",
        id,
        " JOIN contact_access_groups cag ON cag.contact_id = \
             (CASE WHEN a.object_type = 'contact' AND a.object_id ~ '^[0-9]{1,18}$' THEN a.object_id::bigint END) \
           WHERE a.at >= rv.used_since AND (a.actor_id IN (SELECT user_id FROM access_review_items WHERE review_id = ",
        id,
        ") OR a.actor_id IN (SELECT tm.user_id FROM access_review_items i JOIN access_group_grants g ON g.id = i.ref_id \
             JOIN team_members tm ON tm.team_id = g.team_id WHERE i.review_id = ",
        id,
        " AND i.kind = 'grant'))) \
         UPDATE access_review_items i SET used = TRUE WHERE i.review_id = ",
        id,
        " AND ((i.kind = 'member' AND EXISTS (SELECT 1 FROM access_group_grants g JOIN touched x ON x.group_id = g.group_id \
                  WHERE g.team_id = i.ref_id AND x.actor_id = i.user_id)) \
            OR (i.kind = 'grant' AND EXISTS (SELECT 1 FROM access_group_grants g JOIN touched x ON x.group_id = g.group_id \
                  WHERE g.id = i.ref_id AND (x.actor_id = g.user_id \
                    OR x.actor_id IN (SELECT user_id FROM team_members WHERE team_id = g.team_id)))))"
    )
    .query()
    .execute(c)?;
    Ok(())
}
