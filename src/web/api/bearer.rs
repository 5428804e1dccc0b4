//! Bearer-token authentication of the JSON API.

use super::error::ApiError;
use crate::api_tokens::{Authenticated, Scope};
use actix_web::http::header;
use actix_web::HttpRequest;
use diesel::PgConnection;

/// The token of `Authorization: Bearer <token>` (401 when the header is missing or malformed).
pub fn token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized("missing bearer token"))?;
    // The scheme's name is case-insensitive (RFC 9110 11.1).
    Ok(value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized("the Authorization header must be \"Bearer <token>\""))?
        .to_string())
}

/// Checks that `token` is live (401 otherwise) and made for the authorization API (403
/// otherwise), and records its use. Runs on the caller's connection, so an API call costs one
/// pool checkout.
pub fn authenticate(conn: &mut PgConnection, token: &str) -> Result<i64, ApiError> {
    Ok(authenticate_for(conn, token, Scope::Authorization)?.id)
}

/// [`authenticate`] for the given scope.
pub fn authenticate_for(conn: &mut PgConnection, token: &str, scope: Scope) -> Result<Authenticated, ApiError> {
    let t = match crate::api_tokens::authenticate(conn, token)? {
        Ok(t) => t,
        Err(crate::api_tokens::Refused::Unknown) => return Err(ApiError::Unauthorized("invalid or revoked token")),
        Err(crate::api_tokens::Refused::Creator(why)) => return Err(ApiError::Forbidden(why)),
    };
    if !t.allows(scope) {
        return Err(ApiError::Forbidden(format!("this token is not for {}", scope.label())));
    }
    Ok(t)
}
