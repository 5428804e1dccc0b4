//! GET/POST /users/{id}/delete: a confirmation that says what the user owns and who takes it
//! over; deleting moves it all to the chosen successor in one transaction.

use crate::accounts::{self as model, User, DELETED};
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::users::lifecycle::{self, LifecycleError, Owned};
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "users/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub user: User,
    pub owned: Owned,
    /// The successor's email as typed (kept when refused).
    pub chosen: String,
    pub error: Option<String>,
}

/// The successor by email (the page's picker) or by id (`successor`, for scripts).
#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    successor: String,
    #[serde(default)]
    successor_email: String,
}

/// The confirmation page's data; 404 for unknown or already deleted users.
async fn load(db: &Db, id: i64) -> Result<(User, Owned), AppError> {
    db.run(move |c| {
        let user = model::find(c, id)?.filter(|u| u.status != DELETED).ok_or(AppError::NotFound)?;
        let owned = lifecycle::count_owned(c, id)?;
        Ok((user, owned))
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
    let (user, owned) = load(&db, id).await?;
    page(DeletePage { layout: viewer.layout("/users"), user, owned, chosen: String::new(), error: None })
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
    let form = form.into_inner();
    let chosen = form.successor_email.trim().to_string();
    let (email, by_id) = (chosen.clone(), form.successor.trim().parse::<i64>().ok());
    let actor = viewer.actor();
    let result = db
        .transaction(move |c| {
            let successor = match (by_id, email.is_empty()) {
                (Some(id), true) => id,
                (_, false) => match model::active_by_email(c, &email)? {
                    Ok(u) => u.id,
                    Err(why) => return Ok(Err(why.to_string())),
                },
                (None, true) => return Ok(Err(LifecycleError::BadSuccessor.to_string())),
            };
            match lifecycle::delete(c, &actor, id, successor) {
                Err(LifecycleError::Db(e)) => Err(e.into()),
                r => Ok(r.map_err(|e| e.to_string())),
            }
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
            let (user, owned) = load(&db, id).await?;
            let page = DeletePage { layout: viewer.layout("/users"), user, owned, chosen, error: Some(e) };
            render(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
