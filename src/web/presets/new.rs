//! GET/POST /presets/new: create a custom preset from a blank checklist, from a copy of another
//! preset (`?from=<id>`), or from any preset page's "Save as new" form (which posts here).

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{store, PermSet};
use crate::presets::{self, PresetError};
use crate::validation::FieldErrors;
use crate::web::checklist::{self, Checklist};
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::Connection;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "presets/new.html")]
pub struct NewPage {
    pub layout: Layout,
    /// The name as typed.
    pub typed_name: String,
    /// The preset the checklist was copied from, if any.
    pub from_name: Option<String>,
    pub checklist: Checklist,
    pub locked: bool,
    pub errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct NewQuery {
    from: Option<i64>,
}

fn new_page(viewer: &Viewer, name: String, from_name: Option<String>, keys: PermSet, errors: FieldErrors) -> NewPage {
    NewPage {
        layout: viewer.layout("/presets"),
        typed_name: name,
        from_name,
        checklist: super::author_checklist(keys, viewer.perms()),
        locked: !keys.is_subset(viewer.perms()),
        errors,
    }
}

/// The creation form: blank, or pre-filled with the keys of preset `from`.
#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, query: web::Query<NewQuery>) -> Result<HttpResponse, AppError> {
    super::require_manage(&viewer)?;
    let (from_name, keys) = match query.from {
        Some(id) => {
            let (p, keys) = db.run(move |c| Ok((presets::find(c, id)?, store::keys_of(c, id)?))).await?;
            (Some(p.name), keys)
        }
        None => (None, PermSet::EMPTY),
    };
    page(new_page(&viewer, String::new(), from_name, keys, FieldErrors::default()))
}

/// The new-preset form: a name and the ticked keys.
#[derive(serde::Deserialize)]
pub struct NewPresetForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    perm: Vec<String>,
}

/// Creates the preset with exactly the ticked keys (no escalation, unique name).
#[tracing::instrument(skip_all)]
pub async fn submit(viewer: Viewer, db: web::Data<Db>, form: Form<NewPresetForm>) -> Result<HttpResponse, AppError> {
    super::require_manage(&viewer)?;
    let form = form.into_inner();
    let name = form.name.trim().to_string();
    let keys = checklist::keys(&form.perm);
    let mut errors = FieldErrors::default();
    if keys.is_empty() {
        errors.add("perm", "Tick at least one permission.");
    }
    if errors.is_empty() {
        let (author, perms, n) = (viewer.id(), viewer.perms(), name.clone());
        let created = db
            .transaction(
                // A savepoint, so a name taken by a concurrent creation is reported like any other.
                move |c| match c.transaction(|c| presets::create_custom(c, author, perms, &n, keys)) {
                    Ok(id) => Ok(Ok(id)),
                    Err(PresetError::Db(e)) if presets::unique_violation(&e) => Ok(Err(PresetError::NameTaken)),
                    Err(PresetError::Db(e)) => Err(e.into()),
                    Err(e) => Ok(Err(e)),
                },
            )
            .await?;
        match created {
            Ok(id) => {
                viewer.flash(FlashKind::Success, format!("Preset “{name}” created."));
                return Ok(see_other(&format!("/presets/{id}")));
            }
            Err(e @ PresetError::Escalation(_)) => errors.add("perm", e.to_string()),
            Err(e) => errors.add("name", e.to_string()),
        }
    }
    render(new_page(&viewer, name, None, keys, errors), StatusCode::UNPROCESSABLE_ENTITY)
}
