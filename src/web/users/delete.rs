//! GET/POST /users/{id}/delete: a confirmation that says what the user owns and who takes it
//! over; deleting moves it all to the chosen successor in one transaction.

use crate::accounts::{self as model, User, ACTIVE, DELETED};
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::schema::users;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::users::lifecycle::{self, LifecycleError, Owned};
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "users/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub user: User,
    pub owned: Owned,
    /// Active users who may take over (never the one being deleted).
    pub successors: Vec<User>,
    pub chosen: i64,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    successor: String,
}

/// The confirmation page's data; 404 for unknown or already deleted users.
async fn load(db: &Db, id: i64) -> Result<(User, Owned, Vec<User>), AppError> {
    db.run(move |c| {
        let user = model::find(c, id)?.filter(|u| u.status != DELETED).ok_or(AppError::NotFound)?;
        let owned = lifecycle::count_owned(c, id)?;
        let successors = users::table
            .filter(users::status.eq(ACTIVE))
            .filter(users::id.ne(id))
            .order((users::last_name, users::first_name, users::email))
            .select(User::as_select())
            .load(c)?;
        Ok((user, owned, successors))
    })
    .await
}

fn guard(viewer: &Viewer, id: i64) -> Result<(), AppError> {
    viewer.require(Perm::AdministrationUsersManage)?;
    if viewer.id() == id {
        return Err(AppError::forbidden("nobody deletes their own account"));
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    guard(&viewer, id)?;
    let (user, owned, successors) = load(&db, id).await?;
    page(DeletePage { layout: viewer.layout("/users"), user, owned, successors, chosen: 0, error: None })
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    guard(&viewer, id)?;
    let successor: i64 = form.successor.trim().parse().unwrap_or(0);
    let actor = viewer.actor();
    let result = db
        .transaction(move |c| match lifecycle::delete(c, &actor, id, successor) {
            Err(LifecycleError::Db(e)) => Err(e.into()),
            r => Ok(r),
        })
        .await?;
    match result {
        Ok(moved) => {
            viewer.flash(
                FlashKind::Success,
                format!(
                    "User deleted. {} contacts and {} teams moved to the successor.",
                    moved.main_contacts, moved.teams_managed
                ),
            );
            Ok(see_other("/users"))
        }
        Err(e) => {
            let (user, owned, successors) = load(&db, id).await?;
            let page = DeletePage {
                layout: viewer.layout("/users"),
                user,
                owned,
                successors,
                chosen: successor,
                error: Some(e.to_string()),
            };
            render(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
