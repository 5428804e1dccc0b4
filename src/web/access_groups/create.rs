//! GET /access-groups/new and POST /access-groups: creating an access group.

use crate::access_groups::{self as model, GroupForm};
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

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
    let (f, actor, who) = (form.clone(), viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| match f.validate(c, None)? {
            Ok((name, description)) => Ok(model::create(c, &actor, &who, &name, &description)?.map(|g| g.id)),
            Err(e) => Ok(Err(e)),
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
