//! Bearer-token authentication of the JSON API.

use super::error::ApiError;
use crate::db::Db;
use actix_web::http::header;
use actix_web::HttpRequest;

/// Checks the bearer token of a request (401 unless it is a live token) and records its use.
pub async fn authenticate(req: &HttpRequest, db: &Db) -> Result<i64, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized("missing bearer token"))?;
    let token = value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized("the Authorization header must be \"Bearer <token>\""))?
        .to_string();
    db.run(move |c| Ok(crate::api_tokens::authenticate(c, &token)?))
        .await?
        .ok_or(ApiError::Unauthorized("invalid or revoked token"))
}
