//! The audit log: who did what to which object, with before/after as JSON.
//!
//! Entries are written with the same connection, inside the same transaction, as the change
//! they describe, so a change and its record commit or roll back together. The table is
//! append-only (a trigger refuses UPDATE, DELETE and TRUNCATE).

pub mod names;
pub mod query;
pub mod read;
pub mod row;
pub mod sentence;

pub use query::{history, provisioning_events};
pub use row::Row;

use crate::db::schema::audit_log;
use diesel::prelude::*;
use serde_json::Value;

/// Who acts, for checks and the audit log: a user at the screens (`via` none), or a user's
/// authority used through something else (a SCIM token), which the entry then names.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: i64,
    pub ip: Option<String>,
    /// What the change comes through when not the screens, e.g. "SCIM token Okta".
    pub via: Option<String>,
}

/// One audit entry, built fluently and written with [`Entry::record`].
#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    actor_id: Option<i64>,
    action: String,
    object_type: String,
    object_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
    ip: Option<String>,
    via: Option<String>,
}

impl Entry {
    /// `action` is a dotted verb such as `user.login` or `preset.update`.
    pub fn new(actor_id: Option<i64>, action: &str, object_type: &str, object_id: impl ToString) -> Entry {
        Entry {
            actor_id,
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: Some(object_id.to_string()),
            before: None,
            after: None,
            ip: None,
            via: None,
        }
    }

    /// An entry of a change `actor` made: their id, address and what it came through.
    pub fn by(actor: &Actor, action: &str, object_type: &str, object_id: impl ToString) -> Entry {
        Entry::new(Some(actor.id), action, object_type, object_id).ip(actor.ip.clone()).via(actor.via.clone())
    }

    pub fn before(mut self, v: Value) -> Entry {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: Value) -> Entry {
        self.after = Some(v);
        self
    }

    pub fn ip(mut self, ip: Option<String>) -> Entry {
        self.ip = ip;
        self
    }

    /// What the change came through, when not a person at the screens (e.g. "SCIM token Okta").
    pub fn via(mut self, via: Option<String>) -> Entry {
        self.via = via;
        self
    }

    /// Writes the entry with the caller's connection (and so in the caller's transaction).
    pub fn record(self, conn: &mut PgConnection) -> QueryResult<()> {
        diesel::insert_into(audit_log::table).values(&self).execute(conn).map(|_| ())
    }
}
