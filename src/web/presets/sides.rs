//! The two sides of a comparison (a preset, or a user with the sources of each key) and the
//! rows of the comparison table.

use crate::access::Level;
use crate::db::schema::teams;
use crate::error::AppError;
use crate::permissions::store::{self, Sources};
use crate::permissions::{Perm, PermSet, MODULES};
use crate::presets::{self, Preset};
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
    /// For a user: what besides the keys decides their contact access.
    pub facts: Option<UserFacts>,
}

/// What besides the permission keys decides a user's contact access: SPEC 2.4's data settings,
/// the teams behind rules 3 and 4, and how many contacts all of it reaches.
pub struct UserFacts {
    pub role: &'static str,
    pub status: String,
    pub export_disabled: bool,
    pub only_owned: bool,
    pub member_of: Vec<String>,
    pub manages: Vec<String>,
    /// Contacts reached at view, edit and act (access::filter::count).
    pub reach: [i64; 3],
}

/// One line of the "contact access" comparison; `None` on a preset's side.
pub struct FactRow {
    pub label: &'static str,
    pub a: Option<String>,
    pub b: Option<String>,
}

impl FactRow {
    pub fn differs(&self) -> bool {
        self.a != self.b
    }
}

fn yes_no(v: bool) -> String {
    if v { "yes" } else { "no" }.to_string()
}

fn names(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// The contact-access lines, when at least one side is a user.
pub fn fact_rows(a: &Side, b: &Side) -> Vec<FactRow> {
    if a.facts.is_none() && b.facts.is_none() {
        return Vec::new();
    }
    type Line = (&'static str, fn(&UserFacts) -> String);
    let lines: [Line; 9] = [
        ("Role", |f| f.role.to_string()),
        ("Status", |f| f.status.clone()),
        ("Contact export disabled", |f| yes_no(f.export_disabled)),
        ("Only contacts this user owns", |f| yes_no(f.only_owned)),
        ("Member of teams", |f| names(&f.member_of)),
        ("Manages teams", |f| names(&f.manages)),
        ("Contacts reached (view or more)", |f| f.reach[0].to_string()),
        ("Contacts they can change (edit or more)", |f| f.reach[1].to_string()),
        ("Contacts they can send to (act)", |f| f.reach[2].to_string()),
    ];
    lines
        .into_iter()
        .map(|(label, get)| FactRow { label, a: a.facts.as_ref().map(get), b: b.facts.as_ref().map(get) })
        .collect()
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
            let set = store::keys_of(c, id)?;
            Ok(Side { label: p.name, href: format!("/presets/{id}"), set, sources: None, facts: None })
        }
        Pick::User(id) => {
            let (user, subject) = crate::access::facts::signed_in(c, id)?.ok_or(AppError::NotFound)?;
            if user.status == crate::accounts::DELETED {
                return Err(AppError::NotFound);
            }
            let sources = store::sources(c, id)?;
            let team_names = |c: &mut PgConnection, ids: Vec<i64>| -> QueryResult<Vec<String>> {
                teams::table.filter(teams::id.eq_any(ids)).order(teams::name).select(teams::name).load(c)
            };
            let member_of = team_names(c, subject.teams.clone())?;
            let managed: Vec<i64> = teams::table.filter(teams::manager_id.eq(id)).select(teams::id).load(c)?;
            let mut reach = [0; 3];
            for (n, level) in reach.iter_mut().zip([Level::View, Level::Edit, Level::Act]) {
                *n = crate::access::filter::count(c, &subject, level)?;
            }
            let facts = UserFacts {
                role: user.role().label(),
                status: user.status.clone(),
                export_disabled: user.disable_export,
                only_owned: user.only_owned,
                member_of,
                manages: team_names(c, managed)?,
                reach,
            };
            Ok(Side {
                label: user.email,
                href: format!("/users/{id}"),
                set: sources.effective(),
                sources: Some(sources),
                facts: Some(facts),
            })
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
