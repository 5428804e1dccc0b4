//! /forms (administration.settings): create, edit and delete public forms.

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::public_forms::{self as store, Form as PublicForm, Input};
use crate::validation::FieldErrors;
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

fn require(viewer: &Viewer) -> Result<(), AppError> {
    viewer.require(Perm::AdministrationSettings)
}

#[derive(Template)]
#[template(path = "forms_admin/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub forms: Vec<PublicForm>,
    /// The form being edited (`None`: the page creates a new one).
    pub editing: Option<PublicForm>,
    pub groups: Vec<(i64, String)>,
    pub input: Input,
    pub errors: FieldErrors,
}

impl ListPage {
    pub fn has_group(&self, id: &i64) -> bool {
        self.input.groups.contains(id)
    }
}

async fn show_with(
    viewer: &Viewer,
    db: &Db,
    id: Option<i64>,
    input: Option<Input>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (forms, editing, groups, typed) = db
        .run(move |c| {
            let editing = id.map(|id| store::find(c, id)).transpose()?;
            let typed = match (&editing, input) {
                (_, Some(i)) => i,
                (Some(f), None) => Input::of(f, store::owner_email(c, f)?),
                (None, None) => Input { enabled: true, ..Input::default() },
            };
            Ok((store::all(c)?, editing, crate::access_groups::choices(c)?, typed))
        })
        .await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(ListPage { layout: viewer.layout("/forms"), forms, editing, groups, input: typed, errors }, status)
}

pub async fn list(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    show_with(&viewer, &db, None, None, FieldErrors::default()).await
}

pub async fn edit(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    show_with(&viewer, &db, Some(path.into_inner()), None, FieldErrors::default()).await
}

/// The admin form as sent: repeated `group` fields, checkboxes present when ticked.
#[derive(serde::Deserialize)]
pub struct FormFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    group: Vec<String>,
    enabled: Option<String>,
    update_existing: Option<String>,
}

impl FormFields {
    fn input(self) -> Input {
        Input {
            name: self.name,
            tags: self.tags,
            owner: self.owner,
            groups: self.group.iter().filter_map(|g| g.parse().ok()).collect(),
            enabled: self.enabled.is_some(),
            update_existing: self.update_existing.is_some(),
        }
    }
}

/// POST /forms (create) and POST /forms/{id} (update).
async fn save(viewer: Viewer, db: web::Data<Db>, id: Option<i64>, form: FormFields) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let input = form.input();
    let (actor, who, typed) = (viewer.actor(), viewer.access(), input.clone());
    let out = db.transaction(move |c| Ok(store::save(c, &actor, &who.subject(), id, &typed)?)).await?;
    match out {
        Ok(id) => {
            viewer.flash(FlashKind::Success, "Form saved.");
            Ok(see_other(&format!("/forms/{id}")))
        }
        Err(errors) => show_with(&viewer, &db, id, Some(input), errors).await,
    }
}

#[tracing::instrument(skip_all)]
pub async fn create(viewer: Viewer, db: web::Data<Db>, form: Form<FormFields>) -> Result<HttpResponse, AppError> {
    save(viewer, db, None, form.into_inner()).await
}

#[tracing::instrument(skip_all)]
pub async fn update(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<FormFields>,
) -> Result<HttpResponse, AppError> {
    save(viewer, db, Some(path.into_inner()), form.into_inner()).await
}

#[tracing::instrument(skip_all)]
pub async fn delete(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (id, actor, who) = (path.into_inner(), viewer.actor(), viewer.access());
    db.transaction(move |c| Ok(store::delete(c, &actor, &who.subject(), id)?)).await?;
    viewer.flash(FlashKind::Success, "Form deleted; its public address no longer answers.");
    Ok(see_other("/forms"))
}
