//! /forms (administration.settings): create, edit and delete public forms.

use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::public_forms::{self as store, Form, Input};
use crate::validation::FieldErrors;
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
    pub forms: Vec<Form>,
    /// The form being edited (`None`: the page creates a new one).
    pub editing: Option<Form>,
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
            Ok((store::all(c)?, editing, crate::web::segments::groups(c)?, typed))
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

/// POST /forms (create) and POST /forms/{id} (update).
async fn save(
    viewer: Viewer,
    db: web::Data<Db>,
    id: Option<i64>,
    form: Vec<(String, String)>,
) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let input = Input::parse(form);
    let (actor, ip, i2, perms) = (viewer.id(), viewer.ip.clone(), input.clone(), viewer.perms());
    let out = db
        .transaction(move |c| {
            let before = id.map(|id| store::find(c, id)).transpose()?;
            let groups = crate::web::segments::groups(c)?;
            let def = match i2.check(c, &groups)? {
                Ok(d) => d,
                Err(e) => return Ok(Err(e)),
            };
            // The form changes who has access with its saver's authority: choosing groups or a
            // main owner needs contacts.assign, as it would by hand.
            if (!def.group_ids.is_empty() || def.main_owner_id.is_some()) && !perms.contains(Perm::ContactsAssign) {
                let mut e = FieldErrors::default();
                e.add("groups", "Access groups and a main owner need the contacts.assign permission.");
                return Ok(Err(e));
            }
            let id = match id {
                Some(id) => {
                    store::update(c, id, &def, actor)?;
                    id
                }
                None => store::create(c, &def, actor)?.id,
            };
            let verb = if before.is_some() { "form.update" } else { "form.create" };
            let mut entry = audit::Entry::new(Some(actor), verb, "form", id).after(serde_json::json!(def)).ip(ip);
            if let Some(b) = before {
                entry = entry.before(serde_json::json!(b));
            }
            entry.record(c)?;
            Ok(Ok(id))
        })
        .await?;
    match out {
        Ok(id) => {
            viewer.flash(FlashKind::Success, "Form saved.");
            Ok(see_other(&format!("/forms/{id}")))
        }
        Err(errors) => show_with(&viewer, &db, id, Some(input), errors).await,
    }
}

#[tracing::instrument(skip_all)]
pub async fn create(
    viewer: Viewer,
    db: web::Data<Db>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    save(viewer, db, None, form.into_inner()).await
}

#[tracing::instrument(skip_all)]
pub async fn update(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    save(viewer, db, Some(path.into_inner()), form.into_inner()).await
}

#[tracing::instrument(skip_all)]
pub async fn delete(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (id, actor, ip) = (path.into_inner(), viewer.id(), viewer.ip.clone());
    db.transaction(move |c| {
        let f = store::find(c, id)?;
        store::delete(c, id, actor)?;
        audit::Entry::new(Some(actor), "form.delete", "form", id).before(serde_json::json!(f)).ip(ip).record(c)?;
        Ok(())
    })
    .await?;
    viewer.flash(FlashKind::Success, "Form deleted; its public address no longer answers.");
    Ok(see_other("/forms"))
}
