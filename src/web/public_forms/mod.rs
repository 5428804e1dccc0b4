//! The public form endpoint (SPEC screen 12): POST /f/{key}, no session and no CSRF token
//! (the middleware exempts /f/). It creates a contact by email in one atomic upsert with the
//! form's tags, access groups and main owner; an existing contact only has its empty fields
//! filled, unless the form is set to update existing contacts. Spam resistance: a honeypot field and a per-address rate limit kept in
//! PostgreSQL. A browser gets pages (a thank-you page, or the form again with the message
//! beside the field and what was typed kept); JSON (`{"ok":true}` or `{"error": "..."}`) only
//! when the request asks for it with `Accept: application/json`.

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
    /// What was typed (a refused submission shows it again).
    pub values: crate::public_forms::submission::Submission,
    /// The field refused and why.
    pub error: Option<(&'static str, String)>,
}

/// One input of the public form.
pub struct PublicField<'a> {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: &'a str,
    pub required: bool,
}

impl PublicPage {
    pub fn fields(&self) -> Vec<PublicField<'_>> {
        let v = &self.values;
        vec![
            PublicField { name: "email", label: "Email", kind: "email", value: &v.email, required: true },
            PublicField {
                name: "first_name",
                label: "First name",
                kind: "text",
                value: &v.first_name,
                required: false,
            },
            PublicField { name: "last_name", label: "Last name", kind: "text", value: &v.last_name, required: false },
            PublicField {
                name: "phone",
                label: "Phone (with country code)",
                kind: "tel",
                value: &v.phone,
                required: false,
            },
        ]
    }

    /// The message beside `field`, if it is the one refused.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
}

/// A page a visitor reads after a submission: thanks, or why it could not be taken.
#[derive(Template)]
#[template(path = "forms_admin/public_message.html")]
pub struct PublicMessage {
    pub title: String,
    pub text: String,
}

/// GET /f/{key}: a minimal HTML form, for testing a form by hand.
pub async fn show(db: web::Data<Db>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let k2 = key.clone();
    let form = db.run(move |c| Ok(store::by_key(c, &k2)?)).await?;
    match form {
        Some(f) if f.enabled => {
            crate::web::respond::page(PublicPage { name: f.name, key, values: Default::default(), error: None })
        }
        _ => Err(AppError::NotFound),
    }
}
