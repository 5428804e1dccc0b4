//! POST /presets/{id}/rename: rename a custom preset (unique name, case-insensitive).

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::presets::{self, PresetError};
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

/// Renames the preset, or shows its page again with the error beside the name field.
#[tracing::instrument(skip_all, fields(preset = *id))]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    super::require_manage(&viewer)?;
    let id = id.into_inner();
    let name = form.into_inner().name.trim().to_string();
    let (actor, ip, n) = (viewer.id(), viewer.ip.clone(), name.clone());
    let result = db
        .transaction(move |c| {
            let preset = presets::find_for_update(c, id)?;
            super::require_custom(&preset)?;
            if n == preset.name {
                return Ok(Ok(false));
            }
            match presets::rename(c, actor, ip, &preset, &n) {
                Ok(()) => Ok(Ok(true)),
                Err(PresetError::Db(e)) => Err(e.into()),
                Err(e) => Ok(Err(e.to_string())),
            }
        })
        .await?;
    match result {
        Ok(changed) => {
            if changed {
                viewer.flash(FlashKind::Success, format!("Preset renamed to “{name}”."));
            }
            Ok(see_other(&format!("/presets/{id}")))
        }
        Err(message) => {
            let mut page = super::show::load(&viewer, &db, id).await?;
            page.rename_value = name;
            page.rename_error = Some(message);
            render(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
