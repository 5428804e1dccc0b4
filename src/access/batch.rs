//! Many questions "may user U do P (on contact C)?" answered at once, as the authorization API
//! asks them: every user named in two queries at most (ids, then emails), every contact in
//! one, a permission without a contact once per (user, key). Each answer is SPEC 3's through
//! [`super::check`] or [`super::check_permission`], so a batch answers what single questions
//! would.

use super::rules::{ContactFacts, Subject};
use super::{facts, Level, Unknown};
use crate::permissions::Perm;
use diesel::prelude::*;
use std::collections::HashMap;

/// A user named by id or by email.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserRef {
    Id(i64),
    /// Lower-cased.
    Email(String),
}

impl std::fmt::Display for UserRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserRef::Id(i) => write!(f, "{i}"),
            UserRef::Email(e) => f.write_str(e),
        }
    }
}

/// What a question is about.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    Contact(i64),
    /// No contact: the permission alone.
    Crm,
}

/// One question, or why it could not be read: it names a user, key, contact or kind of
/// resource that does not exist (answered as a deny with that reason, `unknown`).
pub type Question = Result<(UserRef, Perm, Target), String>;

/// One answer.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub allowed: bool,
    pub reason: String,
    /// The user's level on the contact (questions about a contact only).
    pub level: Option<Level>,
    /// Something the question names does not exist.
    pub unknown: bool,
}

impl Verdict {
    /// A question about something that does not exist.
    fn unknown(reason: String) -> Verdict {
        Verdict { allowed: false, reason, level: None, unknown: true }
    }
}

/// Every user a set of questions names.
struct Users {
    by_id: HashMap<i64, Subject>,
    by_email: HashMap<String, i64>,
}

impl Users {
    fn load(conn: &mut PgConnection, refs: &[&UserRef]) -> QueryResult<Users> {
        let emails: Vec<&str> = refs
            .iter()
            .filter_map(|r| match r {
                UserRef::Email(e) => Some(e.as_str()),
                UserRef::Id(_) => None,
            })
            .collect();
        let by_email: HashMap<String, i64> =
            crate::accounts::ids_by_email(conn, &emails)?.into_iter().map(|(e, id)| (e.to_lowercase(), id)).collect();
        let mut ids: Vec<i64> = refs
            .iter()
            .filter_map(|r| match r {
                UserRef::Id(i) => Some(*i),
                UserRef::Email(_) => None,
            })
            .collect();
        ids.extend(by_email.values());
        ids.sort_unstable();
        ids.dedup();
        let by_id = facts::signed_in_many(conn, &ids)?.into_iter().map(|(u, s)| (u.id, s)).collect();
        Ok(Users { by_id, by_email })
    }

    fn get(&self, r: &UserRef) -> Option<&Subject> {
        let id = match r {
            UserRef::Id(i) => *i,
            UserRef::Email(e) => *self.by_email.get(e)?,
        };
        self.by_id.get(&id)
    }
}

/// The user `r` names, if there is one.
pub fn subject(conn: &mut PgConnection, r: &UserRef) -> QueryResult<Option<Subject>> {
    Ok(Users::load(conn, &[r])?.get(r).cloned())
}

/// The answers to `questions`, in order.
pub fn decide_all(conn: &mut PgConnection, questions: &[Question]) -> QueryResult<Vec<Verdict>> {
    let refs: Vec<&UserRef> = questions.iter().filter_map(|q| q.as_ref().ok().map(|(u, _, _)| u)).collect();
    let users = Users::load(conn, &refs)?;
    let mut contact_ids: Vec<i64> = questions
        .iter()
        .filter_map(|q| match q {
            Ok((_, _, Target::Contact(id))) => Some(*id),
            _ => None,
        })
        .collect();
    contact_ids.sort_unstable();
    contact_ids.dedup();
    let contacts: HashMap<i64, ContactFacts> =
        facts::contacts(conn, &contact_ids)?.into_iter().map(|c| (c.contact_id, c)).collect();
    let mut without_contact: HashMap<(i64, Perm), Verdict> = HashMap::new();
    let mut out = Vec::with_capacity(questions.len());
    for q in questions {
        let (who, perm, target) = match q {
            Ok(x) => x,
            Err(reason) => {
                out.push(Verdict::unknown(reason.clone()));
                continue;
            }
        };
        let Some(subject) = users.get(who) else {
            out.push(Verdict::unknown(format!("no user {who}")));
            continue;
        };
        let verdict = match target {
            Target::Contact(id) => match contacts.get(id) {
                Some(c) => {
                    let check = super::check(subject, c, *perm);
                    Verdict { allowed: check.allowed, reason: check.reason, level: Some(check.level), unknown: false }
                }
                None => Verdict::unknown(format!("no contact {id}")),
            },
            Target::Crm => {
                let key = (subject.user_id, *perm);
                if let Some(v) = without_contact.get(&key) {
                    v.clone()
                } else {
                    let v = match super::check_permission(conn, subject.user_id, *perm)? {
                        Ok(p) => Verdict { allowed: p.allowed, reason: p.reason, level: None, unknown: false },
                        Err(Unknown::User | Unknown::Contact) => {
                            Verdict::unknown(format!("no user {}", subject.user_id))
                        }
                    };
                    without_contact.insert(key, v.clone());
                    v
                }
            }
        };
        out.push(verdict);
    }
    Ok(out)
}
