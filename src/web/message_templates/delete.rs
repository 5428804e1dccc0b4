//! GET/POST /templates/{id}/delete: confirmation, then deletion (owner or Administrator).

use super::edit::modifiable;
use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::templates::{self, MessageTemplate};
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "message_templates/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub t: MessageTemplate,
}

/// The confirmation page: says exactly what will happen.
pub async fn show(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesDelete)?;
    let t = modifiable(&viewer, &db, path.into_inner()).await?;
    page(DeletePage { layout: viewer.layout("/templates"), t })
}

/// Deletes the template.
#[tracing::instrument(skip_all)]
pub async fn submit(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesDelete)?;
    let t = modifiable(&viewer, &db, path.into_inner()).await?;
    let (uid, ip, id, name) = (viewer.id(), viewer.ip.clone(), t.id, t.name.clone());
    db.transaction(move |c| {
        templates::delete(c, id)?;
        audit::Entry::new(Some(uid), "template.delete", "template", id).before(t.audit_json()).ip(ip).record(c)?;
        Ok(())
    })
    .await?;
    viewer.flash(FlashKind::Success, format!("Template \u{201c}{name}\u{201d} deleted."));
    Ok(see_other("/templates"))
}
