//! POST /presets/{id}: edit a custom preset's keys. The first post shows the impact (every
//! holder and the keys each gains or loses); a confirmation saves, but only if the preset's
//! version and the impact are still what the preview showed. Otherwise the new impact is shown
//! and nothing is saved.

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{store, PermSet};
use crate::presets::{self, Impact, Preset, PresetError};
use crate::web::checklist;
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "presets/preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub preset: Preset,
    pub added: Vec<&'static str>,
    pub removed: Vec<&'static str>,
    /// The preset's keys after the edit (carried by the confirmation form).
    pub keys: Vec<&'static str>,
    pub impact: Vec<Impact>,
    pub affected: usize,
    /// The editor holds this preset and their own permissions change.
    pub self_affected: bool,
    pub viewer_id: i64,
    pub digest: String,
    /// Why the confirmation was refused, if it was.
    pub stale: Option<&'static str>,
}

/// What a preview shows, computed inside the transaction.
struct Preview {
    preset: Preset,
    current: PermSet,
    keys: PermSet,
    impact: Vec<Impact>,
    digest: String,
    stale: Option<&'static str>,
}

enum Outcome {
    Saved(String),
    Unchanged,
    Preview(Box<Preview>),
}

const CHANGED_SINCE_FORM: &str = "This preset was changed by someone else after you opened it. Below is the \
     impact of your edit on its current state; check it before saving.";
const CHANGED_SINCE_PREVIEW: &str = "Nothing was saved: this preset or the users holding it changed after \
     your preview. Below is the impact as it is now; confirm again if it is still what you want.";

/// The edit form: the ticked keys, the version it was opened at, and on confirmation
/// (`step=confirm`) the digest of the impact previewed.
#[derive(serde::Deserialize)]
pub struct EditForm {
    #[serde(default)]
    perm: Vec<String>,
    #[serde(default)]
    version: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    digest: String,
}

/// Preview (first post) or confirmation (`step=confirm`) of an edit.
#[tracing::instrument(skip_all, fields(preset = *id))]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    super::require_manage(&viewer)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let submitted = checklist::keys(&form.perm);
    let version: Option<i32> = form.version.trim().parse().ok();
    let confirm = form.step == "confirm";
    let digest = form.digest;
    let (actor, author, ip, who) = (viewer.id(), viewer.perms(), viewer.ip.clone(), viewer.access());
    let outcome = db
        .transaction(move |c| {
            let preset = presets::find_for_update(c, id)?;
            super::require_custom(&preset)?;
            let current = store::keys_of(c, id)?;
            let keys = presets::merge_edit(author, current, submitted).map_err(|e| match e {
                PresetError::Escalation(k) => {
                    AppError::forbidden(format!("user {actor} tried to add {k} to preset {id}"))
                }
                other => other.into(),
            })?;
            let impact = presets::impact(c, id, keys)?;
            presets::check_holders(&who.subject(), &impact).map_err(|e| AppError::BadRequest(e.to_string()))?;
            let digest_now = presets::impact_digest(preset.version, keys, &impact);
            let fresh = version == Some(preset.version);
            if confirm && fresh && digest == digest_now {
                if keys == current {
                    return Ok(Outcome::Unchanged);
                }
                presets::save_keys(c, actor, ip, &preset, current, keys, &impact)?;
                if presets::touches_administrator(&impact) {
                    crate::access::escalation::ensure_complete_administrator(c)
                        .map_err(|e| AppError::BadRequest(e.to_string()))?;
                }
                return Ok(Outcome::Saved(preset.name));
            }
            let stale = match (confirm, fresh) {
                (true, _) => Some(CHANGED_SINCE_PREVIEW),
                (false, false) => Some(CHANGED_SINCE_FORM),
                (false, true) => None,
            };
            Ok(Outcome::Preview(Box::new(Preview { preset, current, keys, impact, digest: digest_now, stale })))
        })
        .await?;
    match outcome {
        Outcome::Saved(name) => {
            viewer.flash(FlashKind::Success, format!("Preset “{name}” saved."));
            Ok(see_other(&format!("/presets/{id}")))
        }
        Outcome::Unchanged => {
            viewer.flash(FlashKind::Info, "Nothing to save: the preset already has these permissions.");
            Ok(see_other(&format!("/presets/{id}")))
        }
        Outcome::Preview(p) => {
            let status = if p.stale.is_some() && confirm { StatusCode::CONFLICT } else { StatusCode::OK };
            render(page(viewer.layout("/presets"), viewer.id(), *p), status)
        }
    }
}

fn page(layout: Layout, viewer_id: i64, p: Preview) -> PreviewPage {
    PreviewPage {
        layout,
        added: p.keys.difference(p.current).keys(),
        removed: p.current.difference(p.keys).keys(),
        keys: p.keys.keys(),
        affected: p.impact.iter().filter(|i| i.changes()).count(),
        self_affected: p.impact.iter().any(|i| i.holder.id == viewer_id && i.changes()),
        viewer_id,
        preset: p.preset,
        impact: p.impact,
        digest: p.digest,
        stale: p.stale,
    }
}
