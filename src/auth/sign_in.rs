//! Signing in with a password, as policy: the attempt is counted before anything is checked
//! ([`throttle::admit`]); a right password signs in only an active user, only an Administrator
//! when "SSO only" is on, and only after the second step when two-factor is enrolled or
//! required; a wrong one is recorded. The screens verify the password off the database
//! threads between [`attempt`] and [`conclude`], and keep the session.

use super::{sso_only, throttle, two_factor};
use crate::accounts::{self, User};
use crate::audit;
use crate::permissions::Role;
use diesel::prelude::*;

/// A password attempt, counted and read before the password is checked.
pub struct Attempt {
    pub keys: throttle::Keys,
    pub admission: throttle::Admission,
    /// The account the email names (a wrong password is checked against a dummy hash when
    /// none, so the answer takes as long).
    pub user: Option<User>,
    sso_only: bool,
    enrolled: bool,
    required: bool,
}

/// How a password attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Too many failures: refused unchecked.
    Locked,
    /// Right password, but password sign-in is for Administrators only ("SSO only").
    SsoOnly,
    /// Wrong password (or no such account); `failures` of this account from this address.
    Failed {
        failures: i32,
    },
    Deactivated,
    /// Right password; the second factor comes next (`enrol`: set it up first).
    SecondStep {
        user_id: i64,
        enrol: bool,
    },
    /// Signed in (recorded): the session may start.
    SignedIn {
        user_id: i64,
    },
}

/// Counts the attempt of `email` from `ip` and reads what the answer depends on.
/// `sso_configured`: single sign-on is set up (only then can "SSO only" apply).
pub fn attempt(conn: &mut PgConnection, email: &str, ip: &str, sso_configured: bool) -> QueryResult<Attempt> {
    let keys = throttle::keys(conn, email, ip)?;
    let admission = throttle::admit(conn, &keys)?;
    let user = accounts::find_by_email(conn, email)?;
    let sso_only = sso_configured && sso_only::is_on(conn)?;
    let (enrolled, required) = match &user {
        Some(u) => (two_factor::status(conn, u.id)?.enrolled, two_factor::required_for(conn, &u.role)?),
        None => (false, false),
    };
    Ok(Attempt { keys, admission, user, sso_only, enrolled, required })
}

/// The outcome of `a` once its password was checked (`right`; never checked when locked), and
/// what follows from it: a right password that signs nobody in yet (a second step) or at all
/// gives its attempt back; a wrong one is audited; a sign-in is recorded. Call it in one
/// transaction.
pub fn conclude(
    conn: &mut PgConnection,
    a: &Attempt,
    right: bool,
    typed: &str,
    ip: Option<String>,
) -> QueryResult<Outcome> {
    let throttle::Admission::Admitted { pair, .. } = a.admission else { return Ok(Outcome::Locked) };
    let outcome = match (&a.user, right) {
        (Some(u), true) if u.is_active() && a.sso_only && u.role() != Role::Administrator => Outcome::SsoOnly,
        (Some(u), true) if u.is_active() && (a.enrolled || a.required) => {
            Outcome::SecondStep { user_id: u.id, enrol: !a.enrolled }
        }
        (Some(u), true) if u.is_active() => Outcome::SignedIn { user_id: u.id },
        (Some(_), true) => Outcome::Deactivated,
        _ => Outcome::Failed { failures: pair },
    };
    match outcome {
        Outcome::SsoOnly | Outcome::Deactivated | Outcome::SecondStep { .. } => throttle::give_back(conn, &a.keys)?,
        Outcome::SignedIn { user_id } => complete(conn, user_id, Some(&a.keys), ip, "password")?,
        Outcome::Failed { .. } => {
            // Already counted by `throttle::admit`: only the audit is left to write.
            let user_id = a.user.as_ref().map(|u| u.id);
            audit::Entry::new(user_id, "user.login_failed", "user", user_id.map(|i| i.to_string()).unwrap_or_default())
                .after(serde_json::json!({ "email": typed }))
                .ip(ip)
                .record(conn)?;
        }
        Outcome::Locked => {}
    }
    Ok(outcome)
}

/// Completes a sign-in by any way (`method`: password, two_factor, recovery_code,
/// single_sign_on): clears the throttle's `keys` (when the last factor has not already) and
/// records it. The caller then signs the session in under a new key.
pub fn complete(
    conn: &mut PgConnection,
    user_id: i64,
    keys: Option<&throttle::Keys>,
    ip: Option<String>,
    method: &str,
) -> QueryResult<()> {
    if let Some(keys) = keys {
        throttle::succeeded(conn, keys)?;
    }
    accounts::record_sign_in(conn, user_id)?;
    audit::Entry::new(Some(user_id), "user.login", "user", user_id)
        .after(serde_json::json!({ "method": method }))
        .ip(ip)
        .record(conn)
}

/// Counts a second-factor attempt of `user_id` (whose email is `email`) from `ip`, before the
/// code is checked: codes count per address as passwords do, and per account across addresses
/// too.
pub fn second_step_attempt(
    conn: &mut PgConnection,
    user_id: i64,
    email: &str,
    ip: &str,
) -> QueryResult<(throttle::Keys, throttle::Admission)> {
    let keys = throttle::keys(conn, email, ip)?.second_step(user_id);
    let admission = throttle::admit(conn, &keys)?;
    Ok((keys, admission))
}

/// What follows a checked second factor: a right one takes the attempts back, a wrong one is
/// audited. Call it in the transaction that checked the code.
pub fn second_step_checked(
    conn: &mut PgConnection,
    keys: &throttle::Keys,
    user_id: i64,
    right: bool,
    ip: Option<String>,
) -> QueryResult<()> {
    if right {
        throttle::succeeded(conn, keys)
    } else {
        audit::Entry::new(Some(user_id), "user.two_factor_failed", "user", user_id).ip(ip).record(conn)
    }
}

/// Records a sign-out.
pub fn signed_out(conn: &mut PgConnection, user_id: i64, ip: Option<String>) -> QueryResult<()> {
    audit::Entry::new(Some(user_id), "user.logout", "user", user_id).ip(ip).record(conn)
}
