//! GET /send/preview: who will receive the message, who is left out and why.

use super::{check, choices, FormPage, PreviewPage, SendForm, Sender};
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::web::respond::{page, render};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// The preview, or the form again with what is wrong.
#[tracing::instrument(skip_all)]
pub async fn show(
    viewer: Viewer,
    db: web::Data<Db>,
    mail: web::Data<super::MailServer>,
    query: web::Query<SendForm>,
) -> Result<HttpResponse, AppError> {
    let sender = Sender::of(&viewer, &mail)?;
    let form = query.into_inner();
    let layout = viewer.layout("/send");
    let parsed = form.parse(&sender)?;
    let result = db
        .run(move |c| {
            let checked = match &parsed {
                Ok(req) => check(c, &sender, req)?,
                Err(e) => Err(e.clone()),
            };
            match (parsed, checked) {
                (Ok(req), Ok(checked)) => Ok(Ok(PreviewPage::build(c, layout, &sender, form, &req, checked)?)),
                (_, Err(errors)) | (Err(errors), _) => {
                    Ok(Err(FormPage::new(layout, &sender, form, errors, choices(c, &sender)?)))
                }
            }
        })
        .await?;
    match result {
        Ok(p) => page(p),
        Err(f) => render(f, StatusCode::UNPROCESSABLE_ENTITY),
    }
}
