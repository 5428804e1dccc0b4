//! GET /presets/compare?a=..&b=..: two presets, or two users, side by side. A side is
//! `p:<id>` (or a bare id) for a preset, `u:<id>` for a user. For a user each key says where
//! it comes from: the presets that hold it, or a per-user grant or revoke.

use crate::auth::Viewer;
use crate::db::schema::users;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::presets::{self, Preset};
use crate::permissions::store::{self, Sources};
use crate::permissions::{Perm, PermSet, MODULES};
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

/// What one side of the comparison is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    Preset(i64),
    User(i64),
}

impl Pick {
    /// Parses `p:<id>`, `u:<id>` or a bare preset id; anything else is no choice.
    pub fn parse(s: &str) -> Option<Pick> {
        let s = s.trim();
        match s.split_once(':') {
            Some(("p", id)) => id.parse().ok().map(Pick::Preset),
            Some(("u", id)) => id.parse().ok().map(Pick::User),
            Some(_) => None,
            None => s.parse().ok().map(Pick::Preset),
        }
    }

    pub fn value(&self) -> String {
        match self {
            Pick::Preset(id) => format!("p:{id}"),
            Pick::User(id) => format!("u:{id}"),
        }
    }
}

/// One loaded side.
pub struct Side {
    pub label: String,
    pub href: String,
    pub set: PermSet,
    /// For a user: where each key comes from.
    pub sources: Option<Sources>,
}

impl Side {
    /// Where `p` comes from on this side ("" for a preset).
    fn source(&self, p: Perm) -> String {
        let Some(s) = &self.sources else { return String::new() };
        let mut from: Vec<String> = s.presets.iter().filter(|(_, _, k)| k.contains(p)).map(|(_, n, _)| n.clone()).collect();
        if s.grants.contains(p) {
            from.push("granted for this user".into());
        }
        if s.revokes.contains(p) {
            from.push("revoked for this user".into());
        }
        from.join(", ")
    }
}

/// One key of the catalog, on both sides.
pub struct Row {
    pub module: Option<&'static str>,
    pub key: &'static str,
    pub label: &'static str,
    pub a: bool,
    pub a_from: String,
    pub b: bool,
    pub b_from: String,
}

impl Row {
    pub fn differs(&self) -> bool {
        self.a != self.b
    }
}

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

fn load_side(c: &mut PgConnection, pick: Pick) -> Result<Side, AppError> {
    match pick {
        Pick::Preset(id) => {
            let p: Preset = presets::find(c, id)?;
            Ok(Side { label: p.name, href: format!("/presets/{id}"), set: store::keys_of(c, id)?, sources: None })
        }
        Pick::User(id) => {
            let (email, status): (String, String) =
                users::table.find(id).select((users::email, users::status)).first(c)?;
            if status == crate::users::model::DELETED {
                return Err(AppError::NotFound);
            }
            let sources = store::sources(c, id)?;
            Ok(Side { label: email, href: format!("/users/{id}"), set: sources.effective(), sources: Some(sources) })
        }
    }
}

fn rows(a: &Side, b: &Side) -> Vec<Row> {
    MODULES
        .iter()
        .flat_map(|m| {
            m.actions.iter().enumerate().map(move |(i, p)| Row {
                module: (i == 0).then_some(m.label),
                key: p.key(),
                label: p.label(),
                a: a.set.contains(*p),
                a_from: a.source(*p),
                b: b.set.contains(*p),
                b_from: b.source(*p),
            })
        })
        .collect()
}

/// The comparison page, with pickers for both sides.
#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, query: web::Query<CompareQuery>) -> Result<HttpResponse, AppError> {
    super::require_view(&viewer)?;
    let may_see_users = viewer.has(Perm::AdministrationUsersView) || viewer.has(Perm::AdministrationUsersManage);
    let a = query.a.as_deref().and_then(Pick::parse);
    let b = query.b.as_deref().and_then(Pick::parse);
    if !may_see_users && [a, b].iter().any(|p| matches!(p, Some(Pick::User(_)))) {
        return Err(AppError::forbidden(format!("user {} may not compare users", viewer.id())));
    }
    let (presets, users, sides) = db
        .run(move |c| {
            let presets: Vec<Choice> = presets::all(c)?
                .into_iter()
                .map(|p| Choice { value: format!("p:{}", p.id), label: p.name })
                .collect();
            let users: Vec<Choice> = if may_see_users {
                users::table
                    .filter(users::status.ne(crate::users::model::DELETED))
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
    })
}
