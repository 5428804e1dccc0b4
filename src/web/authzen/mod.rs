//! The OpenID AuthZEN Authorization API 1.0: Custodian as a Policy Decision Point, so an API
//! gateway or a service asks "may U do P (on C)?" in the standard's words. The same bearer
//! tokens as `/api/v1/*`; a missing or bad one is a 401 with `WWW-Authenticate: Bearer`.
//! `X-Request-ID` is echoed. Subjects are users (`type` "user", `id` a user id or email);
//! actions are catalog keys; resources are contacts (`type` "contact") or, for permissions
//! that concern no contact, the CRM as a whole (`type` "crm", any id).

pub mod body;
pub mod evaluate;
pub mod model;
pub mod search;

use crate::db::Db;
use crate::web::api::bearer;
use crate::web::api::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::PgConnection;
use model::{
    ActionSearchResponse, Decision, EntitySearchResponse, EvaluationRequest, EvaluationsAnswer, EvaluationsRequest,
    Metadata, SearchRequest,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Middleware of the whole application (outermost, so that refusals made before any handler
/// carry it too): an answer under `/access/v1`, and the AuthZEN metadata, carry the request's
/// `X-Request-ID`.
pub async fn echo_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let ours = path.starts_with("/access/v1/") || path == "/.well-known/authzen-configuration";
    let id: Option<HeaderValue> = ours.then(|| req.headers().get(&REQUEST_ID).cloned()).flatten();
    let mut res = next.call(req).await?;
    if let Some(id) = id {
        res.headers_mut().insert(REQUEST_ID, id);
    }
    Ok(res)
}

/// Authenticates the token, parses the body as `B` and answers with what `work` makes of it:
/// one pool checkout; 401 before 400 (a caller without a token learns nothing of the body).
async fn answer<B, R>(
    req: &HttpRequest,
    db: &Db,
    body: &[u8],
    work: impl FnOnce(&mut PgConnection, B) -> Result<R, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError>
where
    B: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
{
    let token = bearer::token(req)?;
    let parsed: Result<B, ApiError> = body::read(req, body);
    let out = db
        .run(move |c| {
            if let Err(e) = bearer::authenticate(c, &token) {
                return Ok(Err(e));
            }
            Ok(parsed.and_then(|b| work(c, b)))
        })
        .await??;
    Ok(HttpResponse::Ok().json(out))
}

/// May the subject do the action on the resource?
#[utoipa::path(
    post, path = "/access/v1/evaluation", tag = "AuthZEN",
    request_body = EvaluationRequest,
    responses(
        (status = 200, description = "The decision (a deny is a 200 too)", body = Decision),
        (status = 400, description = "A required part is missing, or the body is not one JSON object of application/json, names a member twice or has a member of the wrong type", body = crate::web::api::error::ErrorBody),
        (status = 401, description = "Missing, invalid or revoked token", body = crate::web::api::error::ErrorBody),
        (status = 403, description = "The token is not for the authorization API", body = crate::web::api::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
pub async fn evaluation(req: HttpRequest, db: web::Data<Db>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    answer(&req, &db, &body, |c, item: EvaluationRequest| {
        let ask = evaluate::complete(item, &EvaluationRequest::default()).map_err(ApiError::BadRequest)?;
        Ok(evaluate::decide_all(c, &[Ok(ask)])?.remove(0))
    })
    .await
}

/// Several questions at once, with defaults at the top level.
#[utoipa::path(
    post, path = "/access/v1/evaluations", tag = "AuthZEN",
    request_body = EvaluationsRequest,
    responses(
        (status = 200, description = "The decisions, in order (cut short as `evaluations_semantic` says); without `evaluations`, the single decision", body = EvaluationsAnswer),
        (status = 400, description = "The body is not one JSON object of application/json, names a member twice or has a member of the wrong type, or (without items) the top level misses a part; an item missing a part is that item's deny", body = crate::web::api::error::ErrorBody),
        (status = 401, description = "Missing, invalid or revoked token", body = crate::web::api::error::ErrorBody),
        (status = 403, description = "The token is not for the authorization API", body = crate::web::api::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
pub async fn evaluations(req: HttpRequest, db: web::Data<Db>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    answer(&req, &db, &body, |c, batch: EvaluationsRequest| Ok(evaluate::respond(c, evaluate::batch(batch)?)?)).await
}

/// Which contacts may the subject do the action on? (Newest first, paged.)
#[utoipa::path(
    post, path = "/access/v1/search/resource", tag = "AuthZEN",
    request_body = SearchRequest,
    responses(
        (status = 200, description = "A page of contacts", body = EntitySearchResponse),
        (status = 400, description = "A required part is missing, or the page token is not this search's", body = crate::web::api::error::ErrorBody),
        (status = 401, description = "Missing, invalid or revoked token", body = crate::web::api::error::ErrorBody),
        (status = 403, description = "The token is not for the authorization API", body = crate::web::api::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
pub async fn search_resource(req: HttpRequest, db: web::Data<Db>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    answer(&req, &db, &body, search::resources).await
}

/// Which users may do the action on the contact? (By id, paged.)
#[utoipa::path(
    post, path = "/access/v1/search/subject", tag = "AuthZEN",
    request_body = SearchRequest,
    responses(
        (status = 200, description = "A page of users", body = EntitySearchResponse),
        (status = 400, description = "A required part is missing, or the page token is not this search's", body = crate::web::api::error::ErrorBody),
        (status = 401, description = "Missing, invalid or revoked token", body = crate::web::api::error::ErrorBody),
        (status = 403, description = "The token is not for the authorization API", body = crate::web::api::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
pub async fn search_subject(req: HttpRequest, db: web::Data<Db>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    answer(&req, &db, &body, search::subjects).await
}

/// Which catalog keys may the subject use on the contact?
#[utoipa::path(
    post, path = "/access/v1/search/action", tag = "AuthZEN",
    request_body = SearchRequest,
    responses(
        (status = 200, description = "The keys, in catalog order", body = ActionSearchResponse),
        (status = 400, description = "A required part is missing", body = crate::web::api::error::ErrorBody),
        (status = 401, description = "Missing, invalid or revoked token", body = crate::web::api::error::ErrorBody),
        (status = 403, description = "The token is not for the authorization API", body = crate::web::api::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
pub async fn search_action(req: HttpRequest, db: web::Data<Db>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    answer(&req, &db, &body, search::actions).await
}

/// Another method on an AuthZEN endpoint.
pub async fn post_only() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed("POST"))
}

/// A path under /access/v1 that is none of the endpoints: a JSON 404, not the HTML page.
pub async fn no_such_endpoint() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such AuthZEN endpoint: see /.well-known/authzen-configuration".into()))
}

/// The PDP's metadata. The endpoints are absolute, on the address the request came to.
#[utoipa::path(
    get, path = "/.well-known/authzen-configuration", tag = "AuthZEN",
    responses((status = 200, description = "The Policy Decision Point's metadata", body = Metadata))
)]
pub async fn configuration(req: HttpRequest) -> HttpResponse {
    let base = crate::auth::viewer::origin(&req);
    let at = |p: &str| format!("{base}/access/v1/{p}");
    HttpResponse::Ok().json(Metadata {
        access_evaluation_endpoint: at("evaluation"),
        access_evaluations_endpoint: at("evaluations"),
        search_subject_endpoint: at("search/subject"),
        search_resource_endpoint: at("search/resource"),
        search_action_endpoint: at("search/action"),
        policy_decision_point: base,
    })
}
