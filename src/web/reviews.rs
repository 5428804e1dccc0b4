//! Access reviews (issue #32): GET /reviews (the list), GET /reviews/new and POST /reviews (an
//! Administrator starts one), GET /reviews/{id} (a reviewer's page: per person, what to
//! confirm, with what it gives and whether it was used), POST /reviews/{id}/decisions (keep or
//! remove, or remove all unused), GET /reviews/{id}/report (who decided what and when; also as
//! CSV with `?format=csv`). Every decision is `reviews::decide`'s.

use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::reviews::{self as model, decide::Choice, Item, Review, SpecForm};
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use anyhow::Context;
use askama::Template;
use chrono::{DateTime, Utc};

#[derive(Template)]
#[template(path = "reviews/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub starts: bool,
    /// Each review with its number of items and of items still undecided.
    pub reviews: Vec<(Review, i64, i64)>,
}

/// The reviews the reader starts or takes part in.
pub async fn list(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let who = viewer.subject.clone();
    let starts = crate::access::authority::reviews(&who).is_ok();
    let reviews = db.run(move |c| Ok(model::list(c, &who)?)).await?;
    page(ListPage { layout: viewer.layout("/reviews"), starts, reviews })
}

#[derive(Template)]
#[template(path = "reviews/new.html")]
pub struct NewPage {
    pub layout: Layout,
    pub form: SpecForm,
    pub errors: FieldErrors,
    pub teams: Vec<(i64, String)>,
    pub presets: Vec<(i64, String)>,
}

impl NewPage {
    fn is(&self, field: &str, value: &str) -> bool {
        let v = match field {
            "scope" => &self.form.scope,
            "reviewers" => &self.form.reviewers,
            "unanswered" => &self.form.unanswered,
            "role" => &self.form.role,
            "team" => &self.form.team,
            _ => &self.form.preset,
        };
        v == value
    }
}

async fn new_page(viewer: &Viewer, db: &Db, form: SpecForm, errors: FieldErrors) -> Result<HttpResponse, AppError> {
    let (teams, presets) = db.run(|c| Ok(model::choices(c)?)).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(NewPage { layout: viewer.layout("/reviews"), form, errors, teams, presets }, status)
}

/// The form of a new review (Administrators).
pub async fn new(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    crate::access::authority::reviews(&viewer.subject)?;
    let form = SpecForm {
        scope: "everyone".into(),
        reviewers: "managers".into(),
        unanswered: "keep".into(),
        deadline: (Utc::now() + chrono::Duration::days(14)).format("%Y-%m-%d").to_string(),
        window_days: model::WINDOW_DAYS.to_string(),
        ..SpecForm::default()
    };
    new_page(&viewer, &db, form, FieldErrors::default()).await
}

/// Starts a review; 422 with the form kept when it is refused.
#[tracing::instrument(skip_all)]
pub async fn create(viewer: Viewer, db: web::Data<Db>, form: web::Form<SpecForm>) -> Result<HttpResponse, AppError> {
    crate::access::authority::reviews(&viewer.subject)?;
    let form = form.into_inner();
    let (f, actor, who) = (form.clone(), viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| match f.parse(c, Utc::now())? {
            Ok(spec) => Ok(Ok(model::start(c, &actor, &who, &spec)?)),
            Err(e) => Ok(Err(e)),
        })
        .await?;
    match done {
        Ok((id, items)) => {
            let items = crate::numbers::grouped(items);
            viewer.flash(FlashKind::Success, format!("Review started with {items} items; its reviewers are told."));
            Ok(see_other(&format!("/reviews/{id}")))
        }
        Err(errors) => new_page(&viewer, &db, form, errors).await,
    }
}

/// A person's items on the reviewer's page.
pub struct Person {
    pub holder: String,
    pub user_id: Option<i64>,
    pub last_sign_in: Option<DateTime<Utc>>,
    pub items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "reviews/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub review: Review,
    pub scope: String,
    pub persons: Vec<Person>,
    pub undecided: usize,
    pub unused: usize,
    pub errors: FieldErrors,
}

fn by_person(rows: Vec<(Item, Option<DateTime<Utc>>)>) -> Vec<Person> {
    let mut persons: Vec<Person> = Vec::new();
    for (item, last) in rows {
        match persons.last_mut() {
            Some(p) if p.holder == item.holder => p.items.push(item),
            _ => persons.push(Person {
                holder: item.holder.clone(),
                user_id: item.user_id,
                last_sign_in: last,
                items: vec![item],
            }),
        }
    }
    persons
}

