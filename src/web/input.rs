//! The boundary every request crosses before a handler sees it: one body-size limit per kind
//! of request, and no control characters in text.
//!
//! Text typed by people never holds control characters other than tab and line breaks (in a
//! text area); PostgreSQL refuses NUL in text outright, so such input would otherwise reach a
//! query and fail there. Query strings, URL-encoded form bodies and JSON bodies are read here,
//! and a value holding one is refused with 400 and a message naming the field, before any
//! handler or query runs. Multipart forms are checked by their readers (the wizard's text parts
//! with [`check_text`], CSV cells by the import's row parser).

use crate::web::error_page::ErrorPage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpResponse;

/// The largest URL-encoded form body (the same limit for the CSRF check, this guard and the
/// form extractor: `startup` configures both extractors with it).
pub const FORM_LIMIT: usize = 1 << 20;
/// The largest JSON body of the API.
pub const JSON_LIMIT: usize = 1 << 20;

/// Why a request's text is refused: the field and what is wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub field: String,
    pub message: &'static str,
}

/// Whether `c` may stand in text typed by a person (`multiline`: a form field, which may be a
/// text area; query parameters are single-line).
fn allowed(c: char, multiline: bool) -> bool {
    !c.is_control() || (multiline && matches!(c, '\t' | '\n' | '\r'))
}

/// Checks one text value typed by a person (a multipart form's text part): `Err` names the
/// field.
pub fn check_text(field: &str, value: &str, multiline: bool) -> Result<(), Refused> {
    if value.chars().all(|c| allowed(c, multiline)) {
        Ok(())
    } else {
        Err(Refused { field: field.to_string(), message: "contains a control character (such as NUL): remove it" })
    }
}

impl Refused {
    /// The sentence shown to the user.
    pub fn sentence(&self) -> String {
        if self.field.is_empty() {
            format!("The request {}.", self.message)
        } else {
            format!("The field “{}” {}.", self.field, self.message)
        }
    }
}

/// Checks URL-encoded pairs (a query string or a form body): each name and value must decode
/// to valid UTF-8 (the usual parsers would quietly replace invalid bytes) without control
/// characters.
pub fn check_urlencoded(raw: &[u8], multiline: bool) -> Result<(), Refused> {
    for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let mut halves = pair.splitn(2, |b| *b == b'=');
        let decode = |part: &[u8]| -> Option<String> {
            let spaced: Vec<u8> = part.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
            percent_encoding::percent_decode(&spaced).decode_utf8().ok().map(|s| s.into_owned())
        };
        let key = decode(halves.next().unwrap_or_default());
        let value = decode(halves.next().unwrap_or_default());
        let field = key.clone().unwrap_or_default();
        match (key, value) {
            (Some(k), Some(v)) if k.chars().chain(v.chars()).all(|c| allowed(c, multiline)) => {}
            (Some(_), Some(_)) => {
                return Err(Refused { field, message: "contains a control character (such as NUL): remove it" })
            }
            _ => return Err(Refused { field, message: "is not valid text (UTF-8)" }),
        }
    }
    Ok(())
}

/// Checks every string (and object key) of a JSON document; a body that is not JSON is left to
/// the handler, which answers it in its own terms.
pub fn check_json(raw: &[u8]) -> Result<(), Refused> {
    fn walk(v: &serde_json::Value, at: &str) -> Result<(), Refused> {
        let bad = |s: &str| !s.chars().all(|c| allowed(c, true) && c != '\0');
        match v {
            serde_json::Value::String(s) if bad(s) => {
                Err(Refused { field: at.to_string(), message: "contains a control character (such as NUL): remove it" })
            }
            serde_json::Value::Array(items) => items.iter().try_for_each(|i| walk(i, at)),
            serde_json::Value::Object(map) => map.iter().try_for_each(|(k, v)| {
                if bad(k) {
                    return Err(Refused { field: k.clone(), message: "contains a control character: remove it" });
                }
                walk(v, k)
            }),
            _ => Ok(()),
        }
    }
    match serde_json::from_slice::<serde_json::Value>(raw) {
        Ok(v) => walk(&v, ""),
        Err(_) => Ok(()),
    }
}

