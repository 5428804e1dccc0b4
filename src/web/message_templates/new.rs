//! GET /templates/new and POST /templates: create a template.

use super::FormPage;
use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::templates::{self, TemplateForm, ValidTemplate};
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// The empty form.
pub async fn show(viewer: Viewer) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesCreate)?;
    let form = TemplateForm { channel: "email".into(), ..TemplateForm::default() };
    page(FormPage::new(
        viewer.layout("/templates"),
        "New template".into(),
        "/templates".into(),
        form,
        FieldErrors::default(),
    ))
}

/// Creates the template, or shows the form again with the errors.
#[tracing::instrument(skip_all)]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    form: web::Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesCreate)?;
    let form = form.into_inner();
    let valid = match ValidTemplate::parse(&form) {
        Ok(v) => v,
        Err(errors) => {
            let p =
                FormPage::new(viewer.layout("/templates"), "New template".into(), "/templates".into(), form, errors);
            return render(p, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let (uid, ip) = (viewer.id(), viewer.ip.clone());
    let t = db
        .transaction(move |c| {
            let t = templates::create(c, uid, &valid)?;
            audit::Entry::new(Some(uid), "template.create", "template", t.id).after(t.audit_json()).ip(ip).record(c)?;
            Ok(t)
        })
        .await?;
    viewer.flash(FlashKind::Success, format!("Template \u{201c}{}\u{201d} created.", t.name));
    Ok(see_other(&format!("/templates/{}", t.id)))
}
