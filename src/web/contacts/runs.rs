//! GET /contacts/manage/runs: the signed-in user's bulk runs, newest first, each linking to its
//! page (progress, report, undo), and above them their recent previews not executed. Whoever
//! may read the audit log (and so open anyone's run) can list everyone's runs, or one user's
//! (`?who=all`, `?who=<user id>`).

use crate::auth::Viewer;
use crate::bulk::history::{self, Listed, Preview};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

const PER_PAGE: i64 = 50;
const PREVIEWS: i64 = 10;

#[derive(Deserialize)]
pub struct RunsQuery {
    /// Show runs older than this one (keyset: the list only grows).
    before: Option<i64>,
    /// Whose runs: the signed-in user's (unset), everyone's (`all`) or one user's (an id).
    #[serde(default)]
    who: String,
}

/// Whose runs the list shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Mine,
    Everyone,
    User(i64),
}

impl Whose {
    fn parse(who: &str) -> Result<Whose, AppError> {
        match who {
            "" => Ok(Whose::Mine),
            "all" => Ok(Whose::Everyone),
            id => id.parse().map(Whose::User).map_err(|_| AppError::NotFound),
        }
    }

    /// This list's address, from run `before` on (the newest when `None`).
    pub fn href(&self, before: Option<i64>) -> String {
        let who = match self {
            Whose::Mine => None,
            Whose::Everyone => Some("all".to_string()),
            Whose::User(id) => Some(id.to_string()),
        };
        match (before, who) {
            (None, None) => "/contacts/manage/runs".into(),
            (None, Some(w)) => format!("/contacts/manage/runs?who={w}"),
            (Some(b), None) => format!("/contacts/manage/runs?before={b}"),
            (Some(b), Some(w)) => format!("/contacts/manage/runs?before={b}&who={w}"),
        }
    }
}

#[derive(Template)]
#[template(path = "contacts/manage_runs.html")]
pub struct RunsPage {
    pub layout: Layout,
    /// Recent previews not executed (first page only).
    pub previews: Vec<Preview>,
    pub previews_since_hours: i64,
    pub runs: Vec<Listed>,
    pub older: bool,
    pub paged: bool,
    pub whose: Whose,
    /// May list everyone's runs.
    pub all_allowed: bool,
}

impl RunsPage {
    pub fn heading(&self) -> String {
        match self.whose {
            Whose::Mine => "Your bulk runs".into(),
            Whose::Everyone => "Everyone's bulk runs".into(),
            Whose::User(_) => match self.runs.first() {
                Some(r) => format!("Bulk runs of {}", r.by),
                None => "Bulk runs of one user".into(),
            },
        }
    }

    pub fn mine(&self) -> bool {
        self.whose == Whose::Mine
    }

    /// The `before` of the next page: the oldest run shown.
    pub fn next_before(&self) -> Option<i64> {
        self.older.then(|| self.runs.last().map(|r| r.id)).flatten()
    }
}

pub async fn list(viewer: Viewer, db: web::Data<Db>, query: web::Query<RunsQuery>) -> Result<HttpResponse, AppError> {
    super::manage::require(&viewer)?;
    let whose = Whose::parse(&query.who)?;
    let all_allowed = viewer.has(Perm::AdministrationAuditView);
    if whose != Whose::Mine {
        viewer.require(Perm::AdministrationAuditView)?;
    }
    let (uid, before) = (viewer.id(), query.before);
    let (previews, mut runs) = db
        .run(move |c| {
            let mine = whose == Whose::Mine && before.is_none();
            let previews = if mine { history::previews_of_user(c, uid, PREVIEWS)? } else { Vec::new() };
            let of = match whose {
                Whose::Mine => Some(uid),
                Whose::Everyone => None,
                Whose::User(id) => Some(id),
            };
            Ok((previews, history::executed(c, of, before, PER_PAGE + 1)?))
        })
        .await?;
    let older = runs.len() as i64 > PER_PAGE;
    runs.truncate(PER_PAGE as usize);
    page(RunsPage {
        layout: viewer.layout("/contacts"),
        previews,
        previews_since_hours: history::PREVIEWS_SINCE_HOURS,
        runs,
        older,
        paged: before.is_some(),
        whose,
        all_allowed,
    })
}
