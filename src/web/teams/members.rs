//! POST /teams/{id}/members (add a member by email) and
//! POST /teams/{id}/members/{user_id}/remove.

use super::edit::team_page;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams as model;
use crate::validation::FieldErrors;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
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
    let (e, actor) = (email.clone(), viewer.actor());
    let done = db
        .transaction(move |c| {
            model::find(c, id)?;
            let user = match crate::accounts::active_by_email(c, &e)? {
                Ok(u) => u,
                Err(msg) => return Ok(Err(msg)),
            };
            Ok(if model::add_member(c, &actor, id, &user)? {
                Ok(user.email)
            } else {
                Err("This user is already a member.")
            })
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
    let actor = viewer.actor();
    let email = db
        .transaction(move |c| {
            model::find(c, id)?;
            model::remove_member(c, &actor, id, user_id)?.ok_or(AppError::NotFound)
        })
        .await?;
    viewer.flash(FlashKind::Success, format!("{email} removed from the team."));
    Ok(see_other(&format!("/teams/{id}")))
}
