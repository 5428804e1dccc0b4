//! GET /presets: system and custom presets with how many users hold each.

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{Perm, Role};
use crate::presets::{self, Summary};
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "presets/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub system: Vec<Summary>,
    pub custom: Vec<Summary>,
    /// "New preset" button: the viewer holds administration.presets_manage.
    pub can_manage: bool,
}

impl ListPage {
    /// The role label of a system preset.
    pub fn role_label(&self, s: &Summary) -> &'static str {
        s.system_role.as_deref().and_then(|r| r.parse::<Role>().ok()).map(Role::label).unwrap_or("")
    }
}

/// The presets list (one grouped query for the counts).
#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    super::require_view(&viewer)?;
    let all = db.run(|c| Ok(presets::list_with_counts(c)?)).await?;
    let (system, custom) = all.into_iter().partition(|s| s.system_role.is_some());
    page(ListPage {
        layout: viewer.layout("/presets"),
        system,
        custom,
        can_manage: viewer.has(Perm::AdministrationPresetsManage),
    })
}
