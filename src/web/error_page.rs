//! The error page: every [`AppError`] becomes a status and an HTML page rendered from
//! templates; causes are logged in full, users see a plain message. The middleware gives the
//! same page to errors that carry none of their own.

use crate::error::AppError;
use crate::web::layout::Layout;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

impl ErrorPage {
    /// Renders the error page for a status, for use outside `AppError` (middleware, default route).
    pub fn response(status: StatusCode, message: Option<String>) -> HttpResponse {
        let (title, default_message) = match status.as_u16() {
            400 => ("Bad request", "The request could not be understood."),
            401 => ("Sign-in required", "Please sign in."),
            403 => ("Forbidden", "You do not have permission to do this."),
            404 => ("Not found", "There is nothing at this address."),
            409 => ("Conflict", "Someone else changed this at the same moment. Nothing was saved: try again."),
            413 => ("Too large", "What was sent is too large."),
            429 => ("Too many requests", "Please slow down and try again shortly."),
            503 => ("Service unavailable", "The database is not answering. Please try again in a moment."),
            _ => ("Something went wrong", "An unexpected error occurred. It has been logged."),
        };
        let page = ErrorPage {
            layout: Layout::bare(),
            status: status.as_u16(),
            title,
            message: message.unwrap_or_else(|| default_message.to_string()),
        };
        let body = page.render().unwrap_or_else(|_| title.to_string());
        HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
    }
}

/// The status of an error, the one mapping every renderer uses (HTML pages, the JSON APIs,
/// AuthZEN, SCIM): a refusal is 403, a transient conflict 409, an outage 503. Not signed in
/// is 401 for a machine; a browser is sent to the sign-in page instead (303).
pub fn status_of(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::LoginRequired { .. } | AppError::EnrolmentRequired => StatusCode::SEE_OTHER,
            other => status_of(other),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::LoginRequired { next } => {
                let to = format!("/login?next={}", crate::web::urls::url_encode(next));
                HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
            }
            AppError::EnrolmentRequired => {
                HttpResponse::SeeOther().insert_header((header::LOCATION, "/login/two-factor/enrol")).finish()
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ErrorPage::response(self.status_code(), None)
            }
            AppError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                ErrorPage::response(self.status_code(), None)
            }
            AppError::BadRequest(msg) => ErrorPage::response(self.status_code(), Some(msg.clone())),
            AppError::Transient(e) => {
                tracing::warn!(error = %e, "transient conflict");
                ErrorPage::response(
                    self.status_code(),
                    Some("Someone else changed the same data at the same moment. Nothing was saved: try again.".into()),
                )
            }
            AppError::Forbidden(why) => {
                tracing::info!(why = %why, "forbidden");
                ErrorPage::response(self.status_code(), None)
            }
            AppError::NotFound => ErrorPage::response(self.status_code(), None),
        }
    }
}

/// Middleware (`from_fn`) giving every error that carries no page of its own — failed
/// extractors, a session store that cannot reach the database — the site's error page.
/// A database outage anywhere in the stack becomes a 503 (typed: [`AppError::Unavailable`], or
/// the pool's outage state for errors of other layers).
pub async fn error_pages(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    // An error from below the handlers (the session store) carries no type we can read; the
    // pool's outage state says whether the database is why.
    let db = req.app_data::<actix_web::web::Data<crate::db::Db>>().cloned();
    let status_of = |e: &actix_web::Error| match e.as_error::<AppError>() {
        Some(app) => app.status_code(),
        None if db.as_ref().is_some_and(|d| d.is_unavailable()) => StatusCode::SERVICE_UNAVAILABLE,
        None => e.as_response_error().status_code(),
    };
    match next.call(req).await {
        Err(e) => {
            let status = status_of(&e);
            tracing::warn!(error = ?e, "request failed in middleware");
            Err(actix_web::error::InternalError::from_response(e.to_string(), ErrorPage::response(status, None)).into())
        }
        Ok(res) => {
            let status = res.status();
            let is_html = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.starts_with("text/html") || v.starts_with("application/json") || v.contains("+json")
            });
            if !(status.is_client_error() || status.is_server_error()) || is_html {
                return Ok(res.map_into_boxed_body());
            }
            let status = res.response().error().map(status_of).unwrap_or(status);
            let (req, _) = res.into_parts();
            Ok(actix_web::dev::ServiceResponse::new(req, ErrorPage::response(status, None)))
        }
    }
}
