//! GET /outbox: batches, newest first, with message counts by status.

use super::sees_all;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::outbox::{self, BatchView};
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

const PER_PAGE: i64 = 20;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "outbox/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub batches: Vec<BatchView>,
    pub all: bool,
    pub page: i64,
    pub more: bool,
}

/// Lists the batches the user may see.
#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, query: web::Query<PageQuery>) -> Result<HttpResponse, AppError> {
    viewer.require_any(&[Perm::EmailSend, Perm::SmsSend])?;
    let (uid, all) = (viewer.id(), sees_all(&viewer));
    let page_no = query.page.unwrap_or(1).max(1);
    let (batches, more) = db.run(move |c| Ok(outbox::list(c, uid, all, page_no, PER_PAGE)?)).await?;
    page(ListPage { layout: viewer.layout("/outbox"), batches, all, page: page_no, more })
}
