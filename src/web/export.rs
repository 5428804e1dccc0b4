//! GET /contacts/export.csv: the contacts the user may see (level view) under the list's
//! filters, as CSV. The file is streamed: pages of rows are read by keyset (`c.id > last`),
//! each with its own short `Db::run`, and fed through a small channel to the response body,
//! so neither the server's memory nor a database connection is tied to the file's size.

use crate::access::{Level, Subject};
use crate::auth::Viewer;
use crate::contacts::selection::Filters;
use crate::db::sql::{Bind, Sql};
use crate::db::Db;
use crate::error::AppError;
use crate::web::error_page::ErrorPage;
use crate::web::spreadsheet;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// Rows read per page.
const PAGE: i64 = 2_000;
/// Column names of the file.
pub const COLUMNS: [&str; 9] =
    ["id", "email", "first_name", "last_name", "phone", "company", "category", "main_owner_email", "tags"];

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
    #[diesel(sql_type = Text)]
    first_name: String,
    #[diesel(sql_type = Text)]
    last_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    phone: Option<String>,
    #[diesel(sql_type = Text)]
    company: String,
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    owner_email: Option<String>,
    #[diesel(sql_type = Text)]
    tags: String,
}

/// Why a user may not export, in words for the 403 page; `None` when they may.
pub fn refusal(viewer: &Viewer) -> Option<&'static str> {
    use crate::access::{ops, Operation, Refusal};
    match ops::permits_at_all(&viewer.subject, Operation::Export) {
        Ok(()) => None,
        Err(Refusal::ExportDisabled) => {
            Some("Contact export is disabled for your account. Ask an administrator if you need it.")
        }
        Err(_) => Some("You do not have the permission to export contacts (contacts.export)."),
    }
}

/// One page of visible rows after `last` (tags joined by ';').
fn page(conn: &mut PgConnection, s: &Subject, f: &Filters, last: i64) -> QueryResult<Vec<Row>> {
    let mut sql = Sql::new(
        "SELECT c.id, c.email, c.first_name, c.last_name, c.phone, c.company, c.category, u.email AS owner_email, \
         coalesce((SELECT string_agg(t.tag, ';' ORDER BY t.tag) FROM contact_tags t WHERE t.contact_id = c.id), '') AS tags \
         FROM contacts c LEFT JOIN users u ON u.id = c.main_owner_id",
    );
    sql.append(&f.where_clause(s, Level::View));
    sql.push(" AND c.id > ").bind(Bind::I64(last));
    sql.push(" ORDER BY c.id LIMIT ").bind(Bind::I64(PAGE));
    sql.query().load(conn)
}

fn to_csv(rows: &[Row], header: bool) -> Result<Bytes, AppError> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 96));
    let io = |e: csv::Error| AppError::Internal(anyhow::anyhow!("csv: {e}"));
    if header {
        spreadsheet::write_row(&mut w, COLUMNS).map_err(io)?;
    }
    for r in rows {
        let id = r.id.to_string();
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        spreadsheet::write_row(
            &mut w,
            [
                id.as_str(),
                &o(&r.email),
                &r.first_name,
                &r.last_name,
                &o(&r.phone),
                &r.company,
                &o(&r.category),
                &o(&r.owner_email),
                &r.tags,
            ],
        )
        .map_err(io)?;
    }
    w.into_inner().map(Bytes::from).map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
}

#[tracing::instrument(skip_all)]
pub async fn export(viewer: Viewer, db: web::Data<Db>, q: web::Query<Filters>) -> Result<HttpResponse, AppError> {
    if let Some(why) = refusal(&viewer) {
        tracing::info!(user = viewer.id(), why, "export refused");
        return Ok(ErrorPage::response(StatusCode::FORBIDDEN, Some(why.to_string())));
    }
    let filters = q.into_inner();
    let who = viewer.access();
    let (actor, ip, f) = (viewer.id(), viewer.ip.clone(), filters.clone());
    // The audit entry is written before the first byte: it names the filters (the row count
    // is only known at the end and goes to the log).
    let subject = db
        .transaction(move |c| {
            crate::audit::Entry::new(Some(actor), "contact.export", "contacts", "export.csv")
                .after(serde_json::json!({ "filters": f }))
                .ip(ip)
                .record(c)?;
            Ok(who.subject())
        })
        .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, actix_web::Error>>(4);
    let db = db.get_ref().clone();
    actix_web::rt::spawn(async move {
        let (mut last, mut rows_sent, mut first) = (0i64, 0usize, true);
        loop {
            let (s, f) = (subject.clone(), filters.clone());
            let chunk = db
                .run(move |c| {
                    let rows = page(c, &s, &f, last)?;
                    let next = rows.last().map(|r| r.id);
                    Ok((to_csv(&rows, first)?, rows.len(), next))
                })
                .await;
            match chunk {
                Ok((bytes, n, next)) => {
                    rows_sent += n;
                    first = false;
                    // A closed channel means the client went away: stop reading.
                    if tx.send(Ok(bytes)).await.is_err() {
                        break;
                    }
                    match next {
                        Some(id) if n as i64 == PAGE => last = id,
                        _ => break,
                    }
                }
                Err(e) => {
                    tracing::error!(error = ?e, "export failed mid-stream");
                    let _ = tx.send(Err(actix_web::error::ErrorInternalServerError("export failed"))).await;
                    break;
                }
            }
        }
        tracing::info!(user = actor, rows = rows_sent, "contacts exported");
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"contacts.csv\""))
        .streaming(body))
}
