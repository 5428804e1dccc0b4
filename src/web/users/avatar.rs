//! GET /users/{id}/avatar: the stored avatar (a re-encoded PNG) or a neutral picture.
//! Avatars appear only on the user screens: a user sees their own, and holders of
//! administration.users_view or users_manage see everyone's.

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::users::avatar::DEFAULT_SVG;
use actix_web::{web, HttpResponse};

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if id != viewer.id() {
        viewer.require_any(&[Perm::AdministrationUsersView, Perm::AdministrationUsersManage])?;
    }
    let stored: Option<Option<Vec<u8>>> = db.run(move |c| Ok(crate::accounts::avatar(c, id)?)).await?;
    let Some(stored) = stored else {
        return Err(AppError::NotFound);
    };
    let mut resp = HttpResponse::Ok();
    resp.insert_header(("Cache-Control", "private, max-age=60"));
    Ok(match stored {
        Some(png) => resp.content_type("image/png").body(png),
        None => resp.content_type("image/svg+xml").body(DEFAULT_SVG),
    })
}

/// GET /users/new/avatar and /users/{id}/edit/avatar (`?w=`): the avatar uploaded in a wizard,
/// not saved yet; only the wizard's owner sees it.
#[tracing::instrument(skip_all)]
pub async fn preview(viewer: Viewer, db: web::Data<Db>, req: actix_web::HttpRequest) -> Result<HttpResponse, AppError> {
    use super::wizard::{authorize, Scope};
    use crate::users::wizard as state;
    let scope = Scope::of(&req)?;
    authorize(&viewer, &db, &scope).await?;
    let (w, owner, target) = (scope.w.clone(), viewer.id(), scope.target);
    let png = db
        .run(move |c| {
            state::load(c, &w, owner, target)?.ok_or(AppError::NotFound)?;
            state::avatar(c, &w)?.ok_or(AppError::NotFound)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, no-store")).content_type("image/png").body(png))
}
