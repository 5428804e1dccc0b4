//! GET /: the dashboard — who you are and what you may do.

use crate::auth::Viewer;
use crate::error::AppError;
use crate::permissions::{Module, PermSet, MODULES};
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub layout: Layout,
    pub name: String,
    pub role: &'static str,
    pub modules: Vec<(&'static Module, Vec<&'static str>)>,
    pub total: usize,
}

fn granted_by_module(perms: PermSet) -> Vec<(&'static Module, Vec<&'static str>)> {
    MODULES
        .iter()
        .filter_map(|m| {
            let actions: Vec<&'static str> =
                m.actions.iter().filter(|p| perms.contains(**p)).map(|p| p.action()).collect();
            (!actions.is_empty()).then_some((m, actions))
        })
        .collect()
}

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer) -> Result<HttpResponse, AppError> {
    page(DashboardPage {
        layout: viewer.layout("/"),
        name: viewer.user.display_name(),
        role: viewer.user.role().label(),
        modules: granted_by_module(viewer.perms()),
        total: viewer.perms().len(),
    })
}
