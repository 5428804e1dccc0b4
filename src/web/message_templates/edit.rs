//! GET/POST /templates/{id}/edit: only the owner or an Administrator edits. A form opened on
//! an older version is refused with the current text shown, nothing saved.

use super::{reader, FormPage};
use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::templates::{self, MessageTemplate, TemplateForm, ValidTemplate};
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

/// Loads a template the viewer may modify: 404 if they cannot see it, 403 if they can see it
/// but neither own it nor are an Administrator.
pub async fn modifiable(viewer: &Viewer, db: &Db, id: i64) -> Result<MessageTemplate, AppError> {
    let r = reader(viewer);
    let t = db.run(move |c| Ok(templates::find_visible(c, r, id)?)).await?.ok_or(AppError::NotFound)?;
    if !r.may_modify(&t) {
        return Err(AppError::forbidden(format!("user {} may not modify template {id}", r.user_id)));
    }
    Ok(t)
}

fn form_page(viewer: &Viewer, id: i64, form: TemplateForm, errors: FieldErrors) -> FormPage {
    FormPage::new(viewer.layout("/templates"), "Edit template".into(), format!("/templates/{id}/edit"), form, errors)
}

/// The edit form, filled in.
pub async fn show(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesUpdate)?;
    let id = path.into_inner();
    let t = modifiable(&viewer, &db, id).await?;
    page(form_page(&viewer, id, TemplateForm::from_template(&t), FieldErrors::default()))
}

/// Saves the edit.
#[tracing::instrument(skip_all)]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::TemplatesUpdate)?;
    let id = path.into_inner();
    let before = modifiable(&viewer, &db, id).await?;
    let form = form.into_inner();
    let valid = match ValidTemplate::parse(&form) {
        Ok(v) => v,
        Err(errors) => return render(form_page(&viewer, id, form, errors), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let (uid, ip, version) = (viewer.id(), viewer.ip.clone(), form.version);
    let saved = db
        .transaction(move |c| {
            let Some(t) = templates::update(c, id, version, &valid)? else {
                return Ok(None);
            };
            audit::Entry::new(Some(uid), "template.update", "template", id)
                .before(before.audit_json())
                .after(t.audit_json())
                .ip(ip)
                .record(c)?;
            Ok(Some(t))
        })
        .await?;
    match saved {
        Some(t) => {
            viewer.flash(FlashKind::Success, format!("Template \u{201c}{}\u{201d} saved.", t.name));
            Ok(see_other(&format!("/templates/{id}")))
        }
        None => {
            // Someone saved in between: show what is stored now; the user's text is in the notice.
            let current = modifiable(&viewer, &db, id).await?;
            let mut p = form_page(&viewer, id, TemplateForm::from_template(&current), FieldErrors::default());
            p.notice = Some(format!(
                "Someone else changed this template while you were editing; nothing was saved. \
                 The form now shows the current version. Your text was: {}",
                form.body
            ));
            render(p, StatusCode::CONFLICT)
        }
    }
}
