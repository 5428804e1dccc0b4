//! GET /notifications and POST /notifications/read: the signed-in user's notifications.

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::notifications::{self, Notification};
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub layout: Layout,
    pub items: Vec<Notification>,
}

pub async fn list(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let uid = viewer.id();
    let items = db.run(move |c| Ok(notifications::recent(c, uid, 100)?)).await?;
    page(NotificationsPage { layout: viewer.layout("/notifications"), items })
}

#[derive(Deserialize)]
pub struct ReadForm {
    id: Option<i64>,
}

pub async fn mark_read(viewer: Viewer, db: web::Data<Db>, form: web::Form<ReadForm>) -> Result<HttpResponse, AppError> {
    let (uid, id) = (viewer.id(), form.id);
    db.run(move |c| Ok(notifications::mark_read(c, uid, id)?)).await?;
    viewer.flash(FlashKind::Info, "Marked as read.");
    Ok(see_other("/notifications"))
}
