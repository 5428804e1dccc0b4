//! GET /audit: the audit log, newest first, filtered, paged by keyset.

use super::query::{self, Filters, Row};
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
    let (errors, mut rows, (actions, object_types)) = db
        .run(move |c| {
            let mut errors = FieldErrors::default();
            let parsed = f.parse(c, &mut errors)?;
            let mut rows = query::page(c, &parsed, before, PER_PAGE + 1)?;
            query::redact(c, &who.subject(), &mut rows)?;
            query::name_users(c, &mut rows)?;
            Ok((errors, rows, query::choices(c)?))
        })
        .await?;
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let next_before = if more { rows.last().map(|r| r.id) } else { None };
    page(AuditPage {
        layout: viewer.layout("/audit"),
        f: filters,
        errors,
        rows,
        next_before,
        paged: before.is_some(),
        actions,
        object_types,
    })
}
