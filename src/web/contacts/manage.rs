//! /contacts/manage: bulk actions on the list's filters or ticked rows — a form, a preview of
//! exactly what will happen, then "Execute actions", which queues the run for a background
//! worker (one transaction, set-based) and answers with the run's page: its progress, then its
//! report, "Preview again" when the data changed under it, and "Undo this run…".
//!
//! A preview is computed by a worker too. "Preview" (and "Preview again", "Undo this run…")
//! waits a moment for it ([`PreviewWait`]) and answers with the preview itself when it is
//! ready by then; otherwise with the run's page, which follows the preview until it is.

use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::bulk::progress::{self, Phase, View};
use crate::bulk::report::Report;
use crate::bulk::run::Selection;
use crate::bulk::spec::{self, ActionsForm};
use crate::bulk::{self, preview as previews, Queued};
use crate::contacts::selection::Filters;
use crate::db::Db;
use crate::error::AppError;
use crate::jobs::Workers;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::time::Duration;

/// How long "Preview" waits for its preview before answering with the page that follows it.
#[derive(Clone, Copy)]
pub struct PreviewWait(pub Duration);

/// The selection as sent in a query string or form body: the list's filters plus the ticked
/// rows, repeated `ids`.
#[derive(Deserialize, Default)]
struct SelectionFields {
    #[serde(flatten)]
    filters: Filters,
    #[serde(default)]
    ids: Vec<String>,
}

/// The selection in a query string or form body (what cannot be read selects nothing more
/// than the filters that could).
fn selection(raw: &[u8]) -> Selection {
    let f: SelectionFields = serde_html_form::from_bytes(raw).unwrap_or_default();
    Selection { ids: f.ids.iter().filter_map(|v| v.parse().ok()).collect(), filters: f.filters }
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
    pub id: i64,
    pub actions: Vec<String>,
    pub report: Report,
    pub token: String,
}

fn preview_page(viewer: &Viewer, run: View) -> Result<HttpResponse, AppError> {
    let View { id, actions, report, token, .. } = run;
    page(PreviewPage { layout: viewer.layout("/contacts"), id, actions, report, token: token.unwrap_or_default() })
}

/// Has the preview of run `id` computed in the background, waits for it up to `wait`, and
/// answers with it when it is ready, or else with its page, which follows it.
async fn answer_preview(
    viewer: &Viewer,
    db: &Db,
    workers: &Workers,
    wait: PreviewWait,
    id: i64,
) -> Result<HttpResponse, AppError> {
    let computing = workers.run_now(&bulk::PREVIEW, id);
    // Not there in time: it goes on, and its page shows how far it is.
    let _ = tokio::time::timeout(wait.0, computing).await;
    let run = load_run(viewer, db, id).await?;
    if run.phase == Phase::Previewed {
        preview_page(viewer, run)
    } else {
        Ok(see_other(&format!("/contacts/manage/runs/{id}")))
    }
}

#[derive(Template)]
#[template(path = "contacts/manage_run.html")]
pub struct RunPage {
    pub layout: Layout,
    pub run: View,
}

impl RunPage {
    pub fn heading(&self) -> &'static str {
        match self.run.phase {
            Phase::Previewing => "Preparing the preview",
            Phase::Previewed => "Preview ready",
            Phase::Waiting | Phase::Behind(_) => "Waiting",
            Phase::Running => "Running",
            Phase::Interrupted => "Interrupted",
            Phase::Done if self.run.undone_by.is_some() => "Done, then undone",
            Phase::Done => "Done",
            Phase::Changed => "Not executed: the data changed",
            Phase::Failed => "Not executed",
        }
    }
    pub fn done(&self) -> bool {
        self.run.phase == Phase::Done
    }
    pub fn previewing(&self) -> bool {
        self.run.phase == Phase::Previewing
    }
    pub fn changed(&self) -> bool {
        self.run.phase == Phase::Changed
    }
    /// When it was executed: (machine-readable, shown).
    pub fn executed(&self) -> Option<(String, String)> {
        self.run
            .queued_at
            .map(|t| (t.format("%Y-%m-%dT%H:%M:%SZ").to_string(), t.format("%Y-%m-%d %H:%M:%S").to_string()))
    }
}

pub(crate) fn require(viewer: &Viewer) -> Result<(), AppError> {
    viewer.require(Perm::ContactsView)?;
    viewer.require_any(&[Perm::ContactsAssign, Perm::ContactsEdit])
}

