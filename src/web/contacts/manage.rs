//! /contacts/manage: bulk actions on the list's filters or ticked rows — a form, a preview of
//! exactly what will happen, then "Execute actions" (one transaction, set-based).

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::bulk::run::{Report, Selection};
use crate::bulk::spec::{self, ActionsForm};
use crate::bulk::{self, Executed};
use crate::contacts::selection::Filters;
use crate::db::schema::access_groups;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

/// The selection in a query string or form body: the list's filters plus repeated `ids`.
fn selection(raw: &[u8]) -> Selection {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw).unwrap_or_default();
    let ids = pairs.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse().ok()).collect();
    Selection { filters: serde_urlencoded::from_bytes(raw).unwrap_or_default(), ids }
}

#[derive(Template)]
#[template(path = "contacts/manage.html")]
pub struct ManagePage {
    pub layout: Layout,
    pub sel: Selection,
    pub form: ActionsForm,
    pub errors: FieldErrors,
    pub groups: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "contacts/manage_preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub actions: Vec<String>,
    pub report: Report,
    pub token: String,
    /// Set when access changed since an earlier preview: how many could be changed then.
    pub changed_since: Option<i64>,
    pub done: bool,
}

fn require(viewer: &Viewer) -> Result<(), AppError> {
    viewer.require(Perm::ContactsView)?;
    viewer.require_any(&[Perm::ContactsAssign, Perm::ContactsEdit])
}

async fn groups(db: &Db) -> Result<Vec<(i64, String)>, AppError> {
    db.run(|c| {
        Ok(access_groups::table.select((access_groups::id, access_groups::name)).order(access_groups::name).load(c)?)
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn form(viewer: Viewer, db: web::Data<Db>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let sel = selection(req.query_string().as_bytes());
    page(ManagePage {
        layout: viewer.layout("/contacts"),
        sel,
        form: ActionsForm::default(),
        errors: FieldErrors::default(),
        groups: groups(&db).await?,
    })
}

#[tracing::instrument(skip_all)]
pub async fn preview(viewer: Viewer, db: web::Data<Db>, body: web::Bytes) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let sel = selection(&body);
    let form: ActionsForm = serde_urlencoded::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (who, perms) = (viewer.access(), viewer.perms());
    let (f, s2) = (form.clone(), sel.clone());
    let outcome = db
        .run(move |c| {
            let parsed = spec::parse(c, &f, perms)?;
            let Ok(spec) = parsed else { return Ok(Err(parsed.err().unwrap_or_default())) };
            let subject = who.subject();
            let (report, token) = bulk::preview(c, &subject, &s2, &spec)?;
            Ok(Ok((spec.describe(), report, token)))
        })
        .await?;
    match outcome {
        Ok((actions, report, token)) => page(PreviewPage {
            layout: viewer.layout("/contacts"),
            actions,
            report,
            token,
            changed_since: None,
            done: false,
        }),
        Err(errors) => render(
            ManagePage { layout: viewer.layout("/contacts"), sel, form, errors, groups: groups(&db).await? },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

#[derive(Deserialize)]
pub struct ExecuteForm {
    token: String,
}

#[tracing::instrument(skip_all)]
pub async fn execute(
    viewer: Viewer,
    db: web::Data<Db>,
    form: web::Form<ExecuteForm>,
) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (who, ip, token) = (viewer.access(), viewer.ip.clone(), form.into_inner().token);
    let outcome = db
        .run(move |c| {
            let subject = who.subject();
            Ok(bulk::execute(c, &subject, &token, &who.user.email, ip)?)
        })
        .await?;
    match outcome {
        Executed::Done(report) => page(PreviewPage {
            layout: viewer.layout("/contacts"),
            actions: Vec::new(),
            report,
            token: String::new(),
            changed_since: None,
            done: true,
        }),
        Executed::Changed { report, token, before } => render(
            PreviewPage {
                layout: viewer.layout("/contacts"),
                actions: Vec::new(),
                report,
                token,
                changed_since: Some(before),
                done: false,
            },
            StatusCode::CONFLICT,
        ),
        Executed::Refused(why) => {
            viewer.flash(FlashKind::Error, why);
            Ok(see_other("/contacts/manage"))
        }
        Executed::Gone => {
            viewer.flash(
                FlashKind::Error,
                "This preview was already executed or has expired. Nothing was done; start again.",
            );
            Ok(see_other("/contacts/manage"))
        }
    }
}

impl ManagePage {
    /// A human summary of the selection.
    pub fn selection_text(&self) -> String {
        if !self.sel.ids.is_empty() {
            return format!("the {} contact(s) you ticked", self.sel.ids.len());
        }
        selection_summary(&self.sel.filters)
    }
}

fn selection_summary(f: &Filters) -> String {
    let mut parts = Vec::new();
    for (label, v) in [
        ("name/email contains", &f.q),
        ("tag", &f.tag),
        ("owner", &f.owner),
        ("access group #", &f.group),
        ("category", &f.category),
    ] {
        if !v.trim().is_empty() {
            parts.push(format!("{label} {v}"));
        }
    }
    if parts.is_empty() {
        "every contact you can see".into()
    } else {
        format!("every contact you can see where {}", parts.join(", "))
    }
}
