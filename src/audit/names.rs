//! The names an audit entry mentions — its actor, its object, the users its before/after name
//! by id — loaded for a whole page in one statement, so a page of entries can be told as
//! sentences ("Ada Admin added Sid Seller to team “Sales”") without a query per entry.
//!
//! A contact the reader may not see is never named: its entry was redacted before
//! ([`super::query::redact`]), and a redacted entry's contact is not looked up.

use super::row::Row;
use diesel::prelude::*;
use serde_json::Value;
use std::collections::HashMap;

/// The names of the users and objects a page of entries mentions, by (object type, id).
#[derive(Default)]
pub struct Names(HashMap<(String, i64), String>);

/// Loads the names `rows` need, in one statement.
pub fn load(conn: &mut PgConnection, rows: &[Row]) -> QueryResult<Names> {
    let mut wanted: HashMap<&'static str, Vec<i64>> = HashMap::new();
    for r in rows {
        if let Some(id) = r.actor_id {
            wanted.entry("user").or_default().push(id);
        }
        for (kind, id) in mentions(r) {
            wanted.entry(kind).or_default().push(id);
        }
    }
    #[derive(QueryableByName)]
    struct Named {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let ids = |k: &str| wanted.get(k).cloned().unwrap_or_default();
    use diesel::sql_types::{Array, BigInt};
    let found: Vec<Named> = crate::db::query(
        "SELECT 'user' AS kind, id, coalesce(nullif(btrim(first_name || ' ' || last_name), ''), email) AS name \
           FROM users WHERE id = ANY($1) \
         UNION ALL SELECT 'contact', id, coalesce(nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''), email, '#' || id) \
           FROM contacts WHERE id = ANY($2) \
         UNION ALL SELECT 'team', id, name FROM teams WHERE id = ANY($3) \
         UNION ALL SELECT 'access_group', id, name FROM access_groups WHERE id = ANY($4) \
         UNION ALL SELECT 'preset', id, name FROM presets WHERE id = ANY($5) \
         UNION ALL SELECT 'automation_rule', id, name FROM automation_rules WHERE id = ANY($6) \
         UNION ALL SELECT 'template', id, name FROM message_templates WHERE id = ANY($7) \
         UNION ALL SELECT 'segment', id, name FROM segments WHERE id = ANY($8) \
         UNION ALL SELECT 'form', id, name FROM forms WHERE id = ANY($9) \
         UNION ALL SELECT 'api_token', id, name FROM api_tokens WHERE id = ANY($10)",
    )
    .bind::<Array<BigInt>, _>(ids("user"))
    .bind::<Array<BigInt>, _>(ids("contact"))
    .bind::<Array<BigInt>, _>(ids("team"))
    .bind::<Array<BigInt>, _>(ids("access_group"))
    .bind::<Array<BigInt>, _>(ids("preset"))
    .bind::<Array<BigInt>, _>(ids("automation_rule"))
    .bind::<Array<BigInt>, _>(ids("template"))
    .bind::<Array<BigInt>, _>(ids("segment"))
    .bind::<Array<BigInt>, _>(ids("form"))
    .bind::<Array<BigInt>, _>(ids("api_token"))
    .load(conn)?;
    Ok(Names(found.into_iter().map(|n| ((n.kind, n.id), n.name)).collect()))
}

impl Names {
    /// The name of the object of kind `kind` (see [`Row::object`]) numbered `id`, if it exists.
    pub fn get(&self, kind: &str, id: i64) -> Option<&str> {
        self.0.get(&(kind.to_string(), id)).map(String::as_str)
    }
}

/// The (object type, id) pairs an entry names: its object, and the users its before/after
/// name by id.
fn mentions(r: &Row) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    if let Some((kind, id)) = r.object() {
        if !(kind == "contact" && r.redacted()) {
            out.push((kind, id));
        }
    }
    for key in ["user_id", "to", "from", "successor"] {
        if let Some(id) = r.field(key).and_then(Value::as_i64) {
            out.push(("user", id));
        }
    }
    if let Some(id) = r.field("member").and_then(|m| m.get("user_id")).and_then(Value::as_i64) {
        out.push(("user", id));
    }
    out
}
