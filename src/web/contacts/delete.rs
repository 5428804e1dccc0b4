//! GET/POST /contacts/{id}/delete: confirmation, then deletion (contacts.delete, edit access).

use crate::access::{self, Operation};
use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::contacts::model;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "contacts/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub tags: i64,
    pub co_owners: i64,
    pub groups: i64,
}

pub async fn confirm(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsDelete)?;
    let id = id.into_inner();
    let who = viewer.access();
    let (name, tags, co_owners, groups) = db
        .run(move |c| {
            let s = who.subject();
            access::authorize(c, &s, id, Operation::Delete)?;
            let name = model::find(c, id)?.display_name();
            let (tags, co, groups) = model::dependants(c, id)?;
            Ok((name, tags, co, groups))
        })
        .await?;
    page(DeletePage { layout: viewer.layout("/contacts"), id, name, tags, co_owners, groups })
}

pub async fn delete(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsDelete)?;
    let id = id.into_inner();
    let (who, ip) = (viewer.access(), viewer.ip.clone());
    db.transaction(move |c| {
        let s = who.subject();
        model::lock(c, id)?;
        access::authorize(c, &s, id, Operation::Delete)?;
        let before = model::find(c, id)?;
        let tags = model::tags_of(c, id)?;
        let name = before.display_name();
        crate::notifications::notify_owners(c, id, who.id(), &format!("{} deleted “{name}”", who.user.email))?;
        model::delete(c, id)?;
        audit::Entry::new(Some(who.id()), "contact.delete", "contact", id)
            .before(serde_json::json!({ "contact": before, "tags": tags }))
            .ip(ip)
            .record(c)?;
        Ok(())
    })
    .await?;
    viewer.flash(FlashKind::Success, "Contact deleted.");
    Ok(see_other("/contacts"))
}