/// The answer to refused input: JSON where the client speaks JSON (API, public forms), a page
/// otherwise.
fn refusal(path: &str, status: StatusCode, r: Refused) -> HttpResponse {
    let text = r.sentence();
    if path.starts_with("/scim/") {
        return actix_web::ResponseError::error_response(&crate::web::scim::ScimError::new(
            status,
            (status == StatusCode::BAD_REQUEST).then_some("invalidValue"),
            text,
        ));
    }
    if path.starts_with("/f/") || crate::web::api::is_api_path(path) {
        HttpResponse::build(status)
            .content_type("application/json")
            .body(serde_json::json!({ "error": text, "field": r.field }).to_string())
    } else {
        ErrorPage::response(status, Some(text))
    }
}

fn content_type(req: &ServiceRequest) -> &str {
    req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The middleware (`from_fn`); runs before the CSRF check, so that both read the same bounded
/// body.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path().to_string();
    // Path segments become ids and keys (`/f/{key}`): the same rule as a query parameter.
    let decoded = percent_encoding::percent_decode_str(&path).decode_utf8();
    if !decoded.is_ok_and(|p| p.chars().all(|c| allowed(c, false))) {
        let r = Refused { field: String::new(), message: "has an address with a control character or invalid text" };
        return Ok(req.into_response(refusal(&path, StatusCode::BAD_REQUEST, r)));
    }
    if let Err(r) = check_urlencoded(req.query_string().as_bytes(), false) {
        return Ok(req.into_response(refusal(&path, StatusCode::BAD_REQUEST, r)));
    }
    let ct = content_type(&req).to_ascii_lowercase();
    let media = ct.split(';').next().unwrap_or("").trim().to_string();
    // The public form endpoint reads its body as URL-encoded whatever the type says.
    let form =
        media == "application/x-www-form-urlencoded" || (path.starts_with("/f/") && !media.contains("multipart"));
    let json = media == "application/json" || media.ends_with("+json");
    if form || json {
        let limit = if form { FORM_LIMIT } else { JSON_LIMIT };
        let declared = req.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|n| n > limit) {
            let r = Refused { field: String::new(), message: "is too large" };
            return Ok(req.into_response(refusal(&path, StatusCode::PAYLOAD_TOO_LARGE, r)));
        }
        let body: Bytes = match req.extract::<Bytes>().await {
            Ok(b) => b,
            Err(_) => {
                let r = Refused { field: String::new(), message: "is too large or was cut off" };
                return Ok(req.into_response(refusal(&path, StatusCode::PAYLOAD_TOO_LARGE, r)));
            }
        };
        let checked = if form { check_urlencoded(&body, true) } else { check_json(&body) };
        if let Err(r) = checked {
            return Ok(req.into_response(refusal(&path, StatusCode::BAD_REQUEST, r)));
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    next.call(req).await.map(|r| r.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_named() {
        assert_eq!(check_urlencoded(b"q=a%00", false).unwrap_err().field, "q");
        assert_eq!(check_urlencoded(b"next=%2F%0D%0A", false).unwrap_err().field, "next");
        assert!(check_urlencoded(b"q=ann+smith&page=2", false).is_ok());
        assert!(check_urlencoded(b"body=line%0D%0Aline%09tab", true).is_ok(), "a text area keeps its lines");
        assert!(check_urlencoded(b"body=a%00", true).is_err());
        assert!(check_urlencoded(b"q=%FF", false).is_err(), "not UTF-8");
        assert_eq!(check_json(br#"{"subject":{"id":"a\u0000"}}"#).unwrap_err().field, "id");
        assert!(check_json(br#"{"subject":{"id":"a"},"n":[1,"b"]}"#).is_ok());
        assert!(check_json(b"not json").is_ok());
    }
}
