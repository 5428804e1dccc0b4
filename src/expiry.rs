//! The expiry sweep (issue #32): removes the assignments whose end has come (a preset held, an
//! override, a co-ownership, a team membership, an access-group grant), records each in the
//! audit log as ended by the system, and tells the holder and whoever set the end.
//!
//! Access never waits for it: the views of migration 000320 leave an ended row out at that
//! instant (`access::ends`). This tidies the tables and says what happened; one transaction per
//! round, at most [`AT_ONCE`] rows per kind, so a round stays short however much ends at once.

use crate::audit::Entry;
use crate::db::schema::{notifications, teams, users};
use crate::db::sql::{sql, Sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use serde_json::json;

/// The most rows of one kind a round removes.
pub const AT_ONCE: i64 = 500;

/// One removed row: its object (for the audit entry), the user who held it (none for a team's
/// grant), who set its end, and the entry's `before`.
struct Ended {
    action: &'static str,
    object_type: &'static str,
    object_id: i64,
    holder: Option<i64>,
    set_by: Option<i64>,
    before: serde_json::Value,
    /// What ended, as a noun: "co-ownership of contact #12".
    what: String,
    /// The team that held it (a team's grant).
    team: Option<i64>,
    contact_id: Option<i64>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    b: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    c: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    t: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    f: Option<bool>,
    #[diesel(sql_type = Nullable<BigInt>)]
    set_by: Option<i64>,
}

/// Removes what has ended (at most [`AT_ONCE`] of each kind), audited and told, in one
/// transaction; returns how many rows it removed.
pub fn sweep_once(conn: &mut PgConnection) -> QueryResult<usize> {
    conn.transaction(|c| {
        let mut ended = Vec::new();
        // Each statement takes the ended rows it can lock (another instance's round skips them)
        // and returns them as (a, b, c, t, f, set_by).
        let rows = |c: &mut PgConnection, q: Sql| -> QueryResult<Vec<Row>> { q.query().load(c) };
        for r in rows(
            c,
            crate::contacts::owners::remove_ended(AT_ONCE),
        )? {
            ended.push(Ended {
                action: "contact.co_owner_ended",
                object_type: "contact",
                object_id: r.a,
                holder: r.b,
                set_by: r.set_by,
                before: json!({ "user_id": r.b, "read_only": r.f }),
                what: format!("co-ownership of contact #{}", r.a),
                team: None,
                contact_id: Some(r.a),
            });
        }
        for r in rows(
            c,
            sql!(
            "DELETE FROM team_members_all x USING (SELECT team_id, user_id FROM team_members_all \
             WHERE ends_at <= now() ORDER BY ends_at LIMIT ", AT_ONCE, " FOR UPDATE SKIP LOCKED) e \
             WHERE x.team_id = e.team_id AND x.user_id = e.user_id \
             RETURNING x.team_id AS a, x.user_id AS b, NULL::bigint AS c, \
                       (SELECT name FROM teams WHERE id = x.team_id) AS t, NULL::boolean AS f, x.ends_set_by AS set_by"
            ),
        )? {
            let team = r.t.clone().unwrap_or_default();
            ended.push(Ended {
                action: "team.member_ended",
                object_type: "team",
                object_id: r.a,
                holder: r.b,
                set_by: r.set_by,
                before: json!({ "member": { "user_id": r.b } }),
                what: format!("membership of team {team}"),
                team: None,
                contact_id: None,
            });
        }
        for r in rows(
            c,
            sql!(
            "DELETE FROM access_group_grants_all x WHERE x.id IN (SELECT id FROM access_group_grants_all \
             WHERE ends_at <= now() ORDER BY ends_at LIMIT ", AT_ONCE, " FOR UPDATE SKIP LOCKED) \
             RETURNING x.group_id AS a, x.user_id AS b, x.team_id AS c, \
                       (SELECT name FROM access_groups WHERE id = x.group_id) || ' ' || x.level AS t, \
                       NULL::boolean AS f, x.ends_set_by AS set_by"
            ),
        )? {
            let (group, level) = r.t.as_deref().unwrap_or_default().rsplit_once(' ').unwrap_or_default();
            ended.push(Ended {
                action: "access_group.grant_ended",
                object_type: "access_group",
                object_id: r.a,
                holder: r.b,
                set_by: r.set_by,
                before: json!({ "grant": { "group_id": r.a, "user_id": r.b, "team_id": r.c, "level": level } }),
                what: format!("access through access group {group} ({})", crate::access::Level::words_of(level)),
                team: r.c,
                contact_id: None,
            });
        }
        for r in rows(
            c,
            sql!(
            "DELETE FROM user_presets_all x USING (SELECT user_id, preset_id FROM user_presets_all \
             WHERE ends_at <= now() ORDER BY ends_at LIMIT ", AT_ONCE, " FOR UPDATE SKIP LOCKED) e \
             WHERE x.user_id = e.user_id AND x.preset_id = e.preset_id \
             RETURNING x.user_id AS a, x.user_id AS b, x.preset_id AS c, \
                       (SELECT name FROM presets WHERE id = x.preset_id) AS t, NULL::boolean AS f, x.ends_set_by AS set_by"
            ),
        )? {
            let preset = r.t.clone().unwrap_or_default();
            ended.push(Ended {
                action: "user.preset_ended",
                object_type: "user",
                object_id: r.a,
                holder: r.b,
                set_by: r.set_by,
                before: json!({ "preset_id": r.c, "preset": preset }),
                what: format!("preset {preset}"),
                team: None,
                contact_id: None,
            });
        }
        for r in rows(
            c,
            sql!(
            "DELETE FROM user_overrides_all x USING (SELECT user_id, perm_key FROM user_overrides_all \
             WHERE ends_at <= now() ORDER BY ends_at LIMIT ", AT_ONCE, " FOR UPDATE SKIP LOCKED) e \
             WHERE x.user_id = e.user_id AND x.perm_key = e.perm_key \
             RETURNING x.user_id AS a, x.user_id AS b, NULL::bigint AS c, x.perm_key AS t, x.granted AS f, x.ends_set_by AS set_by"
            ),
        )? {
            let key = r.t.clone().unwrap_or_default();
            let what = if r.f == Some(true) { "grant" } else { "revoke" };
            ended.push(Ended {
                action: "user.override_ended",
                object_type: "user",
                object_id: r.a,
                holder: r.b,
                set_by: r.set_by,
                before: json!({ "perm_key": key, "granted": r.f }),
                what: format!("per-user {what} of {key}"),
                team: None,
                contact_id: None,
            });
        }
        for e in &ended {
            Entry::new(None, e.action, e.object_type, e.object_id)
                .before(e.before.clone())
                .after(json!(null))
                .record(c)?;
            let mut tell: Vec<(i64, String)> = Vec::new();
            if let Some(h) = e.holder {
                tell.push((h, format!("Your {} has ended.", e.what)));
            }
            if let Some(by) = e.set_by.filter(|by| Some(*by) != e.holder) {
                let holder = match (e.holder, e.team) {
                    (Some(u), _) => users::table.find(u).select(users::email).first::<String>(c).optional()?,
                    (None, Some(t)) => teams::table.find(t).select(teams::name).first::<String>(c).optional()?.map(|n| format!("team {n}")),
                    (None, None) => None,
                };
                let of = holder.map(|h| format!(" of {h}")).unwrap_or_default();
                tell.push((by, format!("The {}{of} has ended, as you set.", e.what)));
            }
            for (user, message) in tell {
                diesel::insert_into(notifications::table)
                    .values((
                        notifications::user_id.eq(user),
                        notifications::contact_id.eq(e.contact_id),
                        notifications::message.eq(message),
                    ))
                    .execute(c)?;
            }
        }
        Ok(ended.len())
    })
}

/// The background sweep: rounds until nothing more has ended.
pub fn sweep(workers: &crate::jobs::Workers) -> Result<(), crate::error::AppError> {
    let mut conn = workers.db.get_blocking()?;
    loop {
        let n = sweep_once(&mut conn)?;
        if n > 0 {
            tracing::info!(removed = n, "ended access removed");
        }
        if n == 0 {
            return Ok(());
        }
    }
}
