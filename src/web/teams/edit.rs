//! The team page (GET /teams/{id}: name, manager, members, history); POST /teams/{id}
//! saves name and manager.

use crate::accounts::User;
use crate::audit::{history, Row};
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams::{self as model, TeamForm};
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "teams/show.html")]
pub struct TeamPage {
    pub layout: Layout,
    pub id: i64,
    pub form: TeamForm,
    pub errors: FieldErrors,
    /// The members, each with the end of their membership.
    pub members: Vec<(User, Option<chrono::DateTime<chrono::Utc>>)>,
    /// What was typed in the add form, kept when it is refused.
    pub typed: MemberDraft,
    /// (group id, group name, level) of the access groups granted to this team.
    pub groups: Vec<(i64, String, String)>,
    pub history: Vec<Row>,
}

/// The add-members form as typed.
#[derive(Default, Clone)]
pub struct MemberDraft {
    pub email: String,
    pub until: String,
}

/// Renders the team page; `form`/`errors`/`member_email` carry a refused submission.
pub async fn team_page(
    viewer: &Viewer,
    db: &Db,
    id: i64,
    form: Option<TeamForm>,
    errors: FieldErrors,
    typed: MemberDraft,
) -> Result<HttpResponse, AppError> {
    let (stored, members, groups, history) = db
        .run(move |c| {
            let team = model::find(c, id)?;
            let json = model::audit_json(c, &team)?;
            let stored = TeamForm {
                name: team.name,
                manager_email: json["manager_email"].as_str().unwrap_or_default().to_string(),
            };
            Ok((stored, model::members_until(c, id)?, model::granted_groups(c, id)?, history(c, "team", id, 20)?))
        })
        .await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = TeamPage {
        layout: viewer.layout("/teams"),
        id,
        form: form.unwrap_or(stored),
        errors,
        members,
        typed,
        groups,
        history,
    };
    render(page, status)
}

/// The team page.
pub async fn show(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    team_page(&viewer, &db, id.into_inner(), None, FieldErrors::default(), MemberDraft::default()).await
}

/// Saves the name and manager of a team.
#[tracing::instrument(skip_all)]
pub async fn update(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<TeamForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let (id, form) = (id.into_inner(), form.into_inner());
    let (f, actor, who) = (form.clone(), viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| {
            model::find(c, id)?;
            match f.validate(c, Some(id))? {
                Ok(v) => match model::update(c, &actor, &who, id, &v) {
                    // A manager the actor may not make is said beside the field.
                    Err(crate::access::Denied::Forbidden(why)) => {
                        let mut errors = FieldErrors::default();
                        errors.add("manager_email", why);
                        Ok(Err(errors))
                    }
                    other => Ok(other?),
                },
                Err(e) => Ok(Err(e)),
            }
        })
        .await?;
    match done {
        Ok(changed) => {
            viewer.flash(FlashKind::Success, if changed { "Team saved." } else { "Nothing to change." });
            Ok(see_other(&format!("/teams/{id}")))
        }
        Err(errors) => team_page(&viewer, &db, id, Some(form), errors, MemberDraft::default()).await,
    }
}
