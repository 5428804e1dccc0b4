//! The JSON endpoints of the authorization API (SPEC 7), authenticated by
//! `Authorization: Bearer <token>` (no session, no CSRF):
//! - GET /api/v1/users/{id}/permissions: a user's effective permission keys;
//! - POST /api/v1/check: may user U do permission P (on contact C)?

use super::bearer;
use super::error::ApiError;
use crate::access::Unknown;
use crate::accounts as users_model;
use crate::db::Db;
use crate::permissions::{store, Perm};
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};

fn unknown_user(id: i64) -> ApiError {
    unknown_user_text(&id.to_string())
}

fn unknown_user_text(id: &str) -> ApiError {
    ApiError::NotFound(format!("no user with id {id}"))
}

/// A user's effective permissions.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PermissionsBody {
    user_id: i64,
    role: String,
    status: String,
    /// Effective keys in catalog order; empty unless the user is active.
    permissions: Vec<&'static str>,
    /// SPEC 2.4 data settings, which narrow what the keys give.
    disable_export: bool,
    only_owned: bool,
}

/// GET /api/v1/users/{id}/permissions.
#[utoipa::path(
    get, path = "/api/v1/users/{id}/permissions", tag = "Custodian API v1",
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 200, description = "The user's effective permission keys and data settings", body = PermissionsBody),
        (status = 400, description = "The address holds a control character or invalid text", body = super::error::ErrorBody),
        (status = 401, description = "Missing, invalid or revoked token", body = super::error::ErrorBody),
        (status = 403, description = "The token is not for the authorization API", body = super::error::ErrorBody),
        (status = 404, description = "No such user", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
pub async fn permissions(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let token = bearer::token(&req)?;
    let id = id.into_inner();
    let body = db
        .run(move |c| {
            if let Err(e) = bearer::authenticate(c, &token) {
                return Ok(Err(e));
            }
            let Ok(id) = id.parse::<i64>() else { return Ok(Err(unknown_user_text(&id))) };
            let Some(user) = users_model::find(c, id)? else {
                return Ok(Err(unknown_user(id)));
            };
            let keys = if user.is_active() { store::effective_of(c, id)?.keys() } else { Vec::new() };
            Ok(Ok(PermissionsBody {
                user_id: user.id,
                role: user.role,
                status: user.status,
                permissions: keys,
                disable_export: user.disable_export,
                only_owned: user.only_owned,
            }))
        })
        .await??;
    Ok(HttpResponse::Ok().json(body))
}

/// The body of POST /api/v1/check.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    user_id: i64,
    permission: String,
    contact_id: Option<i64>,
}

/// The answer of POST /api/v1/check. (Named `CheckDecision` in the OpenAPI document: AuthZEN
/// has a `Decision` of its own, and one name would make one schema of the two.)
#[derive(Serialize, Debug, utoipa::ToSchema)]
#[schema(as = CheckDecision)]
pub struct Decision {
    pub allowed: bool,
    /// The access level to the contact; `null` when no contact was asked about.
    pub level: Option<&'static str>,
    pub reason: String,
}

/// POST /api/v1/check. One pool checkout: the token, then (for a contact) one query for the
/// user and one for the contact.
#[utoipa::path(
    post, path = "/api/v1/check", tag = "Custodian API v1",
    request_body = CheckRequest,
    responses(
        (status = 200, description = "The decision, its access level and its reason", body = Decision),
        (status = 400, description = "Malformed body or unknown permission key", body = super::error::ErrorBody),
        (status = 401, description = "Missing, invalid or revoked token", body = super::error::ErrorBody),
        (status = 403, description = "The token is not for the authorization API", body = super::error::ErrorBody),
        (status = 404, description = "No such user or contact", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
pub async fn check(req: HttpRequest, db: web::Data<Db>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let token = bearer::token(&req)?;
    // Parsed before the database is asked, answered after the token is checked (401 first).
    let ask = parse_check(&body);
    let decision = db
        .run(move |c| {
            if let Err(e) = bearer::authenticate(c, &token) {
                return Ok(Err(e));
            }
            let (ask, perm) = match ask {
                Ok(a) => a,
                Err(e) => return Ok(Err(e)),
            };
            Ok(match ask.contact_id {
                Some(contact_id) => contact_check(c, ask.user_id, perm, contact_id),
                None => permission_check(c, ask.user_id, perm),
            })
        })
        .await??;
    Ok(HttpResponse::Ok().json(decision))
}

fn parse_check(body: &[u8]) -> Result<(CheckRequest, Perm), ApiError> {
    let ask: CheckRequest =
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("malformed request body: {e}")))?;
    let perm = Perm::from_key(&ask.permission)
        .ok_or_else(|| ApiError::BadRequest(format!("unknown permission key {:?}", ask.permission)))?;
    Ok((ask, perm))
}

/// The contact-less branch of the check: `access::check_permission` decides.
fn permission_check(c: &mut PgConnection, user_id: i64, perm: Perm) -> Result<Decision, ApiError> {
    match crate::access::check_permission(c, user_id, perm)? {
        Ok(check) => Ok(Decision { allowed: check.allowed, level: None, reason: check.reason }),
        Err(_) => Err(unknown_user(user_id)),
    }
}

/// Any other path or method under /api/: a JSON 404, not the HTML error page.
pub async fn no_such_endpoint() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such API endpoint".to_string()))
}

/// The contact branch of the check: the access rules of SPEC 3 decide (`access::check_contact`),
/// the same decision the console's screens use.
fn contact_check(c: &mut PgConnection, user_id: i64, perm: Perm, contact_id: i64) -> Result<Decision, ApiError> {
    match crate::access::check_contact(c, user_id, perm, contact_id)? {
        Ok(check) => Ok(Decision { allowed: check.allowed, level: Some(check.level.as_str()), reason: check.reason }),
        Err(Unknown::User) => Err(unknown_user(user_id)),
        Err(Unknown::Contact) => Err(ApiError::NotFound(format!("no contact {contact_id}"))),
    }
}
