//! GET /presets/compare?a=..&b=..: two presets, or two users, side by side. A side is
//! `p:<id>` (or a bare id) for a preset, `u:<id>` for a user. For a user each key says where
//! it comes from: the presets that hold it, or a per-user grant or revoke; and what else decides
//! their contact access (data settings, teams, how many contacts they reach).

use super::sides::{fact_rows, load_side, rows, FactRow, Pick, Row, Side};
use crate::auth::Viewer;
use crate::db::schema::users;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::presets;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
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
    /// Empty unless the viewer may see users.
    pub users: Vec<Choice>,
    /// The two pickers (`a`, `b`) with their current values.
    pub pickers: [Picker; 2],
    pub sides: Option<(Side, Side)>,
    pub rows: Vec<Row>,
    pub differences: usize,
    /// Data settings, teams and reach, when a side is a user.
    pub facts: Vec<FactRow>,
}

/// One side's picker.
pub struct Picker {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
}

#[derive(Deserialize)]
pub struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
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
    let a = query.a.as_deref().and_then(Pick::parse);
    let b = query.b.as_deref().and_then(Pick::parse);
    if !may_see_users && [a, b].iter().any(|p| matches!(p, Some(Pick::User(_)))) {
        return Err(AppError::forbidden(format!("user {} may not compare users", viewer.id())));
    }
    let (presets, users, sides) = db
        .run(move |c| {
            let presets: Vec<Choice> =
                presets::all(c)?.into_iter().map(|p| Choice { value: format!("p:{}", p.id), label: p.name }).collect();
            let users: Vec<Choice> = if may_see_users {
                users::table
                    .filter(users::status.ne(crate::accounts::DELETED))
                    .select((users::id, users::email))
                    .order(users::email)
                    .load::<(i64, String)>(c)?
                    .into_iter()
                    .map(|(id, email)| Choice { value: format!("u:{id}"), label: email })
                    .collect()
            } else {
                Vec::new()
            };
            let sides = match (a, b) {
                (Some(a), Some(b)) => Some((load_side(c, a)?, load_side(c, b)?)),
                _ => None,
            };
            Ok((presets, users, sides))
        })
        .await?;
    let rows = sides.as_ref().map(|(a, b)| rows(a, b)).unwrap_or_default();
    let facts = sides.as_ref().map(|(a, b)| fact_rows(a, b)).unwrap_or_default();
    page(ComparePage {
        layout: viewer.layout("/presets"),
        presets,
        users,
        pickers: [
            Picker { name: "a", label: "Left", value: a.map(|p| p.value()).unwrap_or_default() },
            Picker { name: "b", label: "Right", value: b.map(|p| p.value()).unwrap_or_default() },
        ],
        differences: rows.iter().filter(|r| r.differs()).count(),
        sides,
        rows,
        facts,
    })
}
