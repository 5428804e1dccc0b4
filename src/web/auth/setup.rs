//! GET/POST /setup/{token}: on a first start with no users, a one-time link printed in the log
//! creates the first Administrator (`users::setup`).

use crate::auth::{password, session};
use crate::db::Db;
use crate::error::AppError;
use crate::users::setup;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use anyhow::Context;
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "setup.html")]
pub struct SetupPage {
    pub layout: Layout,
    pub token: String,
    pub form: SetupForm,
    pub errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct SetupForm {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

pub async fn show(session: Session, db: web::Data<Db>, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let t = token.clone();
    if !db.run(move |c| Ok(setup::usable(c, &t)?)).await? {
        return Err(AppError::NotFound);
    }
    page(SetupPage {
        layout: Layout::anonymous(&session),
        token,
        form: SetupForm::default(),
        errors: FieldErrors::default(),
    })
}

pub async fn submit(
    session: Session,
    db: web::Data<Db>,
    token: web::Path<String>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let mut form = form.into_inner();
    let mut errors = FieldErrors::default();
    crate::users::validate::email(&form.email, &mut errors);
    crate::users::validate::password(
        &form.password,
        &form.password_confirm,
        &[&form.email, &form.first_name, &form.last_name],
        true,
        &mut errors,
    );
    if !errors.is_empty() {
        form.password.clear();
        form.password_confirm.clear();
        let page = SetupPage { layout: Layout::anonymous(&session), token, form, errors };
        return render(page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = password::hash_async(form.password.clone()).await?;
    let created = db
        .transaction(move |c| {
            let first = setup::First {
                email: &form.email,
                first_name: &form.first_name,
                last_name: &form.last_name,
                password_hash: &hash,
            };
            Ok(setup::create_first_administrator(c, &token, &first)?)
        })
        .await?;
    let Some(uid) = created else { return Err(AppError::NotFound) };
    session::sign_in(&session, uid).context("session")?;
    session::flash(&session, session::FlashKind::Success, "Welcome! Your Administrator account is ready.");
    Ok(see_other("/"))
}
