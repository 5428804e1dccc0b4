//! The application's one error type, shared by the domain and the screens. It knows nothing
//! of HTTP: `web::error_page` turns each variant into a status and a page. It sits above `access`
//! and `db`, whose own errors ([`crate::access::Denied`], [`DbError`]) it absorbs, and runs database work for the layers above
//! ([`Db::run`], [`Db::transaction`]), so that `db` needs nothing from here.

use crate::db::{Db, DbError};
use diesel::pg::PgConnection;
use diesel::Connection;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Not signed in: the browser is sent to the sign-in page.
    #[error("login required")]
    LoginRequired { next: String },
    /// Signed in, but a two-factor policy that came into force since requires enrolment first:
    /// the session is now a pending sign-in at its enrolment step.
    #[error("two-factor enrolment required")]
    EnrolmentRequired,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A transient conflict with a concurrent change (deadlock, serialization failure):
    /// nothing was saved; trying again will do.
    #[error("transient conflict: {0}")]
    Transient(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn forbidden(why: impl Into<String>) -> AppError {
        AppError::Forbidden(why.into())
    }
}

impl AppError {
    /// The HTTP status of each kind: the one mapping every renderer (pages, JSON, SCIM,
    /// AuthZEN) uses. (Pages answer a missing sign-in or enrolment with a redirect instead.)
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Forbidden(_) => 403,
            AppError::BadRequest(_) => 400,
            AppError::LoginRequired { .. } | AppError::EnrolmentRequired => 401,
            AppError::Unavailable(_) => 503,
            AppError::Transient(_) => 409,
            AppError::Internal(_) => 500,
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                AppError::Unavailable(info.message().to_string())
            }
            Error::DatabaseError(kind, info) if crate::db::is_transient(&kind, info.message()) => {
                AppError::Transient(info.message().to_string())
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<crate::access::Denied> for AppError {
    fn from(e: crate::access::Denied) -> AppError {
        match e {
            crate::access::Denied::NotFound => AppError::NotFound,
            crate::access::Denied::Forbidden(why) => AppError::Forbidden(why),
            crate::access::Denied::Db(e) => e.into(),
        }
    }
}

impl From<crate::audit::read::ExportError> for AppError {
    fn from(e: crate::audit::read::ExportError) -> AppError {
        match e {
            crate::audit::read::ExportError::Denied(d) => d.into(),
            crate::audit::read::ExportError::BadFilter(why) => AppError::BadRequest(why),
        }
    }
}

impl From<diesel::ConnectionError> for AppError {
    fn from(e: diesel::ConnectionError) -> AppError {
        AppError::Unavailable(e.to_string())
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> AppError {
        match e {
            DbError::Unavailable(why) => AppError::Unavailable(why),
            DbError::Task(why) => AppError::Internal(anyhow::anyhow!("blocking task failed: {why}")),
        }
    }
}

impl Db {
    /// Runs `f` with a pooled connection on the blocking thread pool (see [`Db::block`]).
    pub async fn run<F, R>(&self, f: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        self.block(f).await?
    }

    /// Like [`Db::run`], inside one transaction: everything `f` writes commits together or not at all.
    pub async fn transaction<F, R>(&self, f: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        self.run(move |conn| conn.transaction(f)).await
    }
}
