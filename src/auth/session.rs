//! Typed access to the values Custodian keeps in a session: the signed-in user, the CSRF
//! token and flash messages.

use super::session_store::USER_ID_KEY;
use actix_session::Session;
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};

const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";

/// The signed-in user's id, if any.
pub fn user_id(session: &Session) -> Option<i64> {
    session.get::<i64>(USER_ID_KEY).ok().flatten()
}

/// Signs `user_id` in: a new session key (so a key fixed before sign-in is worthless) and a new
/// CSRF token.
pub fn sign_in(session: &Session, user_id: i64) -> Result<(), actix_session::SessionInsertError> {
    session.renew();
    session.remove(PENDING_KEY);
    session.insert(USER_ID_KEY, user_id)?;
    session.insert(CSRF_KEY, new_token())?;
    Ok(())
}

const PENDING_KEY: &str = "pending_sign_in";
/// How long the second step of a sign-in may wait after the password.
const PENDING_SECONDS: i64 = 600;

/// A sign-in whose password was right and whose second factor is still to come. The session
/// holds this, not a user id: nothing but the code (or enrolment) page is reachable with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    pub user_id: i64,
    /// As typed at the password step: the throttle's keys.
    pub email: String,
    pub next: String,
    /// The user must enrol first (their role requires two-factor and they have none).
    pub enrol: bool,
    since: i64,
}

/// The session key of the ID token of a sign-in through the identity provider (for its
/// logout); its presence also says the second factor was the provider's.
pub const ID_TOKEN_KEY: &str = "sso_id_token";

/// Starts the second step for `user_id`: a new session key and CSRF token, no user signed in.
pub fn begin_second_step(
    session: &Session,
    user_id: i64,
    email: &str,
    next: &str,
    enrol: bool,
) -> Result<(), actix_session::SessionInsertError> {
    session.renew();
    session.remove(USER_ID_KEY);
    let since = chrono::Utc::now().timestamp();
    session.insert(PENDING_KEY, Pending { user_id, email: email.into(), next: next.into(), enrol, since })?;
    session.insert(CSRF_KEY, new_token())?;
    Ok(())
}

/// The sign-in waiting for its second step, unless it has expired.
pub fn pending(session: &Session) -> Option<Pending> {
    let p: Pending = session.get(PENDING_KEY).ok().flatten()?;
    (chrono::Utc::now().timestamp() - p.since <= PENDING_SECONDS).then_some(p)
}

/// Ends the session: the store deletes its row.
pub fn sign_out(session: &Session) {
    session.purge();
}

fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 43)
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(CSRF_KEY) {
        return t;
    }
    let t = new_token();
    // An insert only fails on serialisation of a String, which cannot happen.
    let _ = session.insert(CSRF_KEY, &t);
    t
}

/// The CSRF token already in the session, without creating one.
pub fn existing_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF_KEY).ok().flatten()
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
    Info,
}

/// A message shown once on the next page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

impl Flash {
    pub fn css(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash-success",
            FlashKind::Error => "flash-error",
            FlashKind::Info => "flash-info",
        }
    }
}

/// Queues a flash message for the next page.
pub fn flash(session: &Session, kind: FlashKind, text: impl Into<String>) {
    let mut all: Vec<Flash> = session.get(FLASH_KEY).ok().flatten().unwrap_or_default();
    all.push(Flash { kind, text: text.into() });
    let _ = session.insert(FLASH_KEY, all);
}

/// Takes (and clears) the queued flash messages.
pub fn take_flashes(session: &Session) -> Vec<Flash> {
    let all: Vec<Flash> = session.get(FLASH_KEY).ok().flatten().unwrap_or_default();
    if !all.is_empty() {
        session.remove(FLASH_KEY);
    }
    all
}

const ENROLMENT_KEY: &str = "two_factor_enrolment";

/// The secret `user_id` is enrolling with in this session: made on the first showing of an
/// enrolment page and kept by the session alone (never stored for the account before a code
/// confirms it), so a reload or a mistyped code shows the same picture, while whatever an
/// earlier session showed — over a shoulder, in a screenshot — is not what gets confirmed.
pub fn enrolment_secret(session: &Session, user_id: i64) -> Result<String, actix_session::SessionInsertError> {
    if let Some((uid, secret)) = session.get::<(i64, String)>(ENROLMENT_KEY).ok().flatten() {
        if uid == user_id {
            return Ok(secret);
        }
    }
    let secret = super::two_factor::new_secret();
    session.insert(ENROLMENT_KEY, (user_id, &secret))?;
    Ok(secret)
}

/// The enrolment secret of this session for `user_id`, if a page showed one.
pub fn shown_enrolment_secret(session: &Session, user_id: i64) -> Option<String> {
    session.get::<(i64, String)>(ENROLMENT_KEY).ok().flatten().filter(|(uid, _)| *uid == user_id).map(|(_, s)| s)
}

/// Forgets the enrolment secret (confirmed, or the sign-in is over).
pub fn forget_enrolment_secret(session: &Session) {
    session.remove(ENROLMENT_KEY);
}
