//! GET /access-groups: every group with its contact and grant counts.

use crate::access_groups::{self as model, GroupRow};
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "access_groups/list.html")]
pub struct GroupsPage {
    pub layout: Layout,
    pub groups: Vec<GroupRow>,
}

/// Lists the access groups.
#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let groups = db.run(|c| Ok(model::list(c)?)).await?;
    page(GroupsPage { layout: viewer.layout("/access-groups"), groups })
}
