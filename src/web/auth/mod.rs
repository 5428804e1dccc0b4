//! Sign-in, sign-out and first-start setup screens.

pub mod login;
pub mod setup;
pub mod sso;
pub mod two_factor;

use crate::auth::{session, sign_in};
use crate::db::Db;
use crate::error::AppError;
use actix_session::Session;
use anyhow::Context;

/// Completes a sign-in by a second factor or the provider (`sign_in::complete`), then signs
/// the session in under a new key.
pub async fn signed_in(
    db: &Db,
    session: &Session,
    user_id: i64,
    ip: Option<String>,
    method: &'static str,
) -> Result<(), AppError> {
    db.transaction(move |c| Ok(sign_in::complete(c, user_id, None, ip, method)?)).await?;
    session::sign_in(session, user_id).context("session")?;
    Ok(())
}
