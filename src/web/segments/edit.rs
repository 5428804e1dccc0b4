//! /segments/{id}: one segment with its preview count; save, "Apply now" (one set-based
//! INSERT … SELECT, audited with the count) and delete.

use super::{groups, require};
use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::segments::{self, Definition, Segment, SegmentForm};
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "segments/edit.html")]
pub struct EditPage {
    pub layout: Layout,
    pub segment: Segment,
    pub groups: Vec<(i64, String)>,
    pub form: SegmentForm,
    pub errors: FieldErrors,
    /// Matching contacts, and how many of them are not in the group yet.
    pub matched: i64,
    pub missing: i64,
    /// Whose authority live applying uses (the last saver), if they can still act.
    pub acts_for: Option<String>,
}

async fn show_with(
    viewer: &Viewer,
    db: &Db,
    id: i64,
    form: Option<SegmentForm>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let who = viewer.access();
    let (segment, groups, (matched, missing), acts_for) = db
        .run(move |c| {
            let s = segments::find(c, id)?;
            let counts = segments::preview(c, &who.subject(), &Definition::of(&s))?;
            let saver = match s.saved_by {
                Some(by) => crate::accounts::find(c, by)?.filter(|u| u.is_active()).map(|u| u.email),
                None => None,
            };
            Ok((s, groups(c)?, counts, saver))
        })
        .await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let form = form.unwrap_or_else(|| SegmentForm::of(&segment));
    render(
        EditPage { layout: viewer.layout("/segments"), segment, groups, form, errors, matched, missing, acts_for },
        status,
    )
}

pub async fn show(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    show_with(&viewer, &db, path.into_inner(), None, FieldErrors::default()).await
}

#[tracing::instrument(skip_all)]
pub async fn update(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<SegmentForm>,
) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (id, f) = (path.into_inner(), form.into_inner());
    let (actor, ip, f2) = (viewer.id(), viewer.ip.clone(), f.clone());
    let out = db
        .transaction(move |c| {
            let before = segments::find(c, id)?;
            let rule = match f2.check(&groups(c)?) {
                Ok(r) => r,
                Err(e) => return Ok(Err(e)),
            };
            segments::update(c, id, &rule, actor)?;
            audit::Entry::new(Some(actor), "segment.update", "segment", id)
                .before(serde_json::json!(Definition::of(&before)))
                .after(serde_json::json!(rule))
                .ip(ip)
                .record(c)?;
            Ok(Ok(()))
        })
        .await?;
    match out {
        Ok(()) => {
            viewer.flash(FlashKind::Success, "Segment saved.");
            Ok(see_other(&format!("/segments/{id}")))
        }
        Err(errors) => show_with(&viewer, &db, id, Some(f), errors).await,
    }
}

#[tracing::instrument(skip_all)]
pub async fn apply(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (id, actor, ip, who) = (path.into_inner(), viewer.id(), viewer.ip.clone(), viewer.access());
    let added = db
        .transaction(move |c| {
            let s = segments::find(c, id)?;
            let added = segments::apply(c, &who.subject(), &Definition::of(&s), None)?;
            audit::Entry::new(Some(actor), "segment.apply", "segment", id)
                .after(serde_json::json!({ "group_id": s.group_id, "added": added }))
                .ip(ip)
                .record(c)?;
            Ok(added)
        })
        .await?;
    viewer.flash(FlashKind::Success, format!("{added} contacts joined the access group."));
    Ok(see_other(&format!("/segments/{id}")))
}

#[tracing::instrument(skip_all)]
pub async fn delete(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (id, actor, ip) = (path.into_inner(), viewer.id(), viewer.ip.clone());
    db.transaction(move |c| {
        let s = segments::find(c, id)?;
        segments::delete(c, id, actor)?;
        audit::Entry::new(Some(actor), "segment.delete", "segment", id)
            .before(serde_json::json!(Definition::of(&s)))
            .ip(ip)
            .record(c)?;
        Ok(())
    })
    .await?;
    viewer.flash(FlashKind::Success, "Segment deleted. Contacts it added stay in their group.");
    Ok(see_other("/segments"))
}
