//! "Why": the decision of SPEC 3 told in sentences, both ways round — every user who reaches a
//! contact and by which paths, and for one user, the paths that count, the ones that do not
//! and why. The contact card shows both; both come from [`super::rules::decide`], so what
//! they say is what the checks do.

use super::ends::Ending;
use super::rules::{decide, ContactFacts, Decision};
use super::{facts, Level};
use crate::permissions::Perm;
use diesel::prelude::*;

/// A user who reaches the contact, and how.
pub struct Who {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub level: Level,
    pub reasons: Vec<String>,
    /// Without contacts.view they reach it (e.g. for sending) but never see it in the console.
    pub has_view: bool,
}

/// One user's decision on one contact, in words.
pub struct Why {
    pub email: String,
    pub level: Level,
    pub reasons: Vec<String>,
    pub blocked: Vec<String>,
    pub denial: Option<&'static str>,
}

/// `d` (the decision for user `user_id` with `email`) in words, each path with its end.
pub fn explain(email: String, user_id: i64, d: &Decision, ending: &Ending) -> Why {
    Why {
        email,
        level: d.level,
        reasons: d.paths.iter().map(|p| format!("{} → {}", ending.describe(user_id, p), p.level().words())).collect(),
        blocked: d
            .blocked
            .iter()
            .map(|(p, den)| format!("{} — not counted: {}", ending.describe(user_id, p), den.describe()))
            .collect(),
        denial: d.denial.map(|x| x.describe()),
    }
}

/// Every active user who reaches the contact at least for viewing, with their paths (each with
/// its end).
pub fn who_reaches(conn: &mut PgConnection, cf: &ContactFacts, ending: &Ending) -> QueryResult<Vec<Who>> {
    Ok(facts::all_active_subjects(conn)?
        .iter()
        .filter_map(|(u, subj)| {
            let d = decide(subj, cf);
            (d.level >= Level::View).then(|| Who {
                id: u.id,
                email: u.email.clone(),
                name: u.name.clone(),
                level: d.level,
                reasons: d.paths.iter().map(|p| ending.describe(u.id, p)).collect(),
                has_view: subj.perms.contains(Perm::ContactsView),
            })
        })
        .collect())
}

/// Why the user with `email` can or cannot reach the contact (a "no such user" answer when
/// none has it).
pub fn why(conn: &mut PgConnection, email: &str, cf: &ContactFacts, ending: &Ending) -> QueryResult<Why> {
    let found = crate::accounts::find_by_email(conn, email)?;
    let subject = match found {
        Some(u) => facts::subject(conn, u.id)?,
        None => None,
    };
    Ok(match subject {
        Some(s) => explain(email.to_string(), s.user_id, &decide(&s, cf), ending),
        None => Why {
            email: email.to_string(),
            level: Level::None,
            reasons: vec![],
            blocked: vec![],
            denial: Some("there is no user with this email"),
        },
    })
}
