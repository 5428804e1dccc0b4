//! The expiry sweep (issue #32): removes the assignments whose end has come (a preset held, an
//! override, a co-ownership, a team membership, an access-group grant), records each in the
//! audit log as ended by the system, and tells the holder and whoever set the end.
//!
//! Access never waits for it: the views of migration 000320 leave an ended row out at that
//! instant (`access::ends`). This tidies the tables and says what happened; one transaction per
//! round, at most [`AT_ONCE`] rows per kind, so a round stays short however much ends at once.

use crate::audit::Entry;
use crate::db::schema::{end_notices, notifications, teams, users};
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
        for r in rows(c, crate::contacts::owners::remove_ended(AT_ONCE))? {
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

/// How long before an end its holder and whoever set it are told.
pub const NOTICE_BEFORE_DAYS: i64 = 3;

/// Access that ends soon, as the start page lists it and the notices tell it.
#[derive(QueryableByName, Debug, Clone)]
pub struct Soon {
    /// co_owner, member, grant, preset or override.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The assignment, within its kind (for the notices' record).
    #[diesel(sql_type = Text)]
    pub key: String,
    /// The user who holds it (none: a team's grant).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub holder: Option<i64>,
    /// Their email, or "team Sales".
    #[diesel(sql_type = Text)]
    pub holder_label: String,
    /// What it is: "co-ownership of Jana Nováková", "preset Marketer"…
    #[diesel(sql_type = Text)]
    pub what: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub ends_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub set_by: Option<i64>,
    /// The page of what it is about (the contact, team, access group or user).
    #[diesel(sql_type = Text)]
    pub href: String,
}

impl Soon {
    pub fn until(&self) -> String {
        crate::access::ends::until(self.ends_at)
    }
}

/// Everything that ends within `seconds` from now, soonest first (at most `limit`): one
/// statement over the views of what is in force, by their indexes on `ends_at`.
pub fn ending_within(conn: &mut PgConnection, seconds: i64, limit: i64) -> QueryResult<Vec<Soon>> {
    crate::db::query(
        "SELECT * FROM ( \
           SELECT 'co_owner' AS kind, o.contact_id || ':' || o.user_id AS key, o.user_id AS holder, u.email AS holder_label, \
                  'co-ownership of ' || coalesce(nullif(trim(c.first_name || ' ' || c.last_name), ''), c.email, 'contact #' || c.id) AS what, \
                  o.ends_at, o.ends_set_by AS set_by, '/contacts/' || c.id AS href \
           FROM contact_owners o JOIN contacts c ON c.id = o.contact_id JOIN users u ON u.id = o.user_id \
           WHERE o.ends_at > now() AND o.ends_at <= now() + $1 * interval '1 second' \
           UNION ALL \
           SELECT 'member', tm.team_id || ':' || tm.user_id, tm.user_id, u.email, 'membership of team ' || t.name, \
                  tm.ends_at, tm.ends_set_by, '/teams/' || t.id \
           FROM team_members tm JOIN teams t ON t.id = tm.team_id JOIN users u ON u.id = tm.user_id \
           WHERE tm.ends_at > now() AND tm.ends_at <= now() + $1 * interval '1 second' \
           UNION ALL \
           SELECT 'grant', g.id::text, g.user_id, coalesce(u.email, 'team ' || t.name), \
                  'access through access group ' || ag.name || ' (' || CASE g.level WHEN 'view' THEN 'see' \
                    WHEN 'edit' THEN 'see and edit' ELSE 'see, edit and send' END || ')', \
                  g.ends_at, g.ends_set_by, '/access-groups/' || ag.id \
           FROM access_group_grants g JOIN access_groups ag ON ag.id = g.group_id \
           LEFT JOIN users u ON u.id = g.user_id LEFT JOIN teams t ON t.id = g.team_id \
           WHERE g.ends_at > now() AND g.ends_at <= now() + $1 * interval '1 second' \
           UNION ALL \
           SELECT 'preset', up.user_id || ':' || up.preset_id, up.user_id, u.email, 'preset ' || p.name, \
                  up.ends_at, up.ends_set_by, '/users/' || u.id \
           FROM user_presets up JOIN presets p ON p.id = up.preset_id JOIN users u ON u.id = up.user_id \
           WHERE up.ends_at > now() AND up.ends_at <= now() + $1 * interval '1 second' \
           UNION ALL \
           SELECT 'override', o.user_id || ':' || o.perm_key, o.user_id, u.email, \
                  'per-user ' || CASE WHEN o.granted THEN 'grant' ELSE 'revoke' END || ' of ' || o.perm_key, \
                  o.ends_at, o.ends_set_by, '/users/' || u.id \
           FROM user_overrides o JOIN users u ON u.id = o.user_id \
           WHERE o.ends_at > now() AND o.ends_at <= now() + $1 * interval '1 second' \
         ) soon ORDER BY ends_at, kind, key LIMIT $2",
    )
    .bind::<BigInt, _>(seconds)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Tells the holder and whoever set the end, once per assignment and end, of what ends within
/// [`NOTICE_BEFORE_DAYS`]; returns how many assignments it told of. One transaction.
pub fn notify_soon(conn: &mut PgConnection) -> QueryResult<usize> {
    conn.transaction(|c| {
        let soon = ending_within(c, NOTICE_BEFORE_DAYS * 86_400, i64::from(u16::MAX))?;
        let mut told = 0;
        for s in soon {
            let new = diesel::insert_into(end_notices::table)
                .values((
                    end_notices::kind.eq(&s.kind),
                    end_notices::key.eq(&s.key),
                    end_notices::ends_at.eq(s.ends_at),
                ))
                .on_conflict_do_nothing()
                .execute(c)?;
            if new == 0 {
                continue;
            }
            told += 1;
            let when = s.until().replacen("until", "on", 1);
            let mut tell = Vec::new();
            if let Some(h) = s.holder {
                tell.push((h, format!("Your {} ends {when}.", s.what)));
            }
            if let Some(by) = s.set_by.filter(|by| Some(*by) != s.holder) {
                tell.push((by, format!("The {} of {} ends {when}, as you set.", s.what, s.holder_label)));
            }
            for (user, message) in tell {
                diesel::insert_into(notifications::table)
                    .values((notifications::user_id.eq(user), notifications::message.eq(message)))
                    .execute(c)?;
            }
        }
        // What has been told of and has ended since needs no record.
        diesel::delete(end_notices::table.filter(end_notices::ends_at.lt(chrono::Utc::now()))).execute(c)?;
        Ok(told)
    })
}

/// The background sweep: tells of what ends soon, then rounds until nothing more has ended.
pub fn sweep(workers: &crate::jobs::Workers) -> Result<(), crate::error::AppError> {
    let mut conn = workers.db.get_blocking()?;
    let told = notify_soon(&mut conn)?;
    if told > 0 {
        tracing::info!(told, "told of access ending soon");
    }
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
