//! GET/POST /contacts/new and POST /contacts/{id}: create a contact, edit its fields with
//! optimistic locking (a stale form is refused with what changed; the typed input is kept).

use super::card::show_with;
use crate::access::Operation;
use crate::audit;
use crate::auth::Viewer;
use crate::contacts::{model, Fields};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "contacts/new.html")]
pub struct NewPage {
    pub layout: Layout,
    pub form: Fields,
    pub errors: FieldErrors,
}

pub async fn new_form(viewer: Viewer) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsCreate)?;
    page(NewPage { layout: viewer.layout("/contacts"), form: Fields::default(), errors: FieldErrors::default() })
}

#[tracing::instrument(skip_all)]
pub async fn create(viewer: Viewer, db: web::Data<Db>, form: web::Form<Fields>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsCreate)?;
    let f = form.into_inner();
    let (actor, ip, f2, who) = (viewer.id(), viewer.ip.clone(), f.clone(), viewer.access());
    let outcome = db
        .transaction(move |c| {
            let errors = model::validate(c, &who.subject(), &f2, None)?;
            if !errors.is_empty() {
                return Ok(Err(errors));
            }
            let ct = model::create(c, actor, &f2)?;
            crate::events::after(c, Some(actor), &crate::contacts::events::Event::Created, &[ct.id])?;
            audit::Entry::new(Some(actor), "contact.create", "contact", ct.id)
                .after(serde_json::to_value(&ct).unwrap_or_default())
                .ip(ip)
                .record(c)?;
            Ok(Ok(ct.id))
        })
        .await?;
    match outcome {
        Ok(id) => {
            viewer.flash(crate::auth::session::FlashKind::Success, "Contact created.");
            Ok(see_other(&format!("/contacts/{id}")))
        }
        Err(errors) => {
            render(NewPage { layout: viewer.layout("/contacts"), form: f, errors }, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

#[derive(Deserialize)]
pub struct EditForm {
    version: i32,
    #[serde(flatten)]
    fields: Fields,
    #[serde(default)]
    orig_email: String,
    #[serde(default)]
    orig_first_name: String,
    #[serde(default)]
    orig_last_name: String,
    #[serde(default)]
    orig_phone: String,
    #[serde(default)]
    orig_company: String,
    #[serde(default)]
    orig_category: String,
}

impl EditForm {
    fn orig(&self) -> Fields {
        Fields {
            email: self.orig_email.clone(),
            first_name: self.orig_first_name.clone(),
            last_name: self.orig_last_name.clone(),
            phone: self.orig_phone.clone(),
            company: self.orig_company.clone(),
            category: self.orig_category.clone(),
        }
    }
}

enum Outcome {
    Saved,
    /// The form holds what is stored: nothing saved, recorded or told.
    Unchanged,
    Invalid(FieldErrors),
    /// Someone saved first: the current values and version.
    Stale(Fields, i32),
}

#[tracing::instrument(skip_all, fields(contact = %id))]
pub async fn update(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsEdit)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let (f, version, ip, actor) = (form.fields.clone(), form.version, viewer.ip.clone(), viewer.id());
    let outcome = super::change(&viewer, &db, id, Operation::Edit, "edited the details of".into(), move |c, s| {
        let errors = model::validate(c, s, &f, Some(id))?;
        if !errors.is_empty() {
            return Ok((Outcome::Invalid(errors), false));
        }
        let before = model::find(c, id)?;
        if before.holds(&f) {
            return Ok((Outcome::Unchanged, false));
        }
        match model::update_fields(c, id, version, &f)? {
            Some(after) => {
                audit::Entry::new(Some(actor), "contact.update", "contact", id)
                    .before(serde_json::to_value(&before).unwrap_or_default())
                    .after(serde_json::to_value(&after).unwrap_or_default())
                    .ip(ip)
                    .record(c)?;
                crate::events::after(c, Some(actor), &crate::contacts::events::Event::Changed, &[id])?;
                Ok((Outcome::Saved, true))
            }
            None => Ok((Outcome::Stale(before.fields(), before.version), false)),
        }
    })
    .await?;
    match outcome {
        Outcome::Saved => {
            viewer.flash(crate::auth::session::FlashKind::Success, "Details saved.");
            Ok(see_other(&format!("/contacts/{id}")))
        }
        Outcome::Unchanged => {
            viewer.flash(crate::auth::session::FlashKind::Info, "Nothing to save: no field was changed.");
            Ok(see_other(&format!("/contacts/{id}")))
        }
        Outcome::Invalid(errors) => {
            show_with(&viewer, &db, id, StatusCode::UNPROCESSABLE_ENTITY, move |p| {
                p.orig = form.orig();
                p.version = form.version;
                p.form = form.fields;
                p.errors = errors;
            })
            .await
        }
        Outcome::Stale(current, current_version) => {
            let conflict = current.differences(&form.orig());
            // The user's own changes stay in the form; fields they did not touch show the
            // stored values, so saving again applies only their changes over the new version.
            let merged = form.fields.merge(&form.orig(), &current);
            show_with(&viewer, &db, id, StatusCode::CONFLICT, move |p| {
                p.conflict = conflict;
                p.orig = current;
                p.version = current_version;
                p.form = merged;
            })
            .await
        }
    }
}
