//! GET/POST /presets/{id}/delete: delete a custom preset. The confirmation lists the users who
//! hold it; if any does, a replacement preset must be chosen, which they get instead (all in one
//! transaction). A replacement may hold only keys the deleting user holds (no escalation).

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::store;
use crate::presets::{self, Holder, Preset};
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "presets/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub preset: Preset,
    pub holders: Vec<Holder>,
    /// Presets the holders may get instead: every other preset the viewer could have created.
    pub options: Vec<Preset>,
    pub selected: Option<i64>,
    pub error: Option<String>,
}

impl DeletePage {
    pub fn is_selected(&self, id: &i64) -> bool {
        self.selected == Some(*id)
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    replacement: Option<String>,
}

async fn load(viewer: &Viewer, db: &Db, id: i64) -> Result<DeletePage, AppError> {
    let perms = viewer.perms();
    let (preset, holders, options) = db
        .run(move |c| {
            let preset = presets::find(c, id)?;
            super::require_custom(&preset)?;
            let keys = store::all_preset_keys(c)?;
            let options = presets::all(c)?
                .into_iter()
                .filter(|p| p.id != id && keys.get(&p.id).copied().unwrap_or_default().is_subset(perms))
                .collect();
            Ok((preset, presets::holders(c, id)?, options))
        })
        .await?;
    Ok(DeletePage { layout: viewer.layout("/presets"), preset, holders, options, selected: None, error: None })
}

/// The confirmation page.
#[tracing::instrument(skip_all, fields(preset = *id))]
pub async fn show(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    super::require_manage(&viewer)?;
    page(load(&viewer, &db, id.into_inner()).await?)
}

/// Deletes the preset and moves its holders to the replacement, or shows why not.
#[tracing::instrument(skip_all, fields(preset = *id))]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    super::require_manage(&viewer)?;
    let id = id.into_inner();
    let raw = form.into_inner().replacement.unwrap_or_default();
    let replacement: Option<i64> = raw.trim().parse().ok();
    let (actor, perms, ip, who) = (viewer.id(), viewer.perms(), viewer.ip.clone(), viewer.access());
    let result = db
        .transaction(move |c| {
            let preset = presets::find_for_update(c, id)?;
            super::require_custom(&preset)?;
            let holders = presets::holders(c, id)?;
            let repl = match replacement.filter(|r| *r != id) {
                Some(r) => match presets::find(c, r).optional()? {
                    Some(p) if store::keys_of(c, p.id)?.is_subset(perms) => Some(p),
                    Some(_) => return Ok(Err("You can only give users a preset whose permissions you hold yourself.")),
                    None => return Ok(Err("That preset no longer exists. Choose another one.")),
                },
                None if !raw.trim().is_empty() => return Ok(Err("Choose another preset than the one being deleted.")),
                None => None,
            };
            if repl.is_none() && !holders.is_empty() {
                return Ok(Err("Users hold this preset: choose the preset they get instead."));
            }
            let repl_keys = match &repl {
                Some(r) => store::keys_of(c, r.id)?,
                None => crate::permissions::PermSet::EMPTY,
            };
            // Holding the replacement in the deleted preset's place is the preset taking its keys.
            let impact = presets::impact(c, id, repl_keys)?;
            if presets::check_holders(&who.subject(), &impact).is_err() {
                return Ok(Err("An Administrator holds this preset: only an Administrator can delete it."));
            }
            let keys = store::keys_of(c, id)?;
            let moved = presets::delete(c, actor, ip, &preset, keys, repl.as_ref())?;
            if presets::touches_administrator(&impact)
                && crate::access::escalation::ensure_complete_administrator(c).is_err()
            {
                return Err(AppError::BadRequest(
                    "This would leave no active Administrator holding every permission.".into(),
                ));
            }
            Ok(Ok((preset.name, moved, repl.map(|r| r.name))))
        })
        .await?;
    match result {
        Ok((name, moved, repl)) => {
            let text = match repl {
                Some(r) if moved > 0 => {
                    format!("Preset “{name}” deleted; {moved} user(s) now hold “{r}” instead.")
                }
                _ => format!("Preset “{name}” deleted."),
            };
            viewer.flash(FlashKind::Success, text);
            Ok(see_other("/presets"))
        }
        Err(message) => {
            let mut page = load(&viewer, &db, id).await?;
            page.selected = replacement;
            page.error = Some(message.to_string());
            render(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

use diesel::OptionalExtension;
