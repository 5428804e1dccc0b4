//! GET /teams: every team with its manager and member count.

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams::{self as model, TeamRow};
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "teams/list.html")]
pub struct TeamsPage {
    pub layout: Layout,
    pub teams: Vec<TeamRow>,
}

/// Lists the teams.
#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let teams = db.run(|c| Ok(model::list(c)?)).await?;
    page(TeamsPage { layout: viewer.layout("/teams"), teams })
}
