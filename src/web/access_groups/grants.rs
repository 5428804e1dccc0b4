//! POST /access-groups/{id}/grants: adds a grant, to a team or to a user by email.

use super::edit::{group_page, GrantDraft};
use crate::access::ends;
use crate::access_groups::{self as model, GrantError, Holder, LEVELS};
use crate::accounts::active_by_email;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct AddForm {
    /// "team" or "user".
    #[serde(default)]
    target: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    level: String,
    /// An end (empty: none; `access::ends::parse`).
    #[serde(default)]
    until: String,
}

pub(super) fn valid_level(level: &str, errors: &mut FieldErrors) {
    if !LEVELS.contains(&level) {
        errors.add("level", "Choose see, see and edit, or edit and send.");
    }
}

/// Adds a grant; 422 on the group page when it is refused.
#[tracing::instrument(skip_all)]
pub async fn add(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let (id, form) = (id.into_inner(), form.into_inner());
    let (f, actor, who) = (form.clone(), viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| {
            model::find(c, id)?;
            let mut errors = FieldErrors::default();
            valid_level(&f.level, &mut errors);
            let end = ends::parse_field(&f.until, chrono::Utc::now(), "until", &mut errors);
            let mut holder = None;
            match f.target.as_str() {
                "team" => {
                    let tid = f.team_id.trim().parse::<i64>().ok();
                    let exists = match tid {
                        Some(t) => model::team_exists(c, t)?,
                        None => false,
                    };
                    match tid.filter(|_| exists) {
                        Some(t) => holder = Some(Holder::Team(t)),
                        None => errors.add("team_id", "Choose a team."),
                    }
                }
                "user" => match active_by_email(c, &f.email)? {
                    Ok(u) => holder = Some(Holder::User(u.id)),
                    Err(msg) => errors.add("email", msg),
                },
                _ => errors.add("target", "Choose whether to grant to a team or to a user."),
            }
            let Some(holder) = holder.filter(|_| errors.is_empty()) else { return Ok(Err(errors)) };
            let end = ends::End::set(end, actor.id);
            match model::add_grant(c, &actor, &who, id, holder, &f.level, end) {
                Ok(grant) => Ok(Ok((grant.holder(), end.at))),
                Err(GrantError::Exists) => {
                    let field = if matches!(holder, Holder::Team(_)) { "team_id" } else { "email" };
                    errors.add(field, GrantError::Exists.to_string());
                    Ok(Err(errors))
                }
                Err(GrantError::Denied(d)) => Err(d.into()),
            }
        })
        .await?;
    match done {
        Ok((holder, until)) => {
            let words = crate::access::Level::words_of(&form.level);
            let until = ends::until_suffix(until);
            viewer.flash(FlashKind::Success, format!("{holder} may now {words} the contacts of this group{until}."));
            Ok(see_other(&format!("/access-groups/{id}")))
        }
        Err(errors) => {
            let draft = GrantDraft {
                target: form.target,
                team_id: form.team_id,
                email: form.email,
                level: form.level,
                until: form.until,
            };
            group_page(&viewer, &db, id, None, draft, errors).await
        }
    }
}
