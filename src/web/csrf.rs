//! CSRF protection: every POST must carry the session's token, as the `csrf_token` form field
//! (for a multipart form, its first part) or the `X-CSRF-Token` header. Anything else is
//! refused with 403 before a handler runs. The token never travels in a URL, where request logs
//! and the address bar would keep it.
//! The public form endpoint (`/f/…`) and the bearer-token APIs (`/api/…`, AuthZEN's `/access/v1/…`) are exempt: they carry no
//! session cookie to abuse.

use crate::auth::session;
use crate::web::error_page::ErrorPage;
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
    path.starts_with("/f/") || crate::web::api::is_api_path(path)
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

/// The most a multipart body is read ahead to find its first part, the token.
const MULTIPART_PREFIX: usize = 8 * 1024;

/// The token of a multipart form, its first part `csrf_token`: reads (at least) the first
/// [`MULTIPART_PREFIX`] bytes, parses them with `actix-multipart` and puts them back in front of
/// the rest of the body for the handler. Nothing else of the upload is read here.
async fn first_part_token(req: &mut ServiceRequest) -> Option<String> {
    use actix_web::HttpMessage;
    use futures_util::StreamExt;
    let mut payload = req.take_payload();
    let mut prefix = actix_web::web::BytesMut::new();
    let mut failed = None;
    while prefix.len() < MULTIPART_PREFIX {
        match payload.next().await {
            Some(Ok(chunk)) => prefix.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failed = Some(e);
                break;
            }
            None => break,
        }
    }
    let prefix = prefix.freeze();
    let token = if failed.is_some() {
        None
    } else {
        let head =
            futures_util::stream::once(std::future::ready(Ok::<_, actix_web::error::PayloadError>(prefix.clone())));
        let mut parts = actix_multipart::Multipart::new(req.headers(), head);
        match parts.next().await {
            Some(Ok(mut field)) if field.name() == Some(FIELD) => {
                let mut value = Vec::new();
                while let Some(Ok(chunk)) = field.next().await {
                    value.extend_from_slice(&chunk);
                    if value.len() > 256 {
                        break;
                    }
                }
                String::from_utf8(value).ok()
            }
            _ => None,
        }
    };
    let rest = futures_util::stream::once(std::future::ready(Ok(prefix))).chain(payload);
    req.set_payload(actix_web::dev::Payload::Stream { payload: Box::pin(rest) });
    token
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
    let mut given = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if given.is_none() && content_type.starts_with("application/x-www-form-urlencoded") {
        // The input guard has already bounded this body.
        let body: Bytes = req.extract::<Bytes>().await?;
        given = from_query(std::str::from_utf8(&body).unwrap_or(""));
        req.set_payload(actix_web::dev::Payload::from(body));
    } else if given.is_none() && content_type.starts_with("multipart/form-data") {
        given = first_part_token(&mut req).await;
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
