//! GET /audit: the audit log, newest first, filtered, paged by keyset.

use crate::audit::query::{Filters, Row};
use crate::audit::read;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Entries per page.
pub const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(flatten)]
    filters: Filters,
    /// Keyset cursor: show entries with a smaller id (older) than this.
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub f: Filters,
    pub errors: FieldErrors,
    pub rows: Vec<Row>,
    /// The cursor of the next (older) page, when there is one.
    pub next_before: Option<i64>,
    pub paged: bool,
    /// "1–50 of 3,210" (or "of more than 10,000"); empty when too deep to count.
    pub position: String,
    /// The actions and object types the log holds (the filter's pickers).
    pub actions: Vec<String>,
    pub object_types: Vec<String>,
}

impl AuditPage {
    /// The filters as a query string (for the next-page and CSV links).
    pub fn filter_query(&self) -> String {
        serde_urlencoded::to_string(&self.f).unwrap_or_default()
    }
}

/// Shows one page of the audit log.
#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, q: web::Query<AuditQuery>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAuditView)?;
    let AuditQuery { filters, before } = q.into_inner();
    let (f, who) = (filters.clone(), viewer.access());
    let log = db.run(move |c| Ok(read::page(c, &who.subject(), &f, before, PER_PAGE)?)).await?;
    let shown = log.rows.len();
    let position = log
        .position
        .map(|(first, total)| crate::web::numbers::position(first, shown, total, read::COUNT_CAP))
        .unwrap_or_default();
    page(AuditPage {
        layout: viewer.layout("/audit"),
        f: filters,
        errors: log.errors,
        rows: log.rows,
        next_before: log.next_before,
        paged: before.is_some(),
        position,
        actions: log.actions,
        object_types: log.object_types,
    })
}
