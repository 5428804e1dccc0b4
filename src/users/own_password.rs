//! A user changes their own password (the account page): the current one first, then a new
//! one by the wizard's strength rule, typed twice. Every other session of theirs ends with the
//! change (a session someone else opened with the old password goes with it); the caller
//! renews the session it came from.

use crate::accounts::{self as model};
use crate::audit;
use crate::db::schema::users;
use crate::validation::FieldErrors;
use chrono::Utc;
use diesel::prelude::*;

/// Why the password was not changed.
#[derive(Debug)]
pub enum Refused {
    /// The current password typed is not theirs (a failure for the sign-in throttle).
    WrongCurrent,
    /// The new password breaks the rule, beside its fields (`password`, `password_confirm`).
    Invalid(FieldErrors),
    /// Passwords are not used here: everyone signs in through the identity provider.
    SingleSignOnOnly,
}

pub const WRONG_CURRENT: &str = "This is not your current password.";
pub const SSO_ONLY: &str = "Passwords are not used here: your organisation signs in through its identity provider.";

/// Changes user `user_id`'s password, in the caller's transaction; returns how many of their
/// sessions ended (the caller's own included).
pub fn change(
    c: &mut PgConnection,
    user_id: i64,
    ip: Option<String>,
    current: &str,
    new: &str,
    confirm: &str,
) -> QueryResult<Result<usize, Refused>> {
    if crate::auth::sso_only::is_on(c)? {
        return Ok(Err(Refused::SingleSignOnOnly));
    }
    let user = model::find(c, user_id)?.ok_or(diesel::result::Error::NotFound)?;
    if !crate::auth::password::verify(current, &user.password_hash) {
        return Ok(Err(Refused::WrongCurrent));
    }
    let mut errors = FieldErrors::default();
    let inputs = [user.email.as_str(), user.first_name.as_str(), user.last_name.as_str(), current];
    super::validate::password(new, confirm, &inputs, true, &mut errors);
    if new == current && errors.is_empty() {
        errors.add("password", "Choose a password other than your current one.");
    }
    if !errors.is_empty() {
        return Ok(Err(Refused::Invalid(errors)));
    }
    let hash = crate::auth::password::hash(new)
        .map_err(|e| diesel::result::Error::QueryBuilderError(format!("password hash: {e}").into()))?;
    diesel::update(users::table.find(user_id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(Utc::now())))
        .execute(c)?;
    let ended = crate::auth::session_store::end_sessions_of(c, user_id)?;
    audit::Entry::new(Some(user_id), "user.password_changed", "user", user_id)
        .after(serde_json::json!({ "sessions_ended": ended }))
        .ip(ip)
        .record(c)?;
    Ok(Ok(ended))
}
