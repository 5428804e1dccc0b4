//! GET /audit.csv: the entries matching the viewer's filters as CSV. The export is itself
//! recorded in the audit log.

use super::query::{self, Filters, Row};
use crate::audit;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// Rows read per query while exporting.
const BATCH: i64 = 2_000;
/// The most rows one export holds; narrow the filters for more.
pub const MAX_ROWS: usize = 200_000;

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
        ],
    )
}

/// Streams nothing fancy: builds the CSV in memory (bounded by [`MAX_ROWS`]) in one transaction
/// with its audit entry.
#[tracing::instrument(skip_all)]
pub async fn download(viewer: Viewer, db: web::Data<Db>, q: web::Query<Filters>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAuditView)?;
    let filters = q.into_inner();
    let (actor, ip, who) = (viewer.id(), viewer.ip.clone(), viewer.access());
    let body = db
        .transaction(move |c| {
            let mut errors = FieldErrors::default();
            let parsed = filters.parse(c, &mut errors)?;
            if let Some(msg) = ["actor", "from", "to"].iter().find_map(|f| errors.get(f)) {
                return Err(AppError::BadRequest(msg.to_string()));
            }
            let mut w = csv::Writer::from_writer(Vec::new());
            let head = [
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
            ];
            crate::web::spreadsheet::write_row(&mut w, head).map_err(anyhow::Error::from)?;
            let (mut before, mut count) = (None, 0usize);
            let subject = who.subject();
            loop {
                let mut rows = query::page(c, &parsed, before, BATCH)?;
                query::redact(c, &subject, &mut rows)?;
                for r in &rows {
                    write_row(&mut w, r).map_err(anyhow::Error::from)?;
                }
                count += rows.len();
                before = rows.last().map(|r| r.id);
                if (rows.len() as i64) < BATCH || count >= MAX_ROWS {
                    break;
                }
            }
            audit::Entry::new(Some(actor), "audit.export", "audit_log", "export")
                .after(serde_json::json!({ "filters": filters, "rows": count }))
                .ip(ip)
                .record(c)?;
            w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""))
        .body(body))
}
