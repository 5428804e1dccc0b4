//! SCIM 2.0 (RFC 7643 schema, RFC 7644 protocol) at `/scim/v2`: the organisation's identity
//! provider creates, updates and deactivates users. Authenticated by an API token made for
//! provisioning (scope `scim`; another token gets 403); every change is made with the authority
//! of the Administrator who created the token, through the same code as the user wizard and
//! the lifecycle actions, so the no-escalation rule and the last-Administrator protection hold
//! exactly as on the screens. Answers are `application/scim+json`; errors are RFC 7644 error
//! messages with a `scimType` where one applies.
//!
//! What is supported is what `ServiceProviderConfig` says: Users and Groups (teams) with
//! filter, paging and PATCH; no bulk, no sort, no ETags, no password changes.

pub mod groups;
pub mod listing;
pub mod users;

use crate::access::{facts, Subject};
use crate::api_tokens::{Authenticated, Scope};
use crate::audit::Actor;
use crate::db::Db;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use diesel::PgConnection;
use serde_json::{json, Value};

pub const MEDIA_TYPE: &str = "application/scim+json";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The largest page a list answers with (`count` above it is cut to it).
pub const MAX_RESULTS: i64 = 200;

pub use crate::scim::error::ScimError;
pub use crate::scim::{GROUP_SCHEMA, USER_SCHEMA};

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    fn error_response(&self) -> HttpResponse {
        let mut body = json!({ "schemas": [ERROR_SCHEMA], "status": self.status.to_string(), "detail": self.detail });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut res = HttpResponse::build(self.status_code());
        if self.status == 401 {
            res.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.content_type(MEDIA_TYPE).body(body.to_string())
    }
}

/// A SCIM answer with its status.
pub fn reply(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status).content_type(MEDIA_TYPE).body(body.to_string())
}

/// A 201 answer with the new resource, its `Location` its `meta.location` (RFC 7644 3.3).
pub fn created(v: &Value) -> HttpResponse {
    let mut res = reply(StatusCode::CREATED, v);
    let location = v["meta"]["location"].as_str().unwrap_or("");
    if let Ok(h) = actix_web::http::header::HeaderValue::from_str(location) {
        res.headers_mut().insert(actix_web::http::header::LOCATION, h);
    }
    res
}

/// Where this server's SCIM lives, as the request reached it (for `meta.location`).
pub fn base_url(req: &HttpRequest) -> String {
    format!("{}/scim/v2", crate::auth::viewer::origin(req))
}

/// Authenticates a provisioning token (401 / 403 as SCIM errors) and runs `work` with it on one
/// pooled connection.
pub async fn with_token<R: Send + 'static>(
    req: &HttpRequest,
    db: &Db,
    work: impl FnOnce(&mut PgConnection, &Authenticated) -> Result<R, ScimError> + Send + 'static,
) -> Result<R, ScimError> {
    let token = crate::web::api::bearer::token(req)
        .map_err(|_| ScimError::new(StatusCode::UNAUTHORIZED, None, "a bearer token is required"))?;
    db.run(move |c| {
        Ok(match crate::web::api::bearer::authenticate_for(c, &token, Scope::Scim) {
            Ok(t) => work(c, &t),
            Err(crate::web::api::error::ApiError::Forbidden(why)) => {
                Err(ScimError::new(StatusCode::FORBIDDEN, None, why))
            }
            Err(_) => Err(ScimError::new(StatusCode::UNAUTHORIZED, None, "invalid or revoked token")),
        })
    })
    .await?
}

/// The token's creator, as the actor of every change: what the token may do is what they
/// may do, now.
pub fn acting_for(c: &mut PgConnection, t: &Authenticated) -> Result<(Actor, Subject), ScimError> {
    let id = t
        .created_by
        .ok_or_else(|| ScimError::new(StatusCode::FORBIDDEN, None, "this token has no creator to act for"))?;
    let s = facts::subject(c, id)?
        .ok_or_else(|| ScimError::new(StatusCode::FORBIDDEN, None, "the token's creator is gone"))?;
    if !s.active {
        return Err(ScimError::new(StatusCode::FORBIDDEN, None, "the token's creator is not active"));
    }
    Ok((Actor { id, ip: None, via: Some(format!("SCIM token {}", t.name)) }, s))
}

