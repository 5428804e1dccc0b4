//! GET /automation: the viewer's own rules and the rules others share.

use crate::auth::Viewer;
use crate::automation::list::{self, Listed};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{Perm, Role};
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "automation/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub rules: Vec<Listed>,
    pub can_create: bool,
    pub can_update: bool,
    pub can_delete: bool,
    pub can_share: bool,
    pub max_rounds: usize,
}

pub async fn show(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationView)?;
    let (uid, admin) = (viewer.id(), viewer.user.role() == Role::Administrator);
    let rules = db.run(move |c| Ok(list::list_for(c, uid, admin)?)).await?;
    page(ListPage {
        layout: viewer.layout("/automation"),
        rules,
        can_create: viewer.has(Perm::AutomationCreate),
        can_update: viewer.has(Perm::AutomationUpdate),
        can_delete: viewer.has(Perm::AutomationDelete),
        can_share: viewer.has(Perm::AutomationShare),
        max_rounds: crate::automation::fire::MAX_ROUNDS,
    })
}
