//! Reading the audit log: the filters of the viewer, keyset pages, per-object history.
//!
//! Pages go by id (`id < last id seen`, newest first) rather than OFFSET, so page 10,000 costs
//! what page 1 costs; every filter has an `(…, id DESC)` index.

pub use super::row::Row;
use crate::db::schema::{audit_log, users};
use crate::validation::FieldErrors;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

type Select = (
    audit_log::id,
    audit_log::at,
    audit_log::actor_id,
    diesel::dsl::Nullable<users::email>,
    audit_log::action,
    audit_log::object_type,
    audit_log::object_id,
    audit_log::before,
    audit_log::after,
    audit_log::ip,
    audit_log::via,
);

fn columns() -> Select {
    (
        audit_log::id,
        audit_log::at,
        audit_log::actor_id,
        users::email.nullable(),
        audit_log::action,
        audit_log::object_type,
        audit_log::object_id,
        audit_log::before,
        audit_log::after,
        audit_log::ip,
        audit_log::via,
    )
}

/// The newest `limit` entries about one object, for a "History" panel.
pub fn history(
    conn: &mut PgConnection,
    object_type: &str,
    object_id: impl ToString,
    limit: i64,
) -> QueryResult<Vec<Row>> {
    let mut rows = audit_log::table
        .left_join(users::table.on(audit_log::actor_id.eq(users::id.nullable())))
        .filter(audit_log::object_type.eq(object_type))
        .filter(audit_log::object_id.eq(object_id.to_string()))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(columns())
        .load(conn)?;
    super::sentence::tell_all(conn, &mut rows)?;
    name_users(conn, &mut rows)?;
    Ok(rows)
}

/// The newest `limit` entries whose actor is not `user_id` (the system's included).
pub fn newest_not_by(conn: &mut PgConnection, user_id: i64, limit: i64) -> QueryResult<Vec<Row>> {
    audit_log::table
        .left_join(users::table.on(audit_log::actor_id.eq(users::id.nullable())))
        .filter(audit_log::actor_id.is_distinct_from(user_id))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(columns())
        .load(conn)
}

/// The newest `limit` changes made through a SCIM token (for the provisioning page).
pub fn provisioning_events(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Row>> {
    audit_log::table
        .left_join(users::table.on(audit_log::actor_id.eq(users::id.nullable())))
        .filter(audit_log::via.like("SCIM token %"))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(columns())
        .load(conn)
}

/// The viewer's filters, as typed in its query string.
#[derive(Deserialize, Serialize, Default, Debug, Clone)]
pub struct Filters {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub object_type: String,
    #[serde(default)]
    pub object_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

/// Filters checked and resolved against the database.
#[derive(Debug, Default)]
pub struct Parsed {
    /// `Some(None)`: an actor email was given but no user has it (so nothing matches).
    actor: Option<Option<i64>>,
    action: Option<String>,
    object_type: Option<String>,
    object_id: Option<String>,
    from: Option<DateTime<Utc>>,
    /// Exclusive upper bound: the start of the day after "to".
    to: Option<DateTime<Utc>>,
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn day(s: &str, field: &'static str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, "Enter a date as YYYY-MM-DD.");
            None
        }
    }
}

impl Filters {
    /// Checks the filters; a bad date is reported beside its field and ignored.
    pub fn parse(&self, conn: &mut PgConnection, errors: &mut FieldErrors) -> QueryResult<Parsed> {
        let actor = match non_empty(&self.actor) {
            Some(email) => {
                let found = crate::accounts::find_by_email(conn, &email)?.map(|u| u.id);
                if found.is_none() {
                    errors.add("actor", "No user has this email.");
                }
                Some(found)
            }
            None => None,
        };
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let from = day(&self.from, "from", errors).and_then(start);
        let to = day(&self.to, "to", errors).and_then(|d| d.succ_opt()).and_then(start);
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                errors.add("to", "The end date is before the start date.");
            }
        }
        Ok(Parsed {
            actor,
            action: non_empty(&self.action),
            object_type: non_empty(&self.object_type),
            object_id: non_empty(&self.object_id),
            from,
            to,
        })
    }
}

/// Narrows the boxed query `$q` over `audit_log` to the entries matching `$p`; `$none` is what
/// the caller answers when nothing can match (an actor email nobody has). One list of filters
/// for the page and for its counts.
macro_rules! matching {
    ($q:ident, $p:expr, $none:expr) => {
        match $p.actor {
            Some(Some(id)) => $q = $q.filter(audit_log::actor_id.eq(id)),
            Some(None) => return Ok($none),
            None => {}
        }
        if let Some(a) = &$p.action {
            $q = $q.filter(audit_log::action.eq(a.clone()));
        }
        if let Some(t) = &$p.object_type {
            $q = $q.filter(audit_log::object_type.eq(t.clone()));
        }
        if let Some(o) = &$p.object_id {
            $q = $q.filter(audit_log::object_id.eq(o.clone()));
        }
        if let Some(f) = $p.from {
            $q = $q.filter(audit_log::at.ge(f));
        }
        if let Some(t) = $p.to {
            $q = $q.filter(audit_log::at.lt(t));
        }
    };
}

