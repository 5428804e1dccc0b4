//! POST /access-groups/{id}/grants: adds a grant, to a team or to a user by email.

use super::edit::{group_page, GrantDraft};
use crate::access_groups::{self as model, LEVELS};
use crate::accounts::active_by_email;
use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::schema::{access_group_grants, teams};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
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
}

pub(super) fn valid_level(level: &str, errors: &mut FieldErrors) {
    if !LEVELS.contains(&level) {
        errors.add("level", "Choose view, edit or act.");
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
    let (f, actor, ip) = (form.clone(), viewer.id(), viewer.ip.clone());
    let done = db
        .transaction(move |c| {
            model::find(c, id)?;
            let mut errors = FieldErrors::default();
            valid_level(&f.level, &mut errors);
            let (mut user_id, mut team_id) = (None, None);
            match f.target.as_str() {
                "team" => {
                    let tid = f.team_id.trim().parse::<i64>().ok();
                    let exists = match tid {
                        Some(t) => teams::table.find(t).select(teams::id).first::<i64>(c).optional()?.is_some(),
                        None => false,
                    };
                    if exists {
                        team_id = tid
                    } else {
                        errors.add("team_id", "Choose a team.")
                    }
                }
                "user" => match active_by_email(c, &f.email)? {
                    Ok(u) => user_id = Some(u.id),
                    Err(msg) => errors.add("email", msg),
                },
                _ => errors.add("target", "Choose whether to grant to a team or to a user."),
            }
            if !errors.is_empty() {
                return Ok(Err(errors));
            }
            let grant_id: Option<i64> = diesel::insert_into(access_group_grants::table)
                .values((
                    access_group_grants::group_id.eq(id),
                    access_group_grants::user_id.eq(user_id),
                    access_group_grants::team_id.eq(team_id),
                    access_group_grants::level.eq(&f.level),
                ))
                .on_conflict_do_nothing()
                .returning(access_group_grants::id)
                .get_result(c)
                .optional()?;
            let Some(grant_id) = grant_id else {
                let field = if team_id.is_some() { "team_id" } else { "email" };
                errors.add(field, "Already granted: change the level of the existing grant instead.");
                return Ok(Err(errors));
            };
            let grant = model::grant(c, id, grant_id)?;
            audit::Entry::new(Some(actor), "access_group.grant_add", "access_group", id)
                .before(serde_json::json!({ "grant": null }))
                .after(serde_json::json!({ "grant": grant.audit_json() }))
                .ip(ip)
                .record(c)?;
            Ok(Ok(grant.holder()))
        })
        .await?;
    match done {
        Ok(holder) => {
            viewer.flash(FlashKind::Success, format!("Granted {} to {holder}.", form.level));
            Ok(see_other(&format!("/access-groups/{id}")))
        }
        Err(errors) => {
            let draft = GrantDraft { target: form.target, team_id: form.team_id, email: form.email, level: form.level };
            group_page(&viewer, &db, id, None, draft, errors).await
        }
    }
}
