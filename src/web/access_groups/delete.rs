//! GET /access-groups/{id}/delete (confirmation saying how many contacts lose the group) and
//! POST to delete.

use crate::access_groups as model;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "access_groups/delete.html")]
pub struct DeleteGroupPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub contacts: i64,
    pub grants: usize,
}

/// The confirmation page.
pub async fn confirm(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let id = id.into_inner();
    let (group, contacts, grants) =
        db.run(move |c| Ok((model::find(c, id)?, model::contact_count(c, id)?, model::grants(c, id)?.len()))).await?;
    page(DeleteGroupPage { layout: viewer.layout("/access-groups"), id, name: group.name, contacts, grants })
}

/// Deletes the group; contacts leave it and its grants go (ON DELETE CASCADE). The contacts
/// themselves stay.
#[tracing::instrument(skip_all)]
pub async fn delete(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let id = id.into_inner();
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    let (name, contacts) = db.transaction(move |c| Ok(model::delete(c, &actor, &who, id)?)).await?;
    viewer.flash(FlashKind::Success, format!("Access group “{name}” deleted; {contacts} contacts left it."));
    Ok(see_other("/access-groups"))
}
