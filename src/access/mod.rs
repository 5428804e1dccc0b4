//! Who may do what with a contact (SPEC section 3). This module owns the rules; nothing else in
//! the application decides contact access.
//!
//! - [`rules::decide`]: the decision for one user and one contact, with every path that grants
//!   access and the rule that denies it (the explainer reads the same result).
//! - `paths`: rules 2 to 4 described once, rendered as every SQL shape below.
//! - [`filter::reaches`]: the same rules as a SQL predicate for lists, bulk actions and sending;
//!   [`filter::count`] how many; [`pages`] the contact list's pages; [`reach`] the user card's
//!   path-by-path counts.
//! - [`explain`]: the decision in sentences, both ways round; [`batch`]: many questions at once
//!   (the authorization API).
//! - [`authority`]: who may make a change that is not about one contact.
//! - [`ops`]: the operation table (permission + level per operation).
//! - [`grant`]: the no-escalation rule every write path that changes who has what obeys.
//! - [`ends`]: access that ends on time (the rule is the database's views; this reads and words
//!   an end).

pub mod authority;
pub mod batch;
pub mod ends;
pub mod escalation;
pub mod explain;
pub mod facts;
pub mod filter;
pub mod level;
pub mod ops;
pub mod pages;
mod paths;
pub mod reach;
pub mod rules;
pub mod search;

pub use level::Level;
pub use ops::{Operation, Refusal};
pub use rules::{ContactFacts, Decision, Denial, Path, Subject};

use diesel::prelude::*;

/// Why an operation on a contact is refused, as a browser should learn of it.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    /// The contact does not exist, or the user cannot even see it (its existence is not
    /// revealed).
    #[error("not found")]
    NotFound,
    /// The user sees the contact but may not do this (the reason is for the log).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The decision for a user and a contact (`NotFound` when the contact does not exist).
pub fn decision(conn: &mut PgConnection, s: &Subject, contact_id: i64) -> Result<(ContactFacts, Decision), Denied> {
    let facts = facts::contact(conn, contact_id)?.ok_or(Denied::NotFound)?;
    let d = rules::decide(s, &facts);
    Ok((facts, d))
}

/// Authorizes `op` on a contact for the user, or answers as a browser should learn of it:
/// a contact the user cannot even see is "not found" (its existence is not revealed), a
/// visible contact the user may not change is "forbidden".
pub fn authorize(
    conn: &mut PgConnection,
    s: &Subject,
    contact_id: i64,
    op: Operation,
) -> Result<(ContactFacts, Decision), Denied> {
    let (facts, d) = decision(conn, s, contact_id)?;
    match ops::permits(s, &d, op) {
        Ok(()) => Ok((facts, d)),
        Err(_) if d.level == Level::None || !s.perms.contains(crate::permissions::Perm::ContactsView) => {
            Err(Denied::NotFound)
        }
        Err(r) => Err(Denied::Forbidden(format!("contact {contact_id}: {}", r.describe()))),
    }
}

/// The answer of the authorization API for "may user U do P on contact C".
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub allowed: bool,
    pub level: Level,
    pub reason: String,
}

/// What the authorization API was asked about and does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    User,
    Contact,
}

/// May `user_id` do `perm` on `contact_id`? Two queries: the user, then the contact.
pub fn check_contact(
    conn: &mut PgConnection,
    user_id: i64,
    perm: crate::permissions::Perm,
    contact_id: i64,
) -> QueryResult<Result<Check, Unknown>> {
    let Some(s) = facts::subject(conn, user_id)? else { return Ok(Err(Unknown::User)) };
    let Some(c) = facts::contact(conn, contact_id)? else { return Ok(Err(Unknown::Contact)) };
    Ok(Ok(check(&s, &c, perm)))
}

/// May subject `s` do `perm` on the contact of `c`? The decision of SPEC 3 and the operation
/// table, with the reason sentence of the explainer. Keys outside the table need only that the
/// contact be visible. (No database: batches load their facts first.)
pub fn check(s: &Subject, c: &ContactFacts, perm: crate::permissions::Perm) -> Check {
    let d = rules::decide(s, c);
    let why_level = match (&d.denial, d.paths.iter().max_by_key(|p| p.level())) {
        (Some(den), _) => den.describe().to_string(),
        (None, Some(p)) => p.describe(),
        (None, None) => String::new(),
    };
    let outcome = match Operation::for_perm(perm) {
        Some(op) => ops::permits(s, &d, op),
        None if !s.perms.contains(perm) => Err(Refusal::MissingPermission(perm)),
        None if d.level == Level::None => Err(Refusal::Level { have: Level::None, need: Level::View }),
        None => Ok(()),
    };
    match outcome {
        Ok(()) => Check { allowed: true, level: d.level, reason: format!("allowed: holds {perm} and {why_level}") },
        Err(r) => Check { allowed: false, level: d.level, reason: format!("denied: {}; {why_level}", r.describe()) },
    }
}

/// The answer of the authorization API for "may user U do P" when no contact is involved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PermissionCheck {
    pub allowed: bool,
    pub reason: String,
}

/// May `user_id` do `perm` at all (no contact)? Allowed iff the user is active, holds the key
/// and, for an operation on contacts, nothing else refuses it (e.g. "disable export"). The
/// reason names where the key comes from: a preset, a per-user grant, or the revoke.
pub fn check_permission(
    conn: &mut PgConnection,
    user_id: i64,
    perm: crate::permissions::Perm,
) -> QueryResult<Result<PermissionCheck, Unknown>> {
    let Some((user, s)) = facts::signed_in(conn, user_id)? else { return Ok(Err(Unknown::User)) };
    let deny = |reason: String| Ok(Ok(PermissionCheck { allowed: false, reason }));
    if !s.active {
        return deny(format!("user {} is {}", user.id, user.status));
    }
    let refusal = match Operation::for_perm(perm) {
        Some(op) => ops::permits_at_all(&s, op).err(),
        None => (!s.perms.contains(perm)).then_some(Refusal::MissingPermission(perm)),
    };
    let sources = crate::permissions::store::sources(conn, user_id)?;
    match refusal {
        Some(Refusal::MissingPermission(_)) if sources.revokes.contains(perm) => {
            deny(format!("{perm} is revoked for this user by a per-user override"))
        }
        Some(Refusal::MissingPermission(_)) => {
            deny(format!("user does not hold {perm}: none of their presets or overrides gives it"))
        }
        Some(r) => deny(r.describe()),
        None => {
            let via: Vec<&str> =
                sources.presets.iter().filter(|(_, _, s)| s.contains(perm)).map(|(_, n, _)| n.as_str()).collect();
            let reason = if via.is_empty() {
                format!("user holds {perm} through a per-user grant")
            } else {
                format!("user holds {perm} through preset {}", via.join(", "))
            };
            Ok(Ok(PermissionCheck { allowed: true, reason }))
        }
    }
}
