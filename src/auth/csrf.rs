//! CSRF protection: every POST must carry the session's token, as the `csrf_token` form field,
//! the `csrf_token` query parameter (multipart forms put it in their action URL) or the
//! `X-CSRF-Token` header. Anything else is refused with 403 before a handler runs.
//! The public form endpoint (`/f/…`) and the bearer-token API are exempt: they carry no
//! session cookie to abuse.

use super::session;
use crate::error::ErrorPage;
use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use subtle::ConstantTimeEq;

pub const FIELD: &str = "csrf_token";
const HEADER: &str = "x-csrf-token";

fn exempt(path: &str) -> bool {
    path.starts_with("/f/") || path.starts_with("/api/")
}

fn from_query(query: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

fn matches(given: &str, expected: &str) -> bool {
    !expected.is_empty() && given.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// The middleware (`from_fn`). Urlencoded bodies are read, checked and handed on intact.
pub async fn check(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::POST || exempt(req.path()) {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let expected = session::existing_csrf_token(&req.get_session()).unwrap_or_default();
    let mut given = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| from_query(req.query_string()));
    let is_form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if given.is_none() && is_form {
        let body: Bytes = req.extract::<Bytes>().await?;
        given = from_query(std::str::from_utf8(&body).unwrap_or(""));
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    match given {
        Some(t) if matches(&t, &expected) => next.call(req).await.map(|r| r.map_into_boxed_body()),
        _ => {
            tracing::warn!(path = %req.path(), "CSRF token missing or wrong");
            let resp = ErrorPage::response(
                StatusCode::FORBIDDEN,
                Some("This form has expired or did not come from this site. Reload the page and try again.".into()),
            );
            Ok(req.into_response(resp))
        }
    }
}
