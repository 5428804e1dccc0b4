//! GET /access-groups/new and POST /access-groups: creating an access group.

use crate::access_groups::{self as model, GroupForm};
use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::schema::access_groups;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

#[derive(Template)]
#[template(path = "access_groups/new.html")]
pub struct NewGroupPage {
    pub layout: Layout,
    pub form: GroupForm,
    pub errors: FieldErrors,
}

/// The empty form of a new group.
pub async fn new(viewer: Viewer) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    page(NewGroupPage {
        layout: viewer.layout("/access-groups"),
        form: GroupForm::default(),
        errors: FieldErrors::default(),
    })
}

/// Creates a group; 422 with the form kept when it is refused.
#[tracing::instrument(skip_all)]
pub async fn create(viewer: Viewer, db: web::Data<Db>, form: web::Form<GroupForm>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let form = form.into_inner();
    let (f, actor, ip) = (form.clone(), viewer.id(), viewer.ip.clone());
    let done = db
        .transaction(move |c| {
            let (name, description) = match f.validate(c, None)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            let group: model::Group =
                match crate::teams::unique_name(c, "Another access group already has this name.", |c| {
                    diesel::insert_into(access_groups::table)
                        .values((access_groups::name.eq(name), access_groups::description.eq(description)))
                        .returning(model::Group::as_returning())
                        .get_result(c)
                })? {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                };
            audit::Entry::new(Some(actor), "access_group.create", "access_group", group.id)
                .after(group.audit_json())
                .ip(ip)
                .record(c)?;
            Ok(Ok(group.id))
        })
        .await?;
    match done {
        Ok(id) => {
            viewer.flash(FlashKind::Success, "Access group created. Grant it to teams or users below.");
            Ok(see_other(&format!("/access-groups/{id}")))
        }
        Err(errors) => render(
            NewGroupPage { layout: viewer.layout("/access-groups"), form, errors },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}
