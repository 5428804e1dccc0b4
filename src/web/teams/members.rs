//! POST /teams/{id}/members (add a member by email) and
//! POST /teams/{id}/members/{user_id}/remove.

use super::edit::team_page;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams as model;
use crate::validation::FieldErrors;
use crate::web::confirm::ConfirmPage;
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
    let (e, actor, who) = (email.clone(), viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| {
            model::find(c, id)?;
            let user = match crate::accounts::active_by_email(c, &e)? {
                Ok(u) => u,
                Err(msg) => return Ok(Err(msg.to_string())),
            };
            Ok(match model::add_member(c, &actor, &who, id, &user) {
                Ok(true) => Ok(user.email),
                Ok(false) => Err("This user is already a member.".to_string()),
                // A member the actor may not add is said beside the field.
                Err(crate::access::Denied::Forbidden(why)) => Err(why),
                Err(e) => return Err(e.into()),
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

/// GET …/members/{user_id}/remove: what removing the member does, and the button.
pub async fn confirm_remove(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let (id, user_id) = path.into_inner();
    let (team, user, grants) = db
        .run(move |c| {
            let team = model::find(c, id)?;
            if !model::members(c, id)?.iter().any(|u| u.id == user_id) {
                return Err(AppError::NotFound);
            }
            let user = crate::accounts::find(c, user_id)?.ok_or(AppError::NotFound)?;
            Ok((team, user, model::granted_groups(c, id)?))
        })
        .await?;
    let mut page = ConfirmPage::new(
        viewer.layout("/teams"),
        format!("Remove {} from team {}?", user.display_name(), team.name),
        format!("/teams/{id}/members/{user_id}/remove"),
        format!("/teams/{id}"),
    )
    .then(format!("{} leaves the team: its manager no longer reaches the contacts {} owns.", user.email, user.email));
    if !grants.is_empty() {
        let names: Vec<&str> = grants.iter().map(|(_, name, _)| name.as_str()).collect();
        page = page.then(format!(
            "The team's access groups ({}) no longer give {} access; other paths (own contacts, co-ownerships, their own grants) stay.",
            names.join(", "),
            user.email
        ));
    }
    page.button("Remove from team", true).show()
}

/// Removes a member from a team.
#[tracing::instrument(skip_all)]
pub async fn remove(viewer: Viewer, db: web::Data<Db>, path: web::Path<(i64, i64)>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let (id, user_id) = path.into_inner();
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    let email = db
        .transaction(move |c| {
            model::find(c, id)?;
            model::remove_member(c, &actor, &who, id, user_id)?.ok_or(AppError::NotFound)
        })
        .await?;
    viewer.flash(FlashKind::Success, format!("{email} removed from the team."));
    Ok(see_other(&format!("/teams/{id}")))
}
