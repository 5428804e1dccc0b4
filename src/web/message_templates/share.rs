//! POST /templates/{id}/share (owner only: share or unshare) and POST /templates/{id}/copy
//! (a private copy for whoever copies a template they can see).

use super::reader;
use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::templates;
use crate::permissions::Perm;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ShareForm {
    /// "true" to share, anything else to stop sharing.
    #[serde(default)]
    shared: String,
}

/// Shares or unshares a template. Only its owner may.
#[tracing::instrument(skip_all)]
pub async fn share(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<ShareForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesShare)?;
    let (id, r, ip) = (path.into_inner(), reader(&viewer), viewer.ip.clone());
    let shared = form.shared == "true";
    let t = db
        .transaction(move |c| {
            let before = templates::find_visible(c, r, id)?.ok_or(AppError::NotFound)?;
            if before.owner_id != r.user_id {
                return Err(AppError::forbidden(format!("user {} does not own template {id}", r.user_id)));
            }
            let t = templates::set_shared(c, id, shared)?;
            let action = if shared { "template.share" } else { "template.unshare" };
            audit::Entry::new(Some(r.user_id), action, "template", id)
                .before(serde_json::json!({ "shared": before.shared }))
                .after(serde_json::json!({ "shared": t.shared }))
                .ip(ip)
                .record(c)?;
            Ok(t)
        })
        .await?;
    let msg = if t.shared { "is now shared with everyone who may view templates" } else { "is no longer shared" };
    viewer.flash(FlashKind::Success, format!("Template \u{201c}{}\u{201d} {msg}.", t.name));
    Ok(see_other(&format!("/templates/{id}")))
}

/// Copies a template the user can see; the copy is theirs and private.
#[tracing::instrument(skip_all)]
pub async fn copy(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesCreate)?;
    let (id, r, ip) = (path.into_inner(), reader(&viewer), viewer.ip.clone());
    let copy = db
        .transaction(move |c| {
            let source = templates::find_visible(c, r, id)?.ok_or(AppError::NotFound)?;
            let copy = templates::copy(c, &source, r.user_id)?;
            let mut after = copy.audit_json();
            after["copied_from"] = serde_json::json!(id);
            audit::Entry::new(Some(r.user_id), "template.copy", "template", copy.id).after(after).ip(ip).record(c)?;
            Ok(copy)
        })
        .await?;
    viewer.flash(FlashKind::Success, format!("Created \u{201c}{}\u{201d}: it is yours to edit.", copy.name));
    Ok(see_other(&format!("/templates/{}", copy.id)))
}
