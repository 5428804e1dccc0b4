//! The access-group page (GET /access-groups/{id}: name, description, grants, history);
//! POST /access-groups/{id} saves name and description.

use crate::access_groups::{self as model, Grant, GroupForm, LEVELS};
use crate::audit::{history, Row};
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

/// What the add-grant form held when it was refused.
#[derive(Default, Clone)]
pub struct GrantDraft {
    pub target: String,
    pub team_id: String,
    pub email: String,
    pub level: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "access_groups/show.html")]
pub struct GroupPage {
    pub layout: Layout,
    pub id: i64,
    pub form: GroupForm,
    pub errors: FieldErrors,
    pub contacts: i64,
    pub grants: Vec<Grant>,
    /// (id, name) of every team, for the add-grant form.
    pub teams: Vec<(i64, String)>,
    pub levels: [&'static str; 3],
    pub draft: GrantDraft,
    pub history: Vec<Row>,
}

/// Renders the group page; `form`, `draft` and `errors` carry a refused submission.
pub async fn group_page(
    viewer: &Viewer,
    db: &Db,
    id: i64,
    form: Option<GroupForm>,
    draft: GrantDraft,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (group, contacts, grants, teams, history) = db
        .run(move |c| {
            let group = model::find(c, id)?;
            let teams = model::team_choices(c)?;
            Ok((group, model::contact_count(c, id)?, model::grants(c, id)?, teams, history(c, "access_group", id, 20)?))
        })
        .await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let form = form.unwrap_or(GroupForm { name: group.name, description: group.description });
    let page = GroupPage {
        layout: viewer.layout("/access-groups"),
        id,
        form,
        errors,
        contacts,
        grants,
        teams,
        levels: LEVELS,
        draft,
        history,
    };
    render(page, status)
}

/// The group page.
pub async fn show(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    group_page(&viewer, &db, id.into_inner(), None, GrantDraft::default(), FieldErrors::default()).await
}

/// Saves the name and description of a group.
#[tracing::instrument(skip_all)]
pub async fn update(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<GroupForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationAccessGroupsManage)?;
    let (id, form) = (id.into_inner(), form.into_inner());
    let (f, actor, who) = (form.clone(), viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| {
            model::find(c, id)?;
            match f.validate(c, Some(id))? {
                Ok((name, description)) => Ok(model::update(c, &actor, &who, id, &name, &description)?),
                Err(e) => Ok(Err(e)),
            }
        })
        .await?;
    match done {
        Ok(changed) => {
            viewer.flash(FlashKind::Success, if changed { "Access group saved." } else { "Nothing to change." });
            Ok(see_other(&format!("/access-groups/{id}")))
        }
        Err(errors) => group_page(&viewer, &db, id, Some(form), GrantDraft::default(), errors).await,
    }
}

impl GroupPage {
    /// Whether the add-grant form had level `l` chosen (default: view).
    pub fn draft_level_is(&self, l: &str) -> bool {
        self.draft.level == l || (self.draft.level.is_empty() && l == "view")
    }

    /// Whether the add-grant form had team `id` chosen.
    pub fn draft_team_is(&self, id: &i64) -> bool {
        self.draft.team_id == id.to_string()
    }
}
