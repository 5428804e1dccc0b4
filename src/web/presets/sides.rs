//! The two sides of a comparison (a preset, or a user with the sources of each key) and the
//! rows of the comparison table.

use crate::db::schema::users;
use crate::error::AppError;
use crate::permissions::presets::{self, Preset};
use crate::permissions::store::{self, Sources};
use crate::permissions::{Perm, PermSet, MODULES};
use diesel::prelude::*;

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
        let Some(s) = &self.sources else {
            return String::new();
        };
        let mut from: Vec<String> =
            s.presets.iter().filter(|(_, _, k)| k.contains(p)).map(|(_, n, _)| n.clone()).collect();
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

/// Loads one side (404 for a missing preset or a missing or deleted user).
pub fn load_side(c: &mut PgConnection, pick: Pick) -> Result<Side, AppError> {
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

/// One row per catalog key, with the module label on the first key of each module.
pub fn rows(a: &Side, b: &Side) -> Vec<Row> {
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
