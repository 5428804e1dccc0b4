//! POST /users/new/permissions and /users/{id}/edit/permissions: step 2 of the wizard (role,
//! presets, checklist with per-user overrides, "Save as new", data settings).

use super::wizard::{authorize, load_or_fresh, Scope};
use super::wizard_pages::permissions_page;
use crate::access::escalation::Escalation;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::presets;
use crate::users::save::{check_escalation, SaveError};
use crate::users::wizard as state;
use crate::validation::FieldErrors;
use crate::web::checklist;
use crate::web::form::Form;
use crate::web::respond::see_other;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// Step 2 as submitted.
#[derive(serde::Deserialize)]
pub struct PermissionsForm {
    /// next, back, refresh, rebase or save_as_new.
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    preset: Vec<String>,
    #[serde(default)]
    perm: Vec<String>,
    disable_export: Option<String>,
    only_owned: Option<String>,
    #[serde(default)]
    preset_name: String,
    /// Each preset listed, and beside it (in the same order) the end typed for it.
    #[serde(default)]
    until_for: Vec<String>,
    #[serde(default)]
    until: Vec<String>,
}

impl PermissionsForm {
    fn choice(&self) -> state::PermissionsChoice {
        state::PermissionsChoice {
            role: self.role.parse().ok(),
            presets: self.preset.iter().filter_map(|v| v.parse().ok()).collect(),
            checked: checklist::keys(&self.perm),
            disable_export: self.disable_export.is_some(),
            only_owned: self.only_owned.is_some(),
            rebase: self.action == "rebase",
        }
    }
}

/// Step 2 submitted. `action`: next, back, refresh, rebase or save_as_new.
#[tracing::instrument(skip_all)]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    req: HttpRequest,
    form: Form<PermissionsForm>,
) -> Result<HttpResponse, AppError> {
    let scope = Scope::of(&req)?;
    authorize(&viewer, &db, &scope).await?;
    if scope.target == Some(viewer.id()) {
        return Err(AppError::forbidden("nobody changes their own permissions"));
    }
    if scope.w.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut s = load_or_fresh(&viewer, &db, &scope).await?;
    let form = form.into_inner();
    let action = if form.action.is_empty() { "next".to_string() } else { form.action.clone() };
    let all = db.run(|c| Ok(state::all_presets(c)?)).await?;
    let changed = s.choose_permissions(&form.choice(), &all, scope.creating());
    let mut errors = FieldErrors::default();
    let typed: Vec<(i64, String)> = form
        .until_for
        .iter()
        .zip(&form.until)
        .filter_map(|(id, text)| Some((id.parse().ok()?, text.clone())))
        .collect();
    let wrong = s.choose_ends(&typed, viewer.id(), chrono::Utc::now());
    if !wrong.is_empty() {
        let said: Vec<String> = wrong
            .iter()
            .map(|(id, why)| {
                let name = all.iter().find(|p| p.id == *id).map_or(String::new(), |p| p.name.clone());
                format!("{name}: {why}")
            })
            .collect();
        errors.add("preset", format!("The end of a preset: {}", said.join(" · ")));
    }

    if action == "save_as_new" && !changed {
        let name = form.preset_name.trim().to_string();
        let checked = checklist::keys(&form.perm);
        let (actor, perms) = (viewer.id(), viewer.perms());
        let n = name.clone();
        let created = db
            .transaction(move |c| match presets::create_custom(c, actor, perms, &n, checked) {
                Ok(id) => Ok(Ok(id)),
                Err(presets::PresetError::Db(e)) => Err(e.into()),
                Err(e) => Ok(Err(e.to_string())),
            })
            .await?;
        match created {
            Ok(id) => {
                // The checklist as shown becomes the user's only preset, with no overrides.
                s.presets = vec![id];
                s.grants.clear();
                s.revokes.clear();
                s.saved_presets.push(name.clone());
                viewer.flash(
                    FlashKind::Success,
                    format!(
                        "Preset “{name}” is saved now, for everyone who assigns presets (it stays even if you cancel this wizard); it is this user's only preset."
                    ),
                );
            }
            Err(msg) => {
                errors.add("preset_name", msg);
                return permissions_page(&viewer, &db, scope, s, errors, name, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    }
    if action != "back" && !changed {
        let (who, check) = (viewer.access(), s.clone());
        match db.run(move |c| Ok(check_escalation(c, &who.subject(), &check))).await? {
            Ok(_) => {}
            Err(SaveError::Escalation(e @ Escalation::AdministratorRole)) => errors.add("role", e.to_string()),
            Err(SaveError::Escalation(e)) => errors.add("perm", e.to_string()),
            Err(e) => return Err(AppError::Internal(anyhow::Error::new(e).context("escalation check"))),
        }
    }
    let (w, keep) = (scope.w.clone(), s.clone());
    db.run(move |c| Ok(state::store(c, &w, &keep)?)).await?;
    if !errors.is_empty() {
        return permissions_page(&viewer, &db, scope, s, errors, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // Enter in "Preset name" submits as "refresh" where a browser runs no script: the page is
    // shown again with the name kept, for "Save as new preset".
    if action == "refresh" && !form.preset_name.trim().is_empty() {
        let name = form.preset_name.clone();
        return permissions_page(&viewer, &db, scope, s, errors, name, StatusCode::OK).await;
    }
    let next = match action.as_str() {
        "back" => 1,
        "next" if !changed => 3,
        _ => {
            if changed {
                viewer.flash(
                    FlashKind::Info,
                    "The checklist now follows the chosen role and presets. Review it, then continue.",
                );
            }
            2
        }
    };
    Ok(see_other(&scope.step_url(next)))
}