/// One keyset page: entries matching `p` with id below `before`, newest first.
pub fn page(conn: &mut PgConnection, p: &Parsed, before: Option<i64>, limit: i64) -> QueryResult<Vec<Row>> {
    let mut q = audit_log::table
        .left_join(users::table.on(audit_log::actor_id.eq(users::id.nullable())))
        .select(columns())
        .into_boxed::<Pg>();
    matching!(q, p, Vec::new());
    if let Some(b) = before {
        q = q.filter(audit_log::id.lt(b));
    }
    q.order(audit_log::id.desc()).limit(limit).load(conn)
}

/// How many entries match `p` (with an id of at least `from` when given), counted up to
/// `cap + 1`: a page says "1–50 of 3,210" without counting a log that only grows.
pub fn count_capped(conn: &mut PgConnection, p: &Parsed, from: Option<i64>, cap: i64) -> QueryResult<i64> {
    let mut q = audit_log::table.select(audit_log::id).into_boxed::<Pg>();
    matching!(q, p, 0);
    if let Some(f) = from {
        q = q.filter(audit_log::id.ge(f));
    }
    Ok(q.order(audit_log::id.desc()).limit(cap + 1).load::<i64>(conn)?.len() as i64)
}

/// Entries about contacts a viewer who is no Administrator cannot see keep who, when and what
/// happened, but not the contact's data (their before and after): the audit log must not be a
/// way around SPEC 3. One query for the whole page.
pub fn redact(conn: &mut PgConnection, s: &crate::access::Subject, rows: &mut [Row]) -> QueryResult<()> {
    use crate::access::{filter, Level};
    if s.administrator {
        return Ok(());
    }
    let contact_id =
        |r: &Row| (r.object_type == "contact").then(|| r.object_id.as_deref()?.parse::<i64>().ok()).flatten();
    let ids: Vec<i64> = rows.iter().filter_map(contact_id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let visible: std::collections::HashSet<i64> = crate::db::sql::sql!(
        "SELECT c.id FROM contacts c WHERE c.id = ANY(",
        ids.as_slice(),
        ") AND (",
        filter::reaches(s, Level::View),
        ")"
    )
    .query()
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    for r in rows.iter_mut() {
        if contact_id(r).is_some_and(|id| !visible.contains(&id)) {
            r.before = None;
            r.after = Some(serde_json::json!({ "redacted": "a contact you cannot see" }));
        }
    }
    Ok(())
}

/// Keys whose number is a user's id in the stored before/after (and, for a main-owner change,
/// `from` / `to`).
const USER_KEYS: [&str; 8] =
    ["user_id", "owner_id", "main_owner_id", "manager_id", "action_user_id", "successor", "from", "to"];

fn user_ids_in(v: &serde_json::Value, out: &mut Vec<i64>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match x.as_i64() {
                    Some(id) if USER_KEYS.contains(&k.as_str()) => out.push(id),
                    _ => user_ids_in(x, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| user_ids_in(x, out)),
        _ => {}
    }
}

fn name_user_ids(v: &mut serde_json::Value, names: &std::collections::HashMap<i64, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x.as_i64().and_then(|id| names.get(&id).map(|n| (id, n))) {
                    Some((id, name)) if USER_KEYS.contains(&k.as_str()) => {
                        *x = serde_json::Value::String(format!("{name} (#{id})"))
                    }
                    _ => name_user_ids(x, names),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|x| name_user_ids(x, names)),
        _ => {}
    }
}

/// Shows the users a before/after names by id by their email ("main owner: sam@… (#4) →
/// max@… (#2)", not "4 → 2"); one query for the whole page. Users are not contacts: naming
/// them reveals nothing the users list does not.
pub fn name_users(conn: &mut PgConnection, rows: &mut [Row]) -> QueryResult<()> {
    let mut ids = Vec::new();
    for r in rows.iter() {
        r.before.iter().chain(r.after.iter()).for_each(|v| user_ids_in(v, &mut ids));
    }
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> =
        users::table.filter(users::id.eq_any(&ids)).select((users::id, users::email)).load(conn)?.into_iter().collect();
    for r in rows.iter_mut() {
        for v in r.before.iter_mut().chain(r.after.iter_mut()) {
            name_user_ids(v, &names);
        }
    }
    Ok(())
}

/// The actions and object types the log holds, for the filter's pickers. Runs on every page
/// of the log, which only grows: a `DISTINCT` would read all of it each time, so each list is
/// a loose index scan instead — one index probe per distinct value, on the `(action, …)` and
/// `(object_type, …)` indexes.
pub fn choices(conn: &mut PgConnection) -> QueryResult<(Vec<String>, Vec<String>)> {
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    // A loose index scan: one index probe per distinct value, not a scan of the whole log.
    macro_rules! distinct {
        ($column:literal) => {
            concat!(
                "WITH RECURSIVE d(v) AS ((SELECT ",
                $column,
                " FROM audit_log ORDER BY ",
                $column,
                " LIMIT 1) \
                 UNION ALL SELECT (SELECT ",
                $column,
                " FROM audit_log WHERE ",
                $column,
                " > d.v ORDER BY ",
                $column,
                " LIMIT 1) FROM d WHERE d.v IS NOT NULL) SELECT v FROM d WHERE v IS NOT NULL"
            )
        };
    }
    let distinct = |conn: &mut PgConnection, sql: &'static str| -> QueryResult<Vec<String>> {
        Ok(crate::db::sql::Sql::new(sql).query().load::<Value>(conn)?.into_iter().map(|r| r.v).collect())
    };
    Ok((distinct(conn, distinct!("action"))?, distinct(conn, distinct!("object_type"))?))
}
