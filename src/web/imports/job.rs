//! /contacts/import/{id}: the column-mapping page of an uploaded file; once started, the
//! job's progress (followed live through /progress while it runs) and its report; and
//! /contacts/import/{id}/rejects.csv, the rejected rows as CSV.

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::imports::options::{self, Choices, StartError};
use crate::imports::{job, Target};
use crate::jobs::Workers;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use anyhow::Context;
use askama::Template;

/// Rejected rows shown on the page (all of them are in the CSV download).
const SHOWN_REJECTS: i64 = 200;

#[derive(Template)]
#[template(path = "imports/job.html")]
pub struct JobPage {
    pub layout: Layout,
    pub job: job::Job,
    pub columns: Vec<String>,
    pub form: Choices,
    pub errors: FieldErrors,
    pub groups: Vec<(i64, String)>,
    pub can_assign: bool,
    pub rejects: Vec<(i64, String, String)>,
}

impl JobPage {
    pub fn targets(&self) -> [Target; 8] {
        Target::ALL
    }
    pub fn selected(&self, col: &usize, t: &Target) -> bool {
        self.form.mapping.get(*col) == Some(t)
    }
    pub fn has_group(&self, id: &i64) -> bool {
        self.form.groups.contains(id)
    }
}

type Loaded = (job::Job, Vec<(i64, String)>, Vec<(i64, String, String)>);

async fn load(viewer: &Viewer, db: &Db, id: i64) -> Result<Loaded, AppError> {
    let uid = viewer.id();
    db.run(move |c| {
        let mut j = job::find_for(c, id, uid)?;
        // Rows read by a run that is no longer alive were never saved: say so (it starts over).
        if j.status == job::RUNNING && !crate::imports::run::in_progress(c, id)? {
            j.processed = 0;
        }
        let groups = crate::access_groups::choices(c)?;
        Ok((j, groups, options::rejects(c, id, uid, SHOWN_REJECTS)?))
    })
    .await
}

/// GET /contacts/import/{id}/progress: the job's progress as JSON, for its page to follow.
pub async fn progress(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    super::require(&viewer)?;
    let (job, _, _) = load(&viewer, &db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "running": job.status == job::RUNNING,
        "line": job.progress_line(),
        "status": job.status,
        "processed": job.processed,
        "total": job.total,
        "percent": job.percent(),
    })))
}

pub async fn show(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    super::require(&viewer)?;
    let (job, groups, rejects) = load(&viewer, &db, path.into_inner()).await?;
    let columns = job.columns();
    let form = Choices::first(&columns, &viewer.user.email);
    page(JobPage {
        layout: viewer.layout("/contacts"),
        job,
        columns,
        form,
        errors: FieldErrors::default(),
        groups,
        can_assign: viewer.has(Perm::ContactsAssign),
        rejects,
    })
}

/// The mapping page as sent: the options, repeated `group` fields, and one `map_<column>`
/// field per column of the file.
#[derive(serde::Deserialize)]
pub struct MapFields {
    #[serde(default)]
    tags: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    dedup: String,
    #[serde(default)]
    without_email: String,
    hidden_ok: Option<String>,
    #[serde(default)]
    group: Vec<String>,
    #[serde(flatten)]
    columns: std::collections::BTreeMap<String, String>,
}

impl MapFields {
    /// The choices for a file of `n` columns (a column not mapped, or mapped to something
    /// unknown, is ignored).
    fn choices(self, n: usize) -> Choices {
        let mut mapping = vec![Target::Ignore; n];
        for (k, v) in &self.columns {
            if let Some(i) = k.strip_prefix("map_").and_then(|i| i.parse::<usize>().ok()).filter(|i| *i < n) {
                mapping[i] = Target::parse(v).unwrap_or(Target::Ignore);
            }
        }
        Choices {
            mapping,
            tags: self.tags,
            owner: self.owner,
            dedup: self.dedup,
            without_email: self.without_email,
            hidden_ok: self.hidden_ok.as_deref() == Some("1"),
            groups: self.group.iter().filter_map(|g| g.parse().ok()).collect(),
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn start(
    viewer: Viewer,
    db: web::Data<Db>,
    workers: web::Data<Workers>,
    path: web::Path<i64>,
    form: Form<MapFields>,
) -> Result<HttpResponse, AppError> {
    super::require(&viewer)?;
    let id = path.into_inner();
    let (job, groups, _) = load(&viewer, &db, id).await?;
    if job.status != job::UPLOADED {
        return Ok(see_other(&format!("/contacts/import/{id}")));
    }
    let columns = job.columns();
    let f = form.into_inner().choices(columns.len());
    let (who, email, choices) = (viewer.access(), viewer.user.email.clone(), f.clone());
    // A refusal rolls back; choices to correct come back as the page's errors.
    let started = db
        .transaction(move |c| match options::start(c, &who.subject(), &email, id, &choices) {
            Err(StartError::Denied(d)) => Err(d.into()),
            other => Ok(other),
        })
        .await?;
    match started {
        Ok(true) => {
            // The import runs in the background (a job, queued by starting it); the job row
            // reports its progress. Should this instance stop, another one runs it again.
            workers.run_now(&crate::imports::IMPORT, id);
        }
        Ok(false) => {}
        Err(StartError::Invalid(errors)) => {
            let (layout, can_assign) = (viewer.layout("/contacts"), viewer.has(Perm::ContactsAssign));
            let page = JobPage { layout, job, columns, form: f, errors, groups, can_assign, rejects: Vec::new() };
            return render(page, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(StartError::Denied(d)) => return Err(d.into()),
    }
    Ok(see_other(&format!("/contacts/import/{id}")))
}

/// The rejected rows of a job as CSV (row, email, reason).
pub async fn rejects_csv(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    super::require(&viewer)?;
    let (id, uid) = (path.into_inner(), viewer.id());
    let body = db
        .run(move |c| {
            let rows = options::rejects(c, id, uid, i64::MAX)?;
            let mut w = csv::Writer::from_writer(Vec::new());
            crate::web::spreadsheet::write_row(&mut w, ["row", "email", "reason"]).context("csv")?;
            for (row, reason, email) in rows {
                crate::web::spreadsheet::write_row(&mut w, [row.to_string(), email, reason]).context("csv")?;
            }
            Ok(w.into_inner().context("csv")?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"import-{id}-rejects.csv\"")))
        .body(body))
}
