//! POST /f/{key}: one submission of a public form (`public_forms::submission`), answered as a
//! page, or as JSON when the request asks for it.

use crate::db::Db;
use crate::error::AppError;
use crate::public_forms::submission::{self, Outcome, Submission};
use crate::public_forms::Form;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// JSON only when the request asks for it; a browser gets pages.
fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn answer(req: &HttpRequest, form: Option<&Form>, sub: Submission, outcome: Outcome) -> Result<HttpResponse, AppError> {
    use super::{PublicMessage, PublicPage};
    use crate::web::respond::render;
    const BUSY: &str = "too many submissions from your address or to this form; wait a minute";
    if wants_json(req) {
        let (status, body) = match outcome {
            Outcome::Accepted => (StatusCode::OK, serde_json::json!({ "ok": true })),
            Outcome::Refused(field, message) => {
                (StatusCode::BAD_REQUEST, serde_json::json!({ "error": message, "field": field }))
            }
            Outcome::NoSuchForm => (StatusCode::NOT_FOUND, serde_json::json!({ "error": "no such form" })),
            Outcome::TooMany => (StatusCode::TOO_MANY_REQUESTS, serde_json::json!({ "error": BUSY })),
        };
        return Ok(HttpResponse::build(status).content_type("application/json").body(body.to_string()));
    }
    let message = |title: &str, text: &str| PublicMessage { title: title.into(), text: text.into() };
    match (outcome, form) {
        (Outcome::NoSuchForm, _) | (_, None) => Err(AppError::NotFound),
        (Outcome::Accepted, Some(f)) => {
            render(message(&f.name, "Thank you: we have received your details."), StatusCode::OK)
        }
        (Outcome::TooMany, Some(f)) => render(
            message(&f.name, "Too many submissions from your address or to this form: please try again in a minute."),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        (Outcome::Refused(field, text), Some(f)) => {
            let text = text.to_string();
            let page =
                PublicPage { name: f.name.clone(), key: f.public_key.clone(), values: sub, error: Some((field, text)) };
            render(page, StatusCode::BAD_REQUEST)
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    db: web::Data<Db>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let ip = crate::auth::viewer::client_ip(&req).unwrap_or_else(|| "unknown".into());
    let parsed = serde_urlencoded::from_bytes::<Submission>(&body).ok();
    let sent = parsed.clone();
    let (form, outcome) = db.transaction(move |c| Ok(submission::submit(c, &key, &ip, sent.as_ref())?)).await?;
    // Refused, the page keeps what was typed; otherwise it starts empty.
    let values = match outcome {
        Outcome::Refused(..) | Outcome::TooMany => parsed.unwrap_or_default(),
        _ => Submission::default(),
    };
    answer(&req, form.as_ref(), values, outcome)
}
