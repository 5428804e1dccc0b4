//! GET /outbox/{id}: one batch and a page of its messages.

use super::sees_all;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::outbox::{self, BatchView, MessageRow};
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "outbox/batch.html")]
pub struct BatchPage {
    pub layout: Layout,
    pub b: BatchView,
    pub messages: Vec<MessageRow>,
    /// Addresses and contact links: only for users who may view contacts.
    pub show_addresses: bool,
    pub page: i64,
    pub more: bool,
}

/// Shows a batch the user sent (any batch for an Administrator); others are "not found".
#[tracing::instrument(skip_all)]
pub async fn show(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    viewer.require_any(&[Perm::EmailSend, Perm::SmsSend])?;
    let (uid, all, id) = (viewer.id(), sees_all(&viewer), path.into_inner());
    let page_no = query.page.unwrap_or(1).max(1);
    let (b, (messages, more)) = db
        .run(move |c| {
            let b = outbox::find(c, uid, all, id)?.ok_or(AppError::NotFound)?;
            Ok((b, outbox::messages(c, id, page_no, PER_PAGE)?))
        })
        .await?;
    page(BatchPage {
        layout: viewer.layout("/outbox"),
        b,
        messages,
        show_addresses: viewer.has(Perm::ContactsView),
        page: page_no,
        more,
    })
}
