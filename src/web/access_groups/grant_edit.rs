//! POST /access-groups/{id}/grants/{grant_id} (change a grant's level) and
//! POST /access-groups/{id}/grants/{grant_id}/remove.

use super::edit::{group_page, GrantDraft};
use crate::access_groups::{self as model, GrantError, LEVELS};
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::confirm::ConfirmPage;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LevelForm {
    #[serde(default)]
    level: String,
    /// The grant's end (empty: none).
    #[serde(default)]
    until: String,
}

/// Changes the level and the end of a grant.
#[tracing::instrument(skip_all)]
pub async fn change(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
    form: web::Form<LevelForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let (id, grant_id) = path.into_inner();
    let LevelForm { level, until } = form.into_inner();
    let mut errors = FieldErrors::default();
    if !LEVELS.contains(&level.as_str()) {
        errors.add("grant_level", "Choose see, see and edit, or edit and send.");
    }
    let mut typed = FieldErrors::default();
    let end = crate::access::ends::parse_field(&until, chrono::Utc::now(), "until", &mut typed);
    if let Some(e) = typed.get("until") {
        // Above the grants table, which has a row per grant: the message names the grant.
        errors.add("grant_level", format!("The end of grant #{grant_id}: {e}"));
    }
    if !errors.is_empty() {
        return group_page(&viewer, &db, id, None, GrantDraft::default(), errors).await;
    }
    let (actor, who, l) = (viewer.actor(), viewer.subject.clone(), level.clone());
    let end = crate::access::ends::End::set(end, actor.id);
    let holder = db
        .transaction(move |c| Ok(model::change_grant(c, &actor, &who, id, grant_id, &l, end).map_err(denied)?.holder()))
        .await?;
    let words = crate::access::Level::words_of(&level);
    let until = crate::access::ends::until_suffix(end.at);
    viewer.flash(FlashKind::Success, format!("{holder} may now {words} the contacts of this group{until}."));
    Ok(see_other(&format!("/access-groups/{id}")))
}

/// GET …/grants/{grant_id}/remove: what removing the grant does, and the button.
pub async fn confirm_remove(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let (id, grant_id) = path.into_inner();
    let (group, grant, contacts) = db
        .run(move |c| Ok((model::find(c, id)?, model::grant(c, id, grant_id)?, model::contact_count(c, id)?)))
        .await?;
    ConfirmPage::new(
        viewer.layout("/access-groups"),
        format!("Remove the grant of {} to {}?", group.name, grant.holder()),
        format!("/access-groups/{id}/grants/{grant_id}/remove"),
        format!("/access-groups/{id}"),
    )
    .then(format!(
        "{} no longer may {} the {contacts} contacts of {} through this group; access they have by another path stays.",
        grant.holder(),
        crate::access::Level::words_of(&grant.level),
        group.name
    ))
    .button("Remove grant", true)
    .show()
}

/// Removes a grant.
#[tracing::instrument(skip_all)]
pub async fn remove(viewer: Viewer, db: web::Data<Db>, path: web::Path<(i64, i64)>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let (id, grant_id) = path.into_inner();
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    let holder = db
        .transaction(move |c| Ok(model::remove_grant(c, &actor, &who, id, grant_id).map_err(denied)?.holder()))
        .await?;
    viewer.flash(FlashKind::Success, format!("Grant to {holder} removed."));
    Ok(see_other(&format!("/access-groups/{id}")))
}

/// A grant change refused: an existing grant cannot be the answer of a change or a removal.
fn denied(e: GrantError) -> AppError {
    match e {
        GrantError::Denied(d) => d.into(),
        GrantError::Exists => AppError::BadRequest(e.to_string()),
    }
}
