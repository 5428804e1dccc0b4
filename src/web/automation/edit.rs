//! GET/POST /automation/new (automation.create) and GET/POST /automation/{id}
//! (automation.update; owner or Administrator): the rule form, validated on the server,
//! re-rendered with errors beside the fields (422) or a stale-edit notice (409), typed values
//! kept. Edits use optimistic locking on the rule's version.

use super::form::form_page;
use super::Editor;
use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::automation::list;
use crate::automation::model::{self, RuleForm};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub async fn new_form(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationCreate)?;
    let groups = db.run(|c| Ok(list::group_options(c)?)).await?;
    let form = RuleForm { enabled: true, ..RuleForm::default() };
    page(form_page(&viewer, None, form, FieldErrors::default(), groups))
}

#[tracing::instrument(skip_all)]
pub async fn create(viewer: Viewer, db: web::Data<Db>, form: web::Form<RuleForm>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationCreate)?;
    let (form, who) = (form.into_inner(), Editor::of(&viewer));
    let f = form.clone();
    let outcome = db
        .transaction(move |c| {
            let v = match f.validate(c, &who.perms)? {
                Ok(v) => v,
                Err(errors) => return Ok(Err((errors, list::group_options(c)?))),
            };
            let rule = model::create(c, who.id, &v)?;
            audit::Entry::new(Some(who.id), "rule.create", "automation_rule", rule.id)
                .after(serde_json::to_value(&rule).unwrap_or_default())
                .ip(who.ip)
                .record(c)?;
            Ok(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => {
            viewer.flash(FlashKind::Success, "Rule created.");
            Ok(see_other("/automation"))
        }
        Err((errors, groups)) => {
            render(form_page(&viewer, None, form, errors, groups), StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

pub async fn edit_form(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationUpdate)?;
    let (id, who) = (id.into_inner(), Editor::of(&viewer));
    let (form, groups) = db
        .transaction(move |c| {
            let rule = who.manageable(c, id)?;
            Ok((RuleForm::from_rule(c, &rule)?, list::group_options(c)?))
        })
        .await?;
    page(form_page(&viewer, Some(id), form, FieldErrors::default(), groups))
}

enum Outcome {
    Saved,
    Invalid(FieldErrors, Vec<(i64, String)>),
    /// Someone saved first: the rule's current version.
    Stale(i32, Vec<(i64, String)>),
}

#[tracing::instrument(skip_all, fields(rule = %id))]
pub async fn update(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationUpdate)?;
    let (id, form, who) = (id.into_inner(), form.into_inner(), Editor::of(&viewer));
    let f = form.clone();
    let outcome = db
        .transaction(move |c| {
            let before = who.manageable(c, id)?;
            let v = match f.validate(c, &who.perms)? {
                Ok(v) => v,
                Err(errors) => return Ok(Outcome::Invalid(errors, list::group_options(c)?)),
            };
            let Some(after) = model::update(c, id, f.version, &v)? else {
                return Ok(Outcome::Stale(before.version, list::group_options(c)?));
            };
            audit::Entry::new(Some(who.id), "rule.update", "automation_rule", id)
                .before(serde_json::to_value(&before).unwrap_or_default())
                .after(serde_json::to_value(&after).unwrap_or_default())
                .ip(who.ip)
                .record(c)?;
            Ok(Outcome::Saved)
        })
        .await?;
    match outcome {
        Outcome::Saved => {
            viewer.flash(FlashKind::Success, "Rule saved.");
            Ok(see_other("/automation"))
        }
        Outcome::Invalid(errors, groups) => {
            render(form_page(&viewer, Some(id), form, errors, groups), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Outcome::Stale(version, groups) => {
            // The typed values stay; saving again applies them over the newer version.
            let mut p = form_page(&viewer, Some(id), RuleForm { version, ..form }, FieldErrors::default(), groups);
            p.conflict = Some("Someone else changed this rule after you opened it. Your input is kept below; check the list for their change, then save again to overwrite it.".into());
            render(p, StatusCode::CONFLICT)
        }
    }
}