async fn show_page(viewer: &Viewer, db: &Db, id: i64, errors: FieldErrors) -> Result<HttpResponse, AppError> {
    let who = viewer.subject.clone();
    let (review, scope, rows) = db
        .run(move |c| {
            let rv = model::find(c, id)?.ok_or(AppError::NotFound)?;
            let rows = model::items_for(c, &who, id)?;
            if rows.is_empty() && crate::access::authority::reviews(&who).is_err() {
                return Err(AppError::NotFound);
            }
            let scope = model::scope_name(c, &rv)?;
            Ok((rv, scope, rows))
        })
        .await?;
    let undecided = rows.iter().filter(|(i, _)| i.decision.is_none()).count();
    let unused = rows.iter().filter(|(i, _)| i.decision.is_none() && !i.used).count();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let scope = review.scope_words(&scope);
    render(
        ShowPage {
            layout: viewer.layout("/reviews"),
            review,
            scope,
            persons: by_person(rows),
            undecided,
            unused,
            errors,
        },
        status,
    )
}

/// A reviewer's page (an Administrator sees every item).
pub async fn show(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    show_page(&viewer, &db, id.into_inner(), FieldErrors::default()).await
}

/// The decisions form: `decision-{item}` (keep or remove) and `comment-{item}` for each item
/// decided; or `action=remove_unused`.
type DecisionsForm = Vec<(String, String)>;

/// The decisions in the form, by item.
fn decisions_of(form: &DecisionsForm) -> Vec<(i64, Choice, String)> {
    let comment = |id: i64| {
        let name = format!("comment-{id}");
        form.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    form.iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix("decision-")?.parse::<i64>().ok()?;
            Some((id, Choice::parse(v)?, comment(id)))
        })
        .collect()
}

/// Records decisions.
#[tracing::instrument(skip_all)]
pub async fn decide(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: crate::web::form::Form<DecisionsForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| {
            let remove_unused = form.iter().any(|(k, v)| k == "action" && v == "remove_unused");
            let decisions: Vec<(i64, Choice, String)> =
                if remove_unused { model::decide::unused(c, &who, id)? } else { decisions_of(&form) };
            if decisions.is_empty() {
                return Err(AppError::BadRequest("Choose keep or remove for at least one item.".to_string()));
            }
            // A refusal is an error, so the transaction rolls back every decision of the round
            // (and any removal already made in it): all or nothing.
            match model::decide::decide(c, &actor, &who, id, &decisions) {
                Ok(d) => Ok(d),
                Err(crate::access::Denied::Forbidden(why)) => Err(AppError::BadRequest(why)),
                Err(e) => Err(e.into()),
            }
        })
        .await;
    match done {
        Ok(d) => {
            let gone = if d.gone > 0 { format!(", {} already gone", d.gone) } else { String::new() };
            viewer.flash(FlashKind::Success, format!("{} kept, {} removed{gone}.", d.kept, d.removed));
            Ok(see_other(&format!("/reviews/{id}")))
        }
        Err(AppError::BadRequest(why)) => {
            let mut errors = FieldErrors::default();
            errors.add("decision", why);
            show_page(&viewer, &db, id, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "reviews/report.html")]
pub struct ReportPage {
    pub layout: Layout,
    pub review: Review,
    pub scope: String,
    pub rows: Vec<(Item, Option<String>)>,
}

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    format: String,
}

/// The report of a review, for Administrators (auditors read it here or as CSV).
pub async fn report(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    crate::access::authority::reviews(&viewer.subject)?;
    let id = id.into_inner();
    let who = viewer.subject.clone();
    let (review, scope, rows) = db.run(move |c| model::report(c, &who, id)?.ok_or(AppError::NotFound)).await?;
    let scope = review.scope_words(&scope);
    if q.format == "csv" {
        let mut w = csv::Writer::from_writer(Vec::new());
        let head = [
            "person",
            "kind",
            "what",
            "contacts reached",
            "used",
            "decision",
            "comment",
            "decided by",
            "decided at",
            "by deadline",
            "already gone",
        ];
        crate::web::spreadsheet::write_row(&mut w, head).context("csv")?;
        for (i, by) in &rows {
            crate::web::spreadsheet::write_row(
                &mut w,
                [
                    i.holder.clone(),
                    i.kind.clone(),
                    i.what.clone(),
                    i.reach.map(|n| n.to_string()).unwrap_or_default(),
                    i.used.to_string(),
                    i.decision.clone().unwrap_or_default(),
                    i.comment.clone(),
                    by.clone().unwrap_or_default(),
                    i.decided_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    i.by_policy.to_string(),
                    i.gone.to_string(),
                ],
            )
            .context("csv")?;
        }
        let body = w.into_inner().context("csv")?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"access-review-{id}.csv\"")))
            .body(body));
    }
    page(ReportPage { layout: viewer.layout("/reviews"), review, scope, rows })
}
