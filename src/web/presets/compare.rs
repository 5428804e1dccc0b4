//! GET /presets/compare?a=..&b=..: two presets, or two users, side by side. A side is
//! `p:<id>` (or a bare id) for a preset, `u:<id>` for a user, or a user by email in
//! `a_user` / `b_user` (the page's user pickers). For a user each key says where
//! it comes from: the presets that hold it, or a per-user grant or revoke; and what else decides
//! their contact access (data settings, teams, how many contacts they reach).

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::presets::compare::{self, fact_rows, rows, FactRow, Pick, Request, Row, Side};
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// An option of the pickers.
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "presets/compare.html")]
pub struct ComparePage {
    pub layout: Layout,
    pub presets: Vec<Choice>,
    /// The viewer may compare users (the pickers offer a user field).
    pub may_see_users: bool,
    pub errors: crate::validation::FieldErrors,
    /// The two pickers (`a`, `b`) with their current values.
    pub pickers: [Picker; 2],
    pub sides: Option<(Side, Side)>,
    pub rows: Vec<Row>,
    pub differences: usize,
    /// Every key is listed (`all=1`), not only the keys that differ.
    pub all: bool,
    /// This comparison with the other listing (all keys / differences only).
    pub toggle_href: String,
    /// Data settings, teams and reach, when a side is a user.
    pub facts: Vec<FactRow>,
}

/// One side's picker.
pub struct Picker {
    pub name: &'static str,
    pub label: &'static str,
    /// The preset chosen (`p:<id>`), or empty.
    pub value: String,
    /// The user chosen, by email (as typed when refused).
    pub user_email: String,
}

impl Picker {
    /// The name of the side's user field.
    pub fn user_field(&self) -> String {
        format!("{}_user", self.name)
    }
}

#[derive(Deserialize)]
pub struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
    a_user: Option<String>,
    b_user: Option<String>,
    /// `1`: list every key, not only those that differ.
    all: Option<String>,
}

/// The rows to list: every key, or (the default) only those that differ, each module's label
/// on the first row listed of it.
fn listed(rows: Vec<Row>, all: bool) -> Vec<Row> {
    if all {
        return rows;
    }
    let mut module = None;
    let mut labelled = None;
    rows.into_iter()
        .filter_map(|mut r| {
            module = r.module.or(module);
            if !r.differs() {
                return None;
            }
            r.module = (labelled != module).then_some(module).flatten();
            labelled = module;
            Some(r)
        })
        .collect()
}

/// The comparison page, with pickers for both sides.
#[tracing::instrument(skip_all)]
pub async fn show(
    viewer: Viewer,
    db: web::Data<Db>,
    query: web::Query<CompareQuery>,
) -> Result<HttpResponse, AppError> {
    super::require_view(&viewer)?;
    let may_see_users = viewer.has(Perm::AdministrationUsersView) || viewer.has(Perm::AdministrationUsersManage);
    let q = query.into_inner();
    let typed = |v: &Option<String>| v.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(String::from);
    let (a_email, b_email) = (typed(&q.a_user), typed(&q.b_user));
    let (a, b) = (q.a.as_deref().and_then(Pick::parse), q.b.as_deref().and_then(Pick::parse));
    let req = Request { a, b, a_user: a_email.clone(), b_user: b_email.clone() };
    let who = viewer.access();
    let compare::Comparison { presets, chosen, sides, errors } =
        db.run(move |c| Ok(compare::compare(c, &who.subject(), req)?)).await?;
    let presets = presets.into_iter().map(|(value, label)| Choice { value, label }).collect();
    let [(a, a_shown), (b, b_shown)] = chosen;
    let preset_value = |p: Option<Pick>| match p {
        Some(p @ Pick::Preset(_)) => p.value(),
        _ => String::new(),
    };
    let all = q.all.as_deref() == Some("1");
    let rows = sides.as_ref().map(|(a, b)| rows(a, b)).unwrap_or_default();
    let differences = rows.iter().filter(|r| r.differs()).count();
    let rows = listed(rows, all);
    let toggle_href = {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (k, v) in [("a", &q.a), ("b", &q.b), ("a_user", &q.a_user), ("b_user", &q.b_user)] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                pairs.push((k, v.clone()));
            }
        }
        if !all {
            pairs.push(("all", "1".into()));
        }
        format!("/presets/compare?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let facts = sides.as_ref().map(|(a, b)| fact_rows(a, b)).unwrap_or_default();
    page(ComparePage {
        layout: viewer.layout("/presets"),
        presets,
        may_see_users,
        pickers: [
            Picker { name: "a", label: "Left", value: preset_value(a), user_email: a_email.unwrap_or(a_shown) },
            Picker { name: "b", label: "Right", value: preset_value(b), user_email: b_email.unwrap_or(b_shown) },
        ],
        errors,
        differences,
        all,
        toggle_href,
        sides,
        rows,
        facts,
    })
}
