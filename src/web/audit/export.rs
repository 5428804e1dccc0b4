//! GET /audit.csv: the entries matching the viewer's filters as CSV. The export is itself
//! recorded in the audit log.

use crate::audit::query::{Filters, Row};
use crate::audit::read;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use anyhow::Context;

const HEAD: [&str; 12] = [
    "id",
    "at",
    "actor_id",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "ip",
    "via",
    "summary",
];

fn json(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map(|v| v.to_string()).unwrap_or_default()
}

fn write_row(w: &mut csv::Writer<Vec<u8>>, r: &Row) -> csv::Result<()> {
    crate::web::spreadsheet::write_row(
        w,
        [
            r.id.to_string(),
            r.at.to_rfc3339(),
            r.actor_id.map(|i| i.to_string()).unwrap_or_default(),
            r.actor_email.clone().unwrap_or_default(),
            r.action.clone(),
            r.object_type.clone(),
            r.object_id.clone().unwrap_or_default(),
            json(&r.before),
            json(&r.after),
            r.ip.clone().unwrap_or_default(),
            r.via.clone().unwrap_or_default(),
            crate::audit::sentence::plain(&r.told),
        ],
    )
}

/// Builds the CSV in memory (bounded by [`read::MAX_EXPORT_ROWS`]) in one transaction with
/// its audit entry.
#[tracing::instrument(skip_all)]
pub async fn download(viewer: Viewer, db: web::Data<Db>, q: web::Query<Filters>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAuditView)?;
    let filters = q.into_inner();
    let (actor, who) = (viewer.actor(), viewer.access());
    let body = db
        .transaction(move |c| {
            let rows = read::export(c, &actor, &who.subject(), &filters)?;
            let mut w = csv::Writer::from_writer(Vec::new());
            crate::web::spreadsheet::write_row(&mut w, HEAD).context("csv")?;
            for r in &rows {
                write_row(&mut w, r).context("csv")?;
            }
            Ok(w.into_inner().context("csv")?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""))
        .body(body))
}
