//! GET /send: choose channel, template and audience.

use super::{choices, FormPage, SendForm, Sender};
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::validation::FieldErrors;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};

/// The empty form (or one filled from the query string, when coming back from a preview).
pub async fn show(
    viewer: Viewer,
    db: web::Data<Db>,
    mail: web::Data<super::MailServer>,
    query: web::Query<SendForm>,
) -> Result<HttpResponse, AppError> {
    let sender = Sender::of(&viewer, &mail)?;
    let mut form = query.into_inner();
    if form.channel.is_empty() {
        form.channel = sender.channels().first().map(|c| c.as_str().to_string()).unwrap_or_default();
    }
    if form.audience.is_empty() {
        form.audience = "tag".into();
    }
    let ch = db.run(move |c| choices(c, &sender)).await?;
    page(FormPage::new(viewer.layout("/send"), &sender, form, FieldErrors::default(), ch))
}
