//! GET /users: search by email or name, filter by role, status and two-factor enrolment, sort (created, name, email, last
//! sign-in; either direction), pages of user cards with where you are ("25–48 of 1,000").

use crate::accounts::{self as model, ListFilter, User, UserSort};
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
    status: Option<String>,
    /// `enrolled` or `not_enrolled`.
    two_factor: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
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
    pub status: String,
    pub two_factor: String,
    pub sort: UserSort,
    pub sorts: [UserSort; 4],
    pub descending: bool,
    pub page: i64,
    /// Users matching the filters, on every page.
    pub total: i64,
    /// Edit/Delete controls: the viewer holds administration.users_manage.
    pub can_manage: bool,
}

impl UsersPage {
    /// The query string of another page with the same filters and order.
    pub fn page_link(&self, page: i64) -> String {
        let dir = if self.descending { "desc" } else { "asc" };
        serde_urlencoded::to_string([
            ("q", self.q.as_str()),
            ("role", self.role.as_str()),
            ("status", self.status.as_str()),
            ("two_factor", self.two_factor.as_str()),
            ("sort", self.sort.key()),
            ("dir", dir),
            ("page", &page.to_string()),
        ])
        .unwrap_or_default()
    }

    pub fn last_page(&self) -> i64 {
        ((self.total + PER_PAGE - 1) / PER_PAGE).max(1)
    }

    /// "25–48 of 1,000" (or "0 of 0").
    pub fn position(&self) -> String {
        let first = (self.page - 1) * PER_PAGE + 1;
        crate::web::numbers::position(first, self.users.len(), Some(self.total), self.total)
    }

    /// The direction as the page says it.
    pub fn direction_label(&self) -> &'static str {
        match (self.sort, self.descending) {
            (UserSort::Name | UserSort::Email, false) => "A–Z",
            (UserSort::Name | UserSort::Email, true) => "Z–A",
            (_, false) => "oldest first",
            (_, true) => "newest first",
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    viewer.require_any(&[Perm::AdministrationUsersView, Perm::AdministrationUsersManage])?;
    let query = query.into_inner();
    let role: Option<Role> = query.role.as_deref().and_then(|r| r.parse().ok());
    let sort = query.sort.as_deref().and_then(UserSort::parse).unwrap_or_default();
    // Newest first unless asked otherwise, as before sorting existed.
    let descending = query.dir.as_deref() != Some("asc");
    let two_factor = match query.two_factor.as_deref() {
        Some("enrolled") => Some(true),
        Some("not_enrolled") => Some(false),
        _ => None,
    };
    let status = query.status.clone().filter(|s| s == "active" || s == "deactivated");
    let filter = ListFilter { q: query.q.clone(), role, status: status.clone(), two_factor, sort, descending };
    let page_no = query.page.unwrap_or(1).max(1);
    let (users, total) = db.run(move |c| Ok(model::list(c, &filter, page_no, PER_PAGE)?)).await?;
    page(UsersPage {
        layout: viewer.layout("/users"),
        users,
        q: query.q.unwrap_or_default(),
        role: role.map(|r| r.as_str().to_string()).unwrap_or_default(),
        roles: Role::ALL,
        status: status.unwrap_or_default(),
        two_factor: match two_factor {
            Some(true) => "enrolled".into(),
            Some(false) => "not_enrolled".into(),
            None => String::new(),
        },
        sort,
        sorts: UserSort::ALL,
        descending,
        page: page_no,
        total,
        can_manage: viewer.has(Perm::AdministrationUsersManage),
    })
}
