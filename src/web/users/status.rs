//! POST /users/{id}/deactivate, /users/{id}/reactivate, /users/{id}/sign-out and
//! /users/{id}/two-factor/reset. A deactivated
//! user cannot sign in and every session of theirs ends at once; signing out ends the sessions
//! only.

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::users::lifecycle::{self, Actor, LifecycleError};
use crate::web::confirm::ConfirmPage;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};

/// Turns a refusal into a flash on the card; anything else is an error.
fn outcome(viewer: &Viewer, id: i64, r: Result<String, LifecycleError>) -> Result<HttpResponse, AppError> {
    match r {
        Ok(msg) => viewer.flash(FlashKind::Success, msg),
        Err(LifecycleError::Db(e)) => return Err(e.into()),
        Err(LifecycleError::OwnAccount) => return Err(AppError::forbidden("own account")),
        Err(e) => viewer.flash(FlashKind::Error, e.to_string()),
    }
    Ok(see_other(&format!("/users/{id}")))
}

/// Runs one lifecycle step on user `id` in a transaction (a refusal rolls nothing back, as
/// nothing was written) and reports it on the card.
async fn run(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    step: impl FnOnce(&mut diesel::PgConnection, &Actor, i64) -> Result<String, LifecycleError> + Send + 'static,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationUsersManage)?;
    let id = id.into_inner();
    let actor = viewer.actor();
    let r = db
        .transaction(move |c| match step(c, &actor, id) {
            Err(LifecycleError::Db(e)) => Err(e.into()),
            r => Ok(r),
        })
        .await?;
    outcome(&viewer, id, r)
}

/// GET /users/{id}/deactivate: what deactivating does, and the button that does it.
#[tracing::instrument(skip_all)]
pub async fn confirm_deactivate(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationUsersManage)?;
    let id = id.into_inner();
    let (user, owned) = db
        .run(move |c| {
            let user =
                crate::accounts::find(c, id)?.filter(crate::accounts::User::is_active).ok_or(AppError::NotFound)?;
            Ok((user, lifecycle::count_owned(c, id)?))
        })
        .await?;
    let who = format!("{} ({})", user.display_name(), user.email);
    ConfirmPage::new(viewer.layout("/users"), format!("Deactivate {}?", user.display_name()), format!("/users/{id}/deactivate"), format!("/users/{id}"))
        .then(format!("{who} is signed out everywhere at once and can no longer sign in."))
        .then(format!(
            "What they own stays theirs: {} contacts as main owner, {} co-ownerships, {} teams they manage, {} automation rules (which stop acting for them).",
            owned.main_contacts, owned.co_owned, owned.teams_managed, owned.rules
        ))
        .then("You can reactivate them at any time from their card.")
        .button("Deactivate", true)
        .show()
}

#[tracing::instrument(skip_all)]
pub async fn deactivate(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    run(viewer, db, id, |c, actor, id| {
        lifecycle::deactivate(c, actor, id).map(|u| format!("{} is deactivated and signed out everywhere.", u.email))
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn reactivate(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    run(viewer, db, id, |c, actor, id| {
        lifecycle::reactivate(c, actor, id).map(|u| format!("{} can sign in again.", u.email))
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn sign_out(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    run(viewer, db, id, |c, actor, id| {
        lifecycle::sign_out_everywhere(c, actor, id).map(|(u, n)| {
            format!("{} is signed out everywhere ({n} session{} ended).", u.email, if n == 1 { "" } else { "s" })
        })
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn reset_two_factor(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    run(viewer, db, id, |c, actor, id| {
        lifecycle::reset_two_factor(c, actor, id).map(|u| {
            format!("Two-factor of {} is reset: they sign in with their password and set it up again.", u.email)
        })
    })
    .await
}
