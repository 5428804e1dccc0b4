//! /segments (administration.access_groups_manage): the list of segments and the form that
//! creates one; `edit` holds one segment's page (preview, save, apply now, delete).

pub mod edit;

use crate::audit;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::segments::{self, Segment, SegmentForm};
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

pub fn require(viewer: &Viewer) -> Result<(), AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)
}

pub fn groups(c: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    crate::access_groups::choices(c)
}

#[derive(Template)]
#[template(path = "segments/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub segments: Vec<Segment>,
    pub groups: Vec<(i64, String)>,
    pub form: SegmentForm,
    pub errors: FieldErrors,
}

impl ListPage {
    pub fn group_name(&self, id: &i64) -> &str {
        self.groups.iter().find(|(g, _)| g == id).map(|(_, n)| n.as_str()).unwrap_or("?")
    }
}

async fn list_with(viewer: &Viewer, db: &Db, form: SegmentForm, errors: FieldErrors) -> Result<HttpResponse, AppError> {
    let (segments, groups) = db.run(|c| Ok((segments::all(c)?, groups(c)?))).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(ListPage { layout: viewer.layout("/segments"), segments, groups, form, errors }, status)
}

pub async fn list(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    list_with(&viewer, &db, SegmentForm::default(), FieldErrors::default()).await
}

#[tracing::instrument(skip_all)]
pub async fn create(viewer: Viewer, db: web::Data<Db>, form: web::Form<SegmentForm>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let f = form.into_inner();
    let (actor, ip, f2) = (viewer.id(), viewer.ip.clone(), f.clone());
    let out = db
        .transaction(move |c| {
            let rule = match f2.check(&groups(c)?) {
                Ok(r) => r,
                Err(e) => return Ok(Err(e)),
            };
            let id = segments::create(c, &rule, actor)?;
            audit::Entry::new(Some(actor), "segment.create", "segment", id)
                .after(serde_json::json!(rule))
                .ip(ip)
                .record(c)?;
            Ok(Ok(id))
        })
        .await?;
    match out {
        Ok(id) => {
            viewer.flash(crate::auth::session::FlashKind::Success, "Segment created.");
            Ok(see_other(&format!("/segments/{id}")))
        }
        Err(errors) => list_with(&viewer, &db, f, errors).await,
    }
}
