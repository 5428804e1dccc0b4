//! GET /contacts/export.csv: `contacts::export` as CSV. The file is streamed: each page of rows
//! is read with its own short `Db::run` and fed through a small channel to the response body,
//! so neither the server's memory nor a database connection is tied to the file's size.

use crate::auth::Viewer;
use crate::contacts::export::{self, Row};
use crate::contacts::selection::Filters;
use crate::db::Db;
use crate::error::AppError;
use crate::web::error_page::ErrorPage;
use crate::web::spreadsheet;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use anyhow::Context;
/// Column names of the file.
pub const COLUMNS: [&str; 9] =
    ["id", "email", "first_name", "last_name", "phone", "company", "category", "main_owner_email", "tags"];

/// Why the viewer may not export, in words for the 403 page; `None` when they may.
pub fn refusal(viewer: &Viewer) -> Option<&'static str> {
    export::refusal(&viewer.subject)
}

fn to_csv(rows: &[Row], header: bool) -> Result<Bytes, AppError> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 96));
    if header {
        spreadsheet::write_row(&mut w, COLUMNS).context("csv")?;
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
        .context("csv")?;
    }
    Ok(w.into_inner().map(Bytes::from).context("csv")?)
}

#[tracing::instrument(skip_all)]
pub async fn export(viewer: Viewer, db: web::Data<Db>, q: web::Query<Filters>) -> Result<HttpResponse, AppError> {
    if let Some(why) = refusal(&viewer) {
        tracing::info!(user = viewer.id(), why, "export refused");
        return Ok(ErrorPage::response(StatusCode::FORBIDDEN, Some(why.to_string())));
    }
    let filters = q.into_inner();
    let (who, actor, f) = (viewer.access(), viewer.actor(), filters.clone());
    // The audit entry is written before the first byte.
    let subject = db
        .transaction(move |c| {
            let s = who.subject();
            export::begin(c, &actor, &s, &f)?;
            Ok(s)
        })
        .await?;
    let actor = viewer.id();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, actix_web::Error>>(4);
    let db = db.get_ref().clone();
    actix_web::rt::spawn(async move {
        let (mut last, mut rows_sent, mut first) = (0i64, 0usize, true);
        loop {
            let (s, f) = (subject.clone(), filters.clone());
            let chunk = db
                .run(move |c| {
                    let rows = export::page(c, &s, &f, last)?;
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
                        Some(id) if n as i64 == export::PAGE => last = id,
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
