//! POST <base>/save and <base>/cancel: step 3 of the wizard commits everything in one
//! transaction, or the wizard is discarded.

use super::wizard::{authorize, load_or_fresh, Scope};
use super::wizard_pages::{details_page, summary_page};
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::users::save::{self, SaveError};
use crate::users::wizard as state;
use crate::validation::FieldErrors;
use crate::web::respond::see_other;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::{Arc, Mutex};

/// Save: create or update the user, then forget the wizard.
#[tracing::instrument(skip_all)]
pub async fn save(viewer: Viewer, db: web::Data<Db>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let scope = Scope::of(&req)?;
    authorize(&viewer, &db, &scope).await?;
    if scope.w.is_empty() {
        return Err(AppError::NotFound);
    }
    let s = load_or_fresh(&viewer, &db, &scope).await?;
    if !s.details_done {
        return Ok(see_other(&scope.step_url(1)));
    }
    let actor = viewer.actor();
    let (who, w, st) = (viewer.access(), scope.w.clone(), s.clone());
    // A refused save must roll back: the closure fails and leaves the reason here.
    let refusal: Arc<Mutex<Option<SaveError>>> = Arc::default();
    let slot = refusal.clone();
    let saved = db
        .transaction(move |c| {
            let avatar = if st.new_avatar { state::avatar(c, &w)? } else { None };
            match save::commit(c, &actor, &who.subject(), &st, avatar) {
                Ok(id) => {
                    state::discard(c, &w, actor.id)?;
                    Ok(id)
                }
                Err(SaveError::Db(e)) => Err(e.into()),
                Err(e) => {
                    let msg = e.to_string();
                    if let Ok(mut g) = slot.lock() {
                        *g = Some(e);
                    }
                    Err(AppError::BadRequest(msg))
                }
            }
        })
        .await;
    let taken = refusal.lock().ok().and_then(|mut g| g.take());
    let result = match (saved, taken) {
        (Ok(id), _) => Ok(id),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => return Err(e),
    };
    match result {
        Ok(id) => {
            let what = if scope.creating() { "created" } else { "saved" };
            viewer.flash(FlashKind::Success, format!("User {} {what}.", s.email));
            Ok(see_other(&format!("/users/{id}")))
        }
        Err(SaveError::EmailTaken) => {
            let mut errors = FieldErrors::default();
            errors.add("email", SaveError::EmailTaken.to_string());
            details_page(&viewer, scope, s, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(SaveError::OwnPermissions) => Err(AppError::forbidden("own permissions")),
        Err(e) => summary_page(&viewer, &db, scope, s, Some(e.to_string()), StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// Cancel: discard the wizard and everything entered.
#[tracing::instrument(skip_all)]
pub async fn cancel(viewer: Viewer, db: web::Data<Db>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let scope = Scope::of(&req)?;
    authorize(&viewer, &db, &scope).await?;
    let (w, owner, target) = (scope.w.clone(), viewer.id(), scope.target);
    let saved = if w.is_empty() {
        Vec::new()
    } else {
        db.run(move |c| {
            let saved = state::load(c, &w, owner, target)?.map(|s| s.saved_presets).unwrap_or_default();
            state::discard(c, &w, owner)?;
            Ok(saved)
        })
        .await?
    };
    if saved.is_empty() {
        viewer.flash(FlashKind::Info, "Nothing was saved.");
    } else {
        let names: Vec<String> = saved.iter().map(|n| format!("“{n}”")).collect();
        viewer.flash(
            FlashKind::Info,
            format!(
                "The user was not changed. The preset {} saved with “Save as new” stays: find it under Presets.",
                names.join(", ")
            ),
        );
    }
    Ok(see_other(&match scope.target {
        Some(id) => format!("/users/{id}"),
        None => "/users".into(),
    }))
}
