//! GET /contacts/manage/runs: the signed-in user's bulk runs, newest first, each linking to its
//! page (progress, report, undo), and above them their recent previews not executed. Others'
//! runs are reached through the audit log.

use crate::auth::Viewer;
use crate::bulk::history::{self, Listed, Preview};
use crate::db::Db;
use crate::error::AppError;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

const PER_PAGE: i64 = 50;
const PREVIEWS: i64 = 10;

#[derive(Deserialize)]
pub struct RunsQuery {
    /// Show runs older than this one (keyset: the list only grows).
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "contacts/manage_runs.html")]
pub struct RunsPage {
    pub layout: Layout,
    /// Recent previews not executed (first page only).
    pub previews: Vec<Preview>,
    pub previews_since_hours: i64,
    pub runs: Vec<Listed>,
    pub older: bool,
    pub paged: bool,
}

impl RunsPage {
    /// The `before` of the next page: the oldest run shown.
    pub fn next_before(&self) -> Option<i64> {
        self.older.then(|| self.runs.last().map(|r| r.id)).flatten()
    }
}

pub async fn list(viewer: Viewer, db: web::Data<Db>, query: web::Query<RunsQuery>) -> Result<HttpResponse, AppError> {
    super::manage::require(&viewer)?;
    let (uid, before) = (viewer.id(), query.before);
    let (previews, mut runs) = db
        .run(move |c| {
            let previews = if before.is_none() { history::previews_of_user(c, uid, PREVIEWS)? } else { Vec::new() };
            Ok((previews, history::of_user(c, uid, before, PER_PAGE + 1)?))
        })
        .await?;
    let older = runs.len() as i64 > PER_PAGE;
    runs.truncate(PER_PAGE as usize);
    page(RunsPage {
        layout: viewer.layout("/contacts"),
        previews,
        previews_since_hours: history::PREVIEWS_SINCE_HOURS,
        runs,
        older,
        paged: before.is_some(),
    })
}
