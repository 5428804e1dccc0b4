//! POST /contacts/{id}/tags, /groups and /confidential: tags (contacts.edit), access groups
//! and the confidential flag (contacts.assign; confidential only by the main owner or an
//! Administrator).

use crate::access::Operation;
use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::contacts::events::Event;
use crate::contacts::model;
use crate::db::Db;
use crate::error::AppError;
use crate::events;
use crate::permissions::Perm;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

fn back(viewer: &Viewer, id: i64, message: &str) -> HttpResponse {
    viewer.flash(FlashKind::Success, message);
    see_other(&format!("/contacts/{id}"))
}

#[derive(Deserialize)]
pub struct TagForm {
    #[serde(default)]
    add: String,
    #[serde(default)]
    remove: String,
}

#[tracing::instrument(skip_all, fields(contact = %id))]
pub async fn tags(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<TagForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsEdit)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let (actor, ip) = (viewer.id(), viewer.ip.clone());
    let added = model::parse_tags(&form.add);
    let removed = form.remove.trim().to_string();
    if added.is_empty() && removed.is_empty() {
        return Err(AppError::BadRequest("Type at least one tag.".into()));
    }
    super::change(&viewer, &db, id, Operation::Edit, "changed the tags of".into(), move |c, _| {
        let new_tags = model::add_tags(c, id, &added)?;
        let removed_n = if removed.is_empty() { 0 } else { model::remove_tag(c, id, &removed)? };
        if new_tags.is_empty() && removed_n == 0 {
            return Ok(((), false));
        }
        let change = if removed_n == 0 {
            json!({ "added": new_tags })
        } else {
            json!({ "added": new_tags, "removed": removed })
        };
        audit::Entry::new(Some(actor), "contact.tags", "contact", id).after(change).ip(ip).record(c)?;
        // "Tag added" rules hear only of tags the contact did not have.
        let event = if new_tags.is_empty() { Event::Changed } else { Event::TagsAdded(new_tags) };
        events::after(c, Some(actor), &event, &[id])?;
        Ok(((), true))
    })
    .await?;
    Ok(back(&viewer, id, "Tags updated."))
}

#[derive(Deserialize)]
pub struct GroupForm {
    op: String,
    group_id: i64,
}

#[tracing::instrument(skip_all, fields(contact = %id))]
pub async fn groups(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsAssign)?;
    let id = id.into_inner();
    let GroupForm { op, group_id } = form.into_inner();
    let (actor, ip) = (viewer.id(), viewer.ip.clone());
    super::change(&viewer, &db, id, Operation::Assign, "changed the access groups of".into(), move |c, _| {
        let n = match op.as_str() {
            "add" => model::add_group(c, id, group_id).map_err(|e| match e {
                diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ForeignKeyViolation, _) => {
                    AppError::NotFound
                }
                other => other.into(),
            })?,
            "remove" => model::remove_group(c, id, group_id)?,
            _ => return Err(AppError::BadRequest("Unknown action.".into())),
        };
        audit::Entry::new(Some(actor), &format!("contact.group_{op}"), "contact", id)
            .after(json!({ "group_id": group_id }))
            .ip(ip)
            .record(c)?;
        events::after(c, Some(actor), &Event::Changed, &[id])?;
        Ok(((), n > 0))
    })
    .await?;
    Ok(back(&viewer, id, "Access groups updated."))
}

#[derive(Deserialize)]
pub struct ConfidentialForm {
    confidential: String,
}

#[tracing::instrument(skip_all, fields(contact = %id))]
pub async fn confidential(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<ConfidentialForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsAssign)?;
    let id = id.into_inner();
    let on = form.confidential == "true";
    let (actor, ip) = (viewer.id(), viewer.ip.clone());
    // Who may set the flag is the access module's rule (Operation::Confidential).
    super::change(&viewer, &db, id, Operation::Confidential, "changed the confidential flag of".into(), move |c, _| {
        let before = model::find(c, id)?;
        model::set_confidential(c, id, on)?;
        audit::Entry::new(Some(actor), "contact.confidential", "contact", id)
            .before(json!({ "confidential": before.confidential }))
            .after(json!({ "confidential": on }))
            .ip(ip)
            .record(c)?;
        Ok(((), before.confidential != on))
    })
    .await?;
    Ok(back(&viewer, id, if on { "Marked confidential." } else { "No longer confidential." }))
}
