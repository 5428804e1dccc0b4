//! GET/POST /setup/{token}: on a first start with no users, a one-time link printed in the log
//! creates the first Administrator.

use crate::accounts::{self as model, NewUser};
use crate::audit;
use crate::auth::{password, session};
use crate::db::schema::setup_tokens;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Role;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};

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

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a setup token when no user exists yet; returns it so start-up can print the link.
pub fn issue_token_if_no_users(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    if model::any_exist(conn)? {
        return Ok(None);
    }
    use rand::distributions::{Alphanumeric, DistString};
    let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 40);
    diesel::insert_into(setup_tokens::table).values(setup_tokens::token_hash.eq(token_hash(&token))).execute(conn)?;
    Ok(Some(token))
}

/// A token is usable while unused and while there are still no users.
fn usable(conn: &mut PgConnection, token: &str) -> QueryResult<bool> {
    let unused = setup_tokens::table
        .filter(setup_tokens::token_hash.eq(token_hash(token)))
        .filter(setup_tokens::used_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    Ok(unused && !model::any_exist(conn)?)
}

pub async fn show(session: Session, db: web::Data<Db>, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let t = token.clone();
    if !db.run(move |c| Ok(usable(c, &t)?)).await? {
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
            if !usable(c, &token)? {
                return Ok(None);
            }
            diesel::update(setup_tokens::table.filter(setup_tokens::token_hash.eq(token_hash(&token))))
                .set(setup_tokens::used_at.eq(Utc::now()))
                .execute(c)?;
            let user = model::create(
                c,
                &NewUser {
                    email: form.email.trim(),
                    first_name: form.first_name.trim(),
                    last_name: form.last_name.trim(),
                    phone: None,
                    password_hash: &hash,
                    role: Role::Administrator.as_str(),
                },
            )?;
            audit::Entry::new(Some(user.id), "user.create", "user", user.id).after(user.audit_json()).record(c)?;
            Ok(Some(user.id))
        })
        .await?;
    let Some(uid) = created else { return Err(AppError::NotFound) };
    session::sign_in(&session, uid).map_err(|e| anyhow::anyhow!("{e}"))?;
    session::flash(&session, session::FlashKind::Success, "Welcome! Your Administrator account is ready.");
    Ok(see_other("/"))
}
