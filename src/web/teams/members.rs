//! POST /teams/{id}/members (add a member by email) and
//! POST /teams/{id}/members/{user_id}/remove.

use super::edit::team_page;
use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::schema::team_members;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams as model;
use crate::validation::FieldErrors;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    email: String,
}

/// Adds an active user to a team.
#[tracing::instrument(skip_all)]
pub async fn add(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let (id, email) = (id.into_inner(), form.into_inner().email);
    let (e, actor, ip) = (email.clone(), viewer.id(), viewer.ip.clone());
    let done = db
        .transaction(move |c| {
            model::find(c, id)?;
            let user = match model::active_user_by_email(c, &e)? {
                Ok(u) => u,
                Err(msg) => return Ok(Err(msg)),
            };
            let added = diesel::insert_into(team_members::table)
                .values((team_members::team_id.eq(id), team_members::user_id.eq(user.id)))
                .on_conflict_do_nothing()
                .execute(c)?;
            if added == 0 {
                return Ok(Err("This user is already a member."));
            }
            audit::Entry::new(Some(actor), "team.member_add", "team", id)
                .before(serde_json::json!({ "member": null }))
                .after(serde_json::json!({ "member": { "user_id": user.id, "email": user.email } }))
                .ip(ip)
                .record(c)?;
            Ok(Ok(user.email))
        })
        .await?;
    match done {
        Ok(added) => {
            viewer.flash(FlashKind::Success, format!("{added} added to the team."));
            Ok(see_other(&format!("/teams/{id}")))
        }
        Err(msg) => {
            let mut errors = FieldErrors::default();
            errors.add("member_email", msg);
            team_page(&viewer, &db, id, None, errors, email).await
        }
    }
}

/// Removes a member from a team.
#[tracing::instrument(skip_all)]
pub async fn remove(viewer: Viewer, db: web::Data<Db>, path: web::Path<(i64, i64)>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let (id, user_id) = path.into_inner();
    let (actor, ip) = (viewer.id(), viewer.ip.clone());
    let email = db
        .transaction(move |c| {
            model::find(c, id)?;
            let email: String =
                crate::db::schema::users::table.find(user_id).select(crate::db::schema::users::email).first(c)?;
            let n = diesel::delete(team_members::table.find((id, user_id))).execute(c)?;
            if n == 0 {
                return Err(AppError::NotFound);
            }
            audit::Entry::new(Some(actor), "team.member_remove", "team", id)
                .before(serde_json::json!({ "member": { "user_id": user_id, "email": email } }))
                .after(serde_json::json!({ "member": null }))
                .ip(ip)
                .record(c)?;
            Ok(email)
        })
        .await?;
    viewer.flash(FlashKind::Success, format!("{email} removed from the team."));
    Ok(see_other(&format!("/teams/{id}")))
}
