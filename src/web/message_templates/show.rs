//! GET /templates/{id}: one template, with the actions the user may take on it.

use super::reader;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::templates::{self, MessageTemplate};
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "message_templates/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub t: MessageTemplate,
    pub owner_name: String,
    pub is_owner: bool,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_share: bool,
    pub can_copy: bool,
}

/// Shows a template the user may see (own, shared, or any for an Administrator).
pub async fn show(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesView)?;
    let id = path.into_inner();
    let r = reader(&viewer);
    let (t, owner) = db
        .run(move |c| {
            let t = templates::find_visible(c, r, id)?.ok_or(AppError::NotFound)?;
            let owner = crate::accounts::find(c, t.owner_id)?.map(|u| u.display_name()).unwrap_or_default();
            Ok((t, owner))
        })
        .await?;
    let modify = r.may_modify(&t);
    let is_owner = t.owner_id == r.user_id;
    page(ShowPage {
        layout: viewer.layout("/templates"),
        can_edit: modify && viewer.has(Perm::TemplatesUpdate),
        can_delete: modify && viewer.has(Perm::TemplatesDelete),
        can_share: is_owner && viewer.has(Perm::TemplatesShare),
        can_copy: viewer.has(Perm::TemplatesCreate),
        is_owner,
        owner_name: owner,
        t,
    })
}
