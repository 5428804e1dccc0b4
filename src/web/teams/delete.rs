//! GET /teams/{id}/delete (confirmation saying what goes with it) and POST to delete.

use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams as model;
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "teams/delete.html")]
pub struct DeleteTeamPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub members: i64,
    pub grants: i64,
}

/// The confirmation page.
pub async fn confirm(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let id = id.into_inner();
    let (team, (members, grants)) = db.run(move |c| Ok((model::find(c, id)?, model::dependants(c, id)?))).await?;
    page(DeleteTeamPage { layout: viewer.layout("/teams"), id, name: team.name, members, grants })
}

/// Deletes the team, its memberships and its access-group grants.
#[tracing::instrument(skip_all)]
pub async fn delete(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let id = id.into_inner();
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    let name = db.transaction(move |c| Ok(model::delete(c, &actor, &who, id)?)).await?;
    viewer.flash(FlashKind::Success, format!("Team “{name}” deleted."));
    Ok(see_other("/teams"))
}