async fn groups(db: &Db) -> Result<Vec<(i64, String)>, AppError> {
    db.run(|c| Ok(crate::access_groups::choices(c)?)).await
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
pub async fn preview(
    viewer: Viewer,
    db: web::Data<Db>,
    workers: web::Data<Workers>,
    wait: web::Data<PreviewWait>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let sel = selection(&body);
    let form: ActionsForm = serde_urlencoded::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (who, perms, actor) = (viewer.access(), viewer.perms(), viewer.id());
    let (f, s2) = (form.clone(), sel.clone());
    let outcome = db
        .run(move |c| {
            let parsed = spec::parse(c, &f, perms, actor)?;
            let Ok(spec) = parsed else { return Ok(Err(parsed.err().unwrap_or_default())) };
            Ok(Ok(previews::start(c, who.id(), &spec, &previews::Source::Selection(s2))?.0))
        })
        .await?;
    match outcome {
        Ok(id) => answer_preview(&viewer, &db, &workers, **wait, id).await,
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

/// "Execute actions": queues the run and answers at once with its page; a worker executes it.
#[tracing::instrument(skip_all)]
pub async fn execute(
    viewer: Viewer,
    db: web::Data<Db>,
    workers: web::Data<Workers>,
    form: web::Form<ExecuteForm>,
) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (who, ip, token) = (viewer.access(), viewer.ip.clone(), form.into_inner().token);
    let queued = db.run(move |c| Ok(bulk::queue(c, &who.subject(), &token, ip)?)).await?;
    match queued {
        Queued::Queued(id) => {
            workers.run_now(&bulk::EXECUTE, id);
            Ok(see_other(&format!("/contacts/manage/runs/{id}")))
        }
        Queued::Refused(why) => {
            viewer.flash(FlashKind::Error, why);
            Ok(see_other("/contacts/manage"))
        }
        Queued::Gone => {
            viewer.flash(
                FlashKind::Error,
                "This preview was already executed or has expired. Nothing was done; start again.",
            );
            Ok(see_other("/contacts/manage"))
        }
    }
}

async fn load_run(viewer: &Viewer, db: &Db, id: i64) -> Result<View, AppError> {
    require(viewer)?;
    let (uid, any) = (viewer.id(), viewer.has(Perm::AdministrationAuditView));
    db.run(move |c| progress::load(c, id, uid, any)?.ok_or(AppError::NotFound)).await
}

/// GET /contacts/manage/runs/{id}: a run's preview (while it is computed, then the preview
/// itself), its progress while it goes, its report when it ends.
pub async fn run_page(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let run = load_run(&viewer, &db, path.into_inner()).await?;
    if run.phase == Phase::Previewed {
        return preview_page(&viewer, run);
    }
    // A run the data changed under answers as the old synchronous execution did: a conflict.
    let status = if run.phase == Phase::Changed { StatusCode::CONFLICT } else { StatusCode::OK };
    render(RunPage { layout: viewer.layout("/contacts"), run }, status)
}

/// GET /contacts/manage/runs/{id}/progress: where the run is, as JSON, for its page to follow.
pub async fn run_progress(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let run = load_run(&viewer, &db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "running": run.is_going(),
        "line": run.line(),
        "processed": run.processed,
        "total": run.total,
        "percent": run.percent(),
    })))
}

/// POST /contacts/manage/runs/{id}/again: a fresh preview of a run the data changed under.
pub async fn run_again(
    viewer: Viewer,
    db: web::Data<Db>,
    workers: web::Data<Workers>,
    wait: web::Data<PreviewWait>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (who, id) = (viewer.access(), path.into_inner());
    let again = db
        .run(move |c| {
            let s = who.subject();
            let Some(spec) = previews::again(c, &s, id)? else { return Ok(None) };
            Ok(Some(previews::start(c, s.user_id, &spec, &previews::Source::Again(id))?.0))
        })
        .await?;
    let Some(new) = again else { return Err(AppError::NotFound) };
    answer_preview(&viewer, &db, &workers, **wait, new).await
}

/// POST /contacts/manage/runs/{id}/undo: the undo of a run, previewed as a new run.
pub async fn run_undo(
    viewer: Viewer,
    db: web::Data<Db>,
    workers: web::Data<Workers>,
    wait: web::Data<PreviewWait>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    require(&viewer)?;
    let (who, id) = (viewer.access(), path.into_inner());
    let undo = db
        .run(move |c| {
            let s = who.subject();
            Ok(match previews::undo_of(c, &s, id)? {
                Ok(spec) => Ok(previews::start(c, s.user_id, &spec, &previews::Source::Undo(id))?.0),
                Err(why) => Err(why),
            })
        })
        .await?;
    match undo {
        Ok(new) => answer_preview(&viewer, &db, &workers, **wait, new).await,
        Err(why) => {
            viewer.flash(FlashKind::Error, why);
            Ok(see_other(&format!("/contacts/manage/runs/{id}")))
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
