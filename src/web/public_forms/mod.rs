//! The public form endpoint (SPEC screen 12): POST /f/{key}, no session and no CSRF token
//! (the middleware exempts /f/). It creates a contact by email in one atomic upsert with the
//! form's tags, access groups and main owner; an existing contact only has its empty fields
//! filled, unless the form is set to update existing contacts. Spam resistance: a honeypot field and a per-address rate limit kept in
//! PostgreSQL. Answers are JSON (`{"ok":true}` or `{"error": "..."}`).

pub mod submit;

use crate::db::Db;
use crate::error::AppError;
use crate::public_forms as store;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "forms_admin/public.html")]
pub struct PublicPage {
    pub name: String,
    pub key: String,
}

/// GET /f/{key}: a minimal HTML form, for testing a form by hand.
pub async fn show(db: web::Data<Db>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let k2 = key.clone();
    let form = db.run(move |c| Ok(store::by_key(c, &k2)?)).await?;
    match form {
        Some(f) if f.enabled => crate::web::respond::page(PublicPage { name: f.name, key }),
        _ => Err(AppError::NotFound),
    }
}
