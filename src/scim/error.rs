//! An RFC 7644 error (section 3.12), as the protocol code returns it; `web::scim` renders it.

use crate::error::AppError;

/// An RFC 7644 error (section 3.12).
#[derive(Debug)]
pub struct ScimError {
    /// The HTTP status.
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: impl Into<u16>, scim_type: Option<&'static str>, detail: impl Into<String>) -> ScimError {
        ScimError { status: status.into(), scim_type, detail: detail.into() }
    }
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
        ScimError::new(400u16, Some(scim_type), detail)
    }
    pub fn not_found(detail: impl Into<String>) -> ScimError {
        ScimError::new(404u16, None, detail)
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl From<AppError> for ScimError {
    /// Each kind of error keeps the status [`AppError::status`] gives it.
    fn from(e: AppError) -> ScimError {
        let status = e.status();
        match e {
            AppError::NotFound => ScimError::not_found("not found"),
            AppError::Forbidden(why) => ScimError::new(status, None, why),
            AppError::BadRequest(why) => ScimError::bad("invalidValue", why),
            AppError::Unavailable(_) => ScimError::new(status, None, "the database is not answering"),
            AppError::Transient(_) => ScimError::new(status, None, "a concurrent change: try again"),
            other => {
                tracing::error!(error = ?other, "internal error in SCIM");
                ScimError::new(status, None, "internal error")
            }
        }
    }
}

impl From<crate::access::Denied> for ScimError {
    fn from(e: crate::access::Denied) -> ScimError {
        AppError::from(e).into()
    }
}

impl From<diesel::result::Error> for ScimError {
    fn from(e: diesel::result::Error) -> ScimError {
        AppError::from(e).into()
    }
}
