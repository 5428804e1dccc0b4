//! POST /users/new/permissions and /users/{id}/edit/permissions: step 2 of the wizard (role,
//! presets, checklist with per-user overrides, "Save as new", data settings).

use super::wizard::{authorize, load_or_fresh, Scope};
use super::wizard_pages::permissions_page;
use crate::access::grant::Escalation;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Role;
use crate::presets;
use crate::users::save::{check_escalation, SaveError};
use crate::users::wizard::{self as state, WizardState};
use crate::validation::FieldErrors;
use crate::web::checklist;
use crate::web::respond::see_other;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Applies the submitted step 2 to the state. Returns whether role or presets changed, in
/// which case the checklist was re-based and the user should see it again.
fn apply(s: &mut WizardState, pairs: &[(String, String)], all: &[state::PresetInfo], creating: bool) -> bool {
    let old_base = state::base_of(all, &s.presets);
    // Overrides are what the shown checklist differs from the presets it was built on.
    s.set_overrides(checklist::parse(pairs), old_base);
    s.disable_export = value(pairs, "disable_export").is_some();
    s.only_owned = value(pairs, "only_owned").is_some();
    let mut held: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "preset")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|id| all.iter().any(|p| p.id == *id))
        .collect();
    held.sort_unstable();
    held.dedup();
    let role: Role = value(pairs, "role").and_then(|r| r.parse().ok()).unwrap_or(s.role());
    let role_changed = role != s.role();
    // Creating: a new role re-bases at once. Editing: only when asked ("Use the role's preset").
    if (role_changed && creating) || value(pairs, "action") == Some("rebase") {
        // Drop every system preset, hold the role's one; custom presets stay.
        held.retain(|id| all.iter().any(|p| p.id == *id && p.system_role.is_none()));
        if let Some(p) = all.iter().find(|p| p.system_role.as_deref() == Some(role.as_str())) {
            held.push(p.id);
            held.sort_unstable();
        }
    }
    s.role = role.as_str().into();
    let mut before = s.presets.clone();
    before.sort_unstable();
    let changed = role_changed || before != held;
    if before != held {
        // Keep the overrides, minus those the new presets make pointless.
        let base = state::base_of(all, &held);
        let (g, r) = (s.grants().difference(base), s.revokes().difference(s.revokes().difference(base)));
        s.set_overrides(base.union(g).difference(r), base);
    }
    s.presets = held;
    changed
}

/// Step 2 submitted. `action`: next, back, refresh, rebase or save_as_new.
#[tracing::instrument(skip_all)]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
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
    let pairs = form.into_inner();
    let action = value(&pairs, "action").unwrap_or("next").to_string();
    let all = db.run(|c| Ok(state::all_presets(c)?)).await?;
    let changed = apply(&mut s, &pairs, &all, scope.creating());
    let mut errors = FieldErrors::default();

    if action == "save_as_new" && !changed {
        let name = value(&pairs, "preset_name").unwrap_or_default().trim().to_string();
        let checked = checklist::parse(&pairs);
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
