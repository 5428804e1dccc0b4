//! Errors of the JSON API: always a JSON body `{"error": "..."}`, never an HTML page.

use crate::error::AppError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

/// The body of every error answer of the JSON API.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, malformed, unknown or revoked bearer token.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// A live token of another scope.
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A known path asked with another method; the methods it answers.
    #[error("method not allowed (allowed: {0})")]
    MethodNotAllowed(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A concurrent change got in the way; nothing was done, and trying again will do.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<AppError> for ApiError {
    /// Each kind of error keeps the status [`crate::web::error_page::status_of`] gives it.
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::NotFound => ApiError::NotFound("not found".into()),
            AppError::BadRequest(m) => ApiError::BadRequest(m),
            AppError::Forbidden(m) => ApiError::Forbidden(m),
            AppError::Transient(_) => ApiError::Conflict("a concurrent change got in the way: try again".into()),
            AppError::LoginRequired { .. } | AppError::EnrolmentRequired => {
                ApiError::Unauthorized("a bearer token is required")
            }
            AppError::Unavailable(_) => ApiError::Unavailable,
            AppError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<crate::access::Denied> for ApiError {
    fn from(e: crate::access::Denied) -> ApiError {
        AppError::from(e).into()
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        AppError::from(e).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            ApiError::Unauthorized(m) => m.to_string(),
            ApiError::MethodNotAllowed(allowed) => format!("this endpoint answers {allowed} only"),
            ApiError::NotFound(m) | ApiError::BadRequest(m) | ApiError::Forbidden(m) | ApiError::Conflict(m) => {
                m.clone()
            }
            ApiError::Unavailable => "the database is not answering; try again shortly".to_string(),
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error in API");
                "internal error".to_string()
            }
        };
        let mut res = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::MethodNotAllowed(allowed) => {
                res.insert_header((header::ALLOW, *allowed));
            }
            _ => {}
        }
        res.json(ErrorBody { error: message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #26 S15: a refusal is 403 and a transient conflict 409 in JSON as on the pages.
    #[test]
    fn the_json_api_keeps_the_status_of_each_error() {
        let cases = [
            AppError::Forbidden("no".into()),
            AppError::Transient("deadlock detected".into()),
            AppError::NotFound,
            AppError::BadRequest("bad".into()),
            AppError::Unavailable("down".into()),
        ];
        for e in cases {
            let page = crate::web::error_page::status_of(&e);
            assert_eq!(ApiError::from(e).status_code(), page);
        }
    }
}
