//! /contacts/import/{id}: the column-mapping page of an uploaded file; once started, the
//! job's progress (followed live through /progress while it runs) and its report; and
//! /contacts/import/{id}/rejects.csv, the rejected rows as CSV.

use crate::auth::Viewer;
use crate::contacts::owners::active_user_by_email;
use crate::db::schema::{access_groups, import_rejects};
use crate::db::Db;
use crate::error::AppError;
use crate::imports::{job, Dedup, Options, Target};
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

/// Rejected rows shown on the page (all of them are in the CSV download).
const SHOWN_REJECTS: i64 = 200;

/// The mapping form as typed.
#[derive(Debug, Clone, Default)]
pub struct MapForm {
    pub mapping: Vec<Target>,
    pub tags: String,
    pub groups: Vec<i64>,
    pub owner: String,
    pub dedup: String,
    /// "create" or "reject" (the default): what becomes of rows without an email.
    pub without_email: String,
    /// The importer confirmed an import whose new contacts they will not see.
    pub hidden_ok: bool,
}

#[derive(Template)]
#[template(path = "imports/job.html")]
pub struct JobPage {
    pub layout: Layout,
    pub job: job::Job,
    pub columns: Vec<String>,
    pub form: MapForm,
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

async fn load(
    viewer: &Viewer,
    db: &Db,
    id: i64,
) -> Result<(job::Job, Vec<(i64, String)>, Vec<(i64, String, String)>), AppError> {
    let uid = viewer.id();
    db.run(move |c| {
        let mut j = job::find_for(c, id, uid)?;
        // Rows read by a run that is no longer alive were never saved: say so (it starts over).
        if j.status == job::RUNNING && !crate::imports::run::in_progress(c, id)? {
            j.processed = 0;
        }
        let groups =
            access_groups::table.select((access_groups::id, access_groups::name)).order(access_groups::name).load(c)?;
        let rejects = import_rejects::table
            .filter(import_rejects::job_id.eq(id))
            .order(import_rejects::row_no)
            .limit(SHOWN_REJECTS)
            .select((import_rejects::row_no, import_rejects::reason, import_rejects::email))
            .load(c)?;
        Ok((j, groups, rejects))
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
    let form = MapForm {
        mapping: columns.iter().map(|c| Target::guess(c)).collect(),
        owner: viewer.user.email.clone(),
        dedup: "update".into(),
        without_email: "reject".into(),
        ..MapForm::default()
    };
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

fn parse_form(pairs: Vec<(String, String)>, n: usize) -> MapForm {
    let mut f = MapForm { mapping: vec![Target::Ignore; n], ..MapForm::default() };
    for (k, v) in pairs {
        match k.as_str() {
            "tags" => f.tags = v,
            "owner" => f.owner = v,
            "dedup" => f.dedup = v,
            "without_email" => f.without_email = v,
            "hidden_ok" => f.hidden_ok = v == "1",
            "group" => f.groups.extend(v.parse::<i64>().ok()),
            k => {
                if let Some(i) = k.strip_prefix("map_").and_then(|i| i.parse::<usize>().ok()).filter(|i| *i < n) {
                    f.mapping[i] = Target::parse(&v).unwrap_or(Target::Ignore);
                }
            }
        }
    }
    f
}

#[tracing::instrument(skip_all)]
pub async fn start(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    super::require(&viewer)?;
    let id = path.into_inner();
    let (job, groups, _) = load(&viewer, &db, id).await?;
    if job.status != job::UPLOADED {
        return Ok(see_other(&format!("/contacts/import/{id}")));
    }
    let columns = job.columns();
    let f = parse_form(form.into_inner(), columns.len());
    let can_assign = viewer.has(Perm::ContactsAssign);
    let mut errors = FieldErrors::default();
    if !f.mapping.iter().any(|t| matches!(t, Target::Email | Target::FirstName | Target::LastName)) {
        errors.add("mapping", "Map at least one column to Email, First name or Last name.");
    }
    for t in [
        Target::Email,
        Target::FirstName,
        Target::LastName,
        Target::Phone,
        Target::Company,
        Target::Category,
        Target::Tags,
    ] {
        if f.mapping.iter().filter(|m| **m == t).count() > 1 {
            errors.add("mapping", format!("Map only one column to {}.", t.label()));
        }
    }
    let dedup = match f.dedup.as_str() {
        "skip" => Dedup::Skip,
        _ => Dedup::Update,
    };
    if !f.groups.is_empty() && !can_assign {
        errors.add("groups", "Adding access groups needs the contacts.assign permission.");
    }
    if f.groups.iter().any(|g| !groups.iter().any(|(id, _)| id == g)) {
        errors.add("groups", "One of the chosen access groups no longer exists.");
    }
    let email = f.owner.trim().to_string();
    let owner = if email.is_empty() || email.eq_ignore_ascii_case(&viewer.user.email) {
        Some(viewer.id())
    } else if !can_assign {
        errors.add("owner", "Choosing another main owner needs the contacts.assign permission.");
        None
    } else {
        let owner = db.run(move |c| Ok(active_user_by_email(c, &email)?)).await?;
        if owner.is_none() {
            errors.add("owner", "No active user has this email.");
        }
        owner
    };
    let tags = crate::contacts::model::parse_tags(&f.tags);
    let (Some(owner_id), true) = (owner, errors.is_empty()) else {
        let layout = viewer.layout("/contacts");
        return render(
            JobPage { layout, job, columns, form: f, errors, groups, can_assign, rejects: Vec::new() },
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    // Warn before the import hides what it creates from the importer (another main owner, and
    // no group or team that lets them see it): they confirm, or change the owner.
    if !f.hidden_ok {
        let (who, groups_chosen) = (viewer.access(), f.groups.clone());
        let facts = db.run(move |c| Ok(crate::access::facts::new_contact(c, Some(owner_id), &groups_chosen)?)).await?;
        if crate::access::rules::decide(&who.subject(), &facts).level < crate::access::Level::View {
            errors.add(
                "owner",
                "You will not see the contacts this import creates: they get this main owner, and no team or access group you are in reaches them. Tick “Import anyway” to go on, or choose another owner or group.",
            );
            let layout = viewer.layout("/contacts");
            let page = JobPage { layout, job, columns, form: f, errors, groups, can_assign, rejects: Vec::new() };
            return render(page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
    let without_email = f.without_email == "create";
    let opts = Options { mapping: f.mapping, tags, groups: f.groups, owner_id, dedup, without_email };
    if db.transaction(move |c| Ok(job::start(c, id, &opts)?)).await? {
        let db = db.get_ref().clone();
        // The import runs in the background; the job row reports its progress. Should this
        // instance stop, another one's import sweep runs it again (imports::housekeeping).
        actix_web::rt::spawn(async move {
            let _ = web::block(move || crate::imports::run::execute(&db, id)).await;
        });
    }
    Ok(see_other(&format!("/contacts/import/{id}")))
}

/// The rejected rows of a job as CSV (row, email, reason).
pub async fn rejects_csv(viewer: Viewer, db: web::Data<Db>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    super::require(&viewer)?;
    let (id, uid) = (path.into_inner(), viewer.id());
    let body = db
        .run(move |c| {
            job::find_for(c, id, uid)?;
            let rows: Vec<(i64, String, String)> = import_rejects::table
                .filter(import_rejects::job_id.eq(id))
                .order(import_rejects::row_no)
                .select((import_rejects::row_no, import_rejects::email, import_rejects::reason))
                .load(c)?;
            let mut w = csv::Writer::from_writer(Vec::new());
            let err = |e: csv::Error| AppError::Internal(anyhow::anyhow!("csv: {e}"));
            crate::web::spreadsheet::write_row(&mut w, ["row", "email", "reason"]).map_err(err)?;
            for (row, email, reason) in rows {
                crate::web::spreadsheet::write_row(&mut w, [row.to_string(), email, reason]).map_err(err)?;
            }
            w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"import-{id}-rejects.csv\"")))
        .body(body))
}
