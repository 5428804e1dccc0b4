//! GET /teams/new and POST /teams: creating a team.

use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams::{self as model, TeamForm};
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "teams/new.html")]
pub struct NewTeamPage {
    pub layout: Layout,
    pub form: TeamForm,
    pub errors: FieldErrors,
}

/// The empty form of a new team.
pub async fn new(viewer: Viewer) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    page(NewTeamPage { layout: viewer.layout("/teams"), form: TeamForm::default(), errors: FieldErrors::default() })
}

/// Creates a team; 422 with the form kept when it is refused.
#[tracing::instrument(skip_all)]
pub async fn create(viewer: Viewer, db: web::Data<Db>, form: web::Form<TeamForm>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let form = form.into_inner();
    let (f, actor, who) = (form.clone(), viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| match f.validate(c, None)? {
            Ok(v) => Ok(model::create(c, &actor, &who, &v)?.map(|t| t.id)),
            Err(e) => Ok(Err(e)),
        })
        .await?;
    match done {
        Ok(id) => {
            viewer.flash(FlashKind::Success, "Team created. Add its members below.");
            Ok(see_other(&format!("/teams/{id}")))
        }
        Err(errors) => {
            render(NewTeamPage { layout: viewer.layout("/teams"), form, errors }, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