/// Parses a request body: JSON (sent as `application/scim+json` or `application/json`).
pub fn body(req: &HttpRequest, raw: &[u8]) -> Result<Value, ScimError> {
    let ct = req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media != MEDIA_TYPE && media != "application/json" {
        return Err(ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            format!("send the body as {MEDIA_TYPE}, not {ct:?}"),
        ));
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(ScimError::bad("invalidSyntax", "the body must be a JSON object")),
        Err(e) => Err(ScimError::bad("invalidSyntax", format!("malformed JSON: {e}"))),
    }
}

/// One operation of a PATCH request (RFC 7644 3.5.2); `kind` lower-cased.
pub struct PatchOp {
    pub kind: String,
    pub path: Option<String>,
    pub value: Value,
}

/// The operations of a PATCH body.
pub fn patch_operations(body: &Value) -> Result<Vec<PatchOp>, ScimError> {
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "a PATCH carries \"Operations\""))?;
    ops.iter()
        .map(|op| {
            let path = match op.get("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(p.clone()),
                Some(_) => return Err(ScimError::bad("invalidPath", "a path is a string")),
            };
            Ok(PatchOp {
                kind: op.get("op").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase(),
                path,
                value: op.get("value").cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// A list response (RFC 7644 3.4.2).
pub fn list(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// GET /scim/v2/ServiceProviderConfig: exactly what is supported.
pub async fn service_provider_config(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, ScimError> {
    with_token(&req, &db, |_, _| Ok(())).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "/api-tokens",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": MAX_RESULTS },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": false },
            "authenticationSchemes": [{
                "type": "oauthbearertoken", "name": "API token",
                "description": "A token made for user provisioning at /api-tokens, sent as Authorization: Bearer <token>",
                "primary": true
            }],
            "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", base_url(&req)) }
        }),
    ))
}

/// GET /scim/v2/ResourceTypes.
pub async fn resource_types(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, ScimError> {
    with_token(&req, &db, |_, _| Ok(())).await?;
    let all = resource_types_list(&base_url(&req));
    let n = all.len();
    Ok(reply(StatusCode::OK, &list(all, n, 1)))
}

fn resource_types_list(base: &str) -> Vec<Value> {
    let kind = |id: &str, endpoint: &str, description: &str, schema: &str, extension: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": id, "name": id, "endpoint": endpoint, "description": description, "schema": schema,
            "schemaExtensions": [{ "schema": extension, "required": false }],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{id}") }
        })
    };
    vec![
        kind("User", "/Users", "Custodian users", USER_SCHEMA, crate::scim::user::USER_EXTENSION),
        kind("Group", "/Groups", "Custodian teams", GROUP_SCHEMA, crate::scim::group::TEAM_EXTENSION),
    ]
}

fn schemas_list(base: &str) -> Vec<Value> {
    vec![
        crate::scim::user::schema(base),
        crate::scim::user::extension_schema(base),
        crate::scim::group::schema(base),
        crate::scim::group::extension_schema(base),
    ]
}

/// GET /scim/v2/Schemas: the schemas as supported here.
pub async fn schemas(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, ScimError> {
    with_token(&req, &db, |_, _| Ok(())).await?;
    let all = schemas_list(&base_url(&req));
    let n = all.len();
    Ok(reply(StatusCode::OK, &list(all, n, 1)))
}

/// GET /scim/v2/ResourceTypes/{id}.
pub async fn resource_type(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    with_token(&req, &db, |_, _| Ok(())).await?;
    match resource_types_list(&base_url(&req)).into_iter().find(|t| t["id"] == id.as_str()) {
        Some(t) => Ok(reply(StatusCode::OK, &t)),
        None => Err(ScimError::not_found(format!("no resource type {}", id.as_str()))),
    }
}

/// GET /scim/v2/Schemas/{id}.
pub async fn schema(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    with_token(&req, &db, |_, _| Ok(())).await?;
    match schemas_list(&base_url(&req)).into_iter().find(|t| t["id"] == id.as_str()) {
        Some(t) => Ok(reply(StatusCode::OK, &t)),
        None => Err(ScimError::not_found(format!("no schema {}", id.as_str()))),
    }
}

/// Any other address under /scim/v2: a SCIM 404.
pub async fn no_such_endpoint() -> Result<HttpResponse, ScimError> {
    Err(ScimError::not_found("no such SCIM endpoint"))
}

/// A method an endpoint does not take: a SCIM 405.
pub async fn method_not_allowed() -> Result<HttpResponse, ScimError> {
    Err(ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, "this endpoint does not take this method"))
}
