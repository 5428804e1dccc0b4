//! GET /templates: the user's own templates and those shared by others.

use super::reader;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::templates::{self, Listed};
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "message_templates/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub own: Vec<Listed>,
    pub others: Vec<Listed>,
    pub can_create: bool,
    /// Administrators see every template, private ones included.
    pub administrator: bool,
}

/// Lists the templates the user may see.
#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesView)?;
    let r = reader(&viewer);
    let all = db.run(move |c| Ok(templates::visible(c, r, None)?)).await?;
    let (own, others) = all.into_iter().partition(|l| l.template.owner_id == r.user_id);
    page(ListPage {
        layout: viewer.layout("/templates"),
        own,
        others,
        can_create: viewer.has(Perm::TemplatesCreate),
        administrator: r.administrator,
    })
}
