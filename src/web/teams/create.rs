//! GET /teams/new and POST /teams: creating a team.

use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::schema::teams;
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
use diesel::prelude::*;

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
    let (f, actor, ip) = (form.clone(), viewer.id(), viewer.ip.clone());
    let done = db
        .transaction(move |c| {
            let v = match f.validate(c, None)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            let team: model::Team = match model::unique_name(c, "Another team already has this name.", |c| {
                diesel::insert_into(teams::table)
                    .values((teams::name.eq(&v.name), teams::manager_id.eq(v.manager_id)))
                    .returning(model::Team::as_returning())
                    .get_result(c)
            })? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            let json = model::audit_json(c, &team)?;
            audit::Entry::new(Some(actor), "team.create", "team", team.id).after(json).ip(ip).record(c)?;
            Ok(Ok(team.id))
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
