//! GET/POST /automation/{id}/delete: confirmation, then deletion (automation.delete; owner or
//! Administrator).

use super::Editor;
use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::automation::model;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "automation/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub shared: bool,
}

pub async fn confirm(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationDelete)?;
    let (id, who) = (id.into_inner(), Editor::of(&viewer));
    let rule = db.transaction(move |c| who.manageable(c, id)).await?;
    page(DeletePage { layout: viewer.layout("/automation"), id, name: rule.name, shared: rule.shared })
}

pub async fn delete(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationDelete)?;
    let (id, who) = (id.into_inner(), Editor::of(&viewer));
    db.transaction(move |c| {
        let before = who.manageable(c, id)?;
        model::delete(c, id)?;
        audit::Entry::new(Some(who.id), "rule.delete", "automation_rule", id)
            .before(serde_json::to_value(&before).unwrap_or_default())
            .ip(who.ip)
            .record(c)?;
        Ok(())
    })
    .await?;
    viewer.flash(FlashKind::Success, "Rule deleted.");
    Ok(see_other("/automation"))
}
