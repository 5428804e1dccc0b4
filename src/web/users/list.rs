//! GET /users: search by email fragment, filter by role, pages of user cards.

use crate::accounts::{self as model, ListFilter, User};
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{Perm, Role};
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

const PER_PAGE: i64 = 24;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "users/list.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub users: Vec<User>,
    pub q: String,
    pub role: String,
    pub roles: [Role; 6],
    pub page: i64,
    pub more: bool,
    /// Edit/Delete controls: the viewer holds administration.users_manage.
    pub can_manage: bool,
}

impl UsersPage {
    /// The query string of another page with the same filters.
    pub fn page_link(&self, page: i64) -> String {
        serde_urlencoded::to_string([("q", self.q.as_str()), ("role", self.role.as_str()), ("page", &page.to_string())])
            .unwrap_or_default()
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    viewer.require_any(&[Perm::AdministrationUsersView, Perm::AdministrationUsersManage])?;
    let query = query.into_inner();
    let role: Option<Role> = query.role.as_deref().and_then(|r| r.parse().ok());
    let filter = ListFilter { q: query.q.clone(), role };
    let page_no = query.page.unwrap_or(1).max(1);
    let (users, more) = db.run(move |c| Ok(model::list(c, &filter, page_no, PER_PAGE)?)).await?;
    page(UsersPage {
        layout: viewer.layout("/users"),
        users,
        q: query.q.unwrap_or_default(),
        role: role.map(|r| r.as_str().to_string()).unwrap_or_default(),
        roles: Role::ALL,
        page: page_no,
        more,
        can_manage: viewer.has(Perm::AdministrationUsersManage),
    })
}
