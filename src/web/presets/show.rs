//! GET /presets/{id}: a preset's checklist. System presets are read-only everywhere; preset
//! managers get, for custom presets, a rename form and an edit form (impact preview first),
//! and on every preset a "Save as new" form.

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{store, Perm};
use crate::presets::{self, Holder, Preset};
use crate::web::checklist::Checklist;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "presets/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub preset: Preset,
    pub key_count: usize,
    pub holder_count: usize,
    /// Names of the holders; empty unless the viewer may see users.
    pub holders: Vec<Holder>,
    pub show_holders: bool,
    /// Forms (rename, edit, save as new): the viewer holds administration.presets_manage.
    pub can_manage: bool,
    pub checklist: Checklist,
    /// Some ticked keys are locked because the viewer does not hold them.
    pub locked: bool,
    /// The rename field as typed, and its error (when a rename was refused).
    pub rename_value: String,
    pub rename_error: Option<String>,
    pub history: Vec<crate::audit::Row>,
}

/// Builds the page of preset `id` for `viewer` (also used to show a refused rename again).
pub async fn load(viewer: &Viewer, db: &Db, id: i64) -> Result<ShowPage, AppError> {
    let (preset, keys, holders, history) = db
        .run(move |c| {
            let preset = presets::find(c, id)?;
            let keys = store::keys_of(c, id)?;
            let holders = presets::holders(c, id)?;
            Ok((preset, keys, holders, crate::audit::history(c, "preset", id, 30)?))
        })
        .await?;
    let can_manage = viewer.has(Perm::AdministrationPresetsManage);
    let show_holders = viewer.has(Perm::AdministrationUsersView) || viewer.has(Perm::AdministrationUsersManage);
    let checklist = if can_manage { super::author_checklist(keys, viewer.perms()) } else { Checklist::view(keys) };
    Ok(ShowPage {
        layout: viewer.layout("/presets"),
        key_count: keys.len(),
        holder_count: holders.len(),
        holders: if show_holders { holders } else { Vec::new() },
        show_holders,
        can_manage,
        checklist,
        locked: can_manage && !keys.is_subset(viewer.perms()),
        rename_value: preset.name.clone(),
        rename_error: None,
        history,
        preset,
    })
}

/// The preset page.
#[tracing::instrument(skip_all, fields(preset = *id))]
pub async fn show(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    super::require_view(&viewer)?;
    page(load(&viewer, &db, id.into_inner()).await?)
}
