//! The searches of the authorization API (AuthZEN), each the same answer as a screen gives:
//! which contacts a user may do P on (the contact list's index-driven query, newest first),
//! which users may do P on a contact (the card's "who can see this contact and why"), and
//! which catalog keys a user may use on a contact. Every result, asked about one by one,
//! is allowed by [`super::check`].

use super::level::Level;
use super::ops::{self, Operation};
use super::rules::{ContactFacts, Subject};
use super::{facts, pages};
use crate::db::sql::{Bind, Sql};
use crate::permissions::Perm;
use diesel::prelude::*;

/// The level a key needs on a contact, or `None` when the subject cannot use it on any contact
/// (the permission part of the operation table fails before any contact is looked at).
fn needed_level(s: &Subject, perm: Perm) -> Option<Level> {
    match Operation::for_perm(perm) {
        Some(op) => ops::permits_at_all(s, op).ok().map(|()| op.requirement().1),
        None => s.perms.contains(perm).then_some(Level::View),
    }
}

/// At most `n` ids, newest first and below `before` when given, of the contacts `s` may do
/// `perm` on.
pub fn contacts_for(
    conn: &mut PgConnection,
    s: &Subject,
    perm: Perm,
    before: Option<i64>,
    n: i64,
) -> QueryResult<Vec<i64>> {
    let Some(level) = needed_level(s, perm) else { return Ok(Vec::new()) };
    let mut conditions = Sql::default();
    if let Some(b) = before {
        conditions.push(" AND c.id < ").bind(Bind::I64(b));
    }
    pages::newest_ids(conn, s, level, &conditions, n)
}

/// The active users (id, email), by id, who may do `perm` on the contact of `c`.
pub fn users_for(conn: &mut PgConnection, c: &ContactFacts, perm: Perm) -> QueryResult<Vec<(i64, String)>> {
    let mut users: Vec<(i64, String)> = facts::all_active_subjects(conn)?
        .into_iter()
        .filter(|(_, s)| super::check(s, c, perm).allowed)
        .map(|(u, _)| (u.id, u.email))
        .collect();
    users.sort_unstable();
    Ok(users)
}

/// The catalog keys, in catalog order, that `s` may use on the contact of `c`.
pub fn keys_for(s: &Subject, c: &ContactFacts) -> Vec<Perm> {
    crate::permissions::catalog::ALL.iter().copied().filter(|p| super::check(s, c, *p).allowed).collect()
}
