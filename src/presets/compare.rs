//! Comparing two presets, or two users, side by side: each side (a preset, or a user with the
//! sources of each key and what else decides their contact access) and the rows of the
//! comparison table. Reading presets needs one of [`VIEW_KEYS`]; a side that is a user needs
//! the user directory ([`authority::read_users`]).

use crate::access::{authority, Denied, Level, Subject};
use crate::db::schema::teams;
use crate::permissions::store::{self, Sources};
use crate::permissions::{Perm, PermSet, MODULES};
use crate::presets::{self, Preset};
use crate::validation::FieldErrors;
use diesel::prelude::*;

/// Keys that open the preset screens (the same as the navigation entry).
pub const VIEW_KEYS: &[Perm] =
    &[Perm::AdministrationPresetsManage, Perm::AdministrationUsersView, Perm::AdministrationUsersManage];

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
    /// The preset's name, or the user's name.
    pub label: String,
    /// A user side's email (under the name in the column's heading, and in its picker).
    pub email: Option<String>,
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

/// Loads one side (not found for a missing preset or a missing or deleted user).
fn load_side(c: &mut PgConnection, pick: Pick) -> Result<Side, Denied> {
    match pick {
        Pick::Preset(id) => {
            let p: Preset = presets::find(c, id)?;
            let set = store::keys_of(c, id)?;
            Ok(Side { label: p.name, email: None, href: format!("/presets/{id}"), set, sources: None, facts: None })
        }
        Pick::User(id) => {
            let (user, subject) = crate::access::facts::signed_in(c, id)?.ok_or(Denied::NotFound)?;
            if user.status == crate::accounts::DELETED {
                return Err(Denied::NotFound);
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
                label: user.display_name(),
                email: Some(user.email),
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

/// What a reader asks to compare: per side, a user typed by email (which wins), else a pick.
pub struct Request {
    pub a: Option<Pick>,
    pub b: Option<Pick>,
    pub a_user: Option<String>,
    pub b_user: Option<String>,
}

impl Request {
    fn names_users(&self) -> bool {
        [self.a, self.b].iter().any(|p| matches!(p, Some(Pick::User(_))))
            || self.a_user.is_some()
            || self.b_user.is_some()
    }
}

/// The comparison as the page shows it.
pub struct Comparison {
    /// Every preset, (`p:<id>`, name): the pickers' choices.
    pub presets: Vec<(String, String)>,
    /// Each side as resolved, with its user's email when it is a user.
    pub chosen: [(Option<Pick>, String); 2],
    /// Both sides, when both are chosen.
    pub sides: Option<(Side, Side)>,
    /// A typed email no user has, beside its field (`a_user`, `b_user`).
    pub errors: FieldErrors,
}

/// Compares what `req` asks for, as `who` may read it.
pub fn compare(c: &mut PgConnection, who: &Subject, req: Request) -> Result<Comparison, Denied> {
    authority::require_any(who, VIEW_KEYS)?;
    if req.names_users() {
        authority::read_users(who)?;
    }
    let presets = presets::all(c)?.into_iter().map(|p| (format!("p:{}", p.id), p.name)).collect();
    let mut errors = FieldErrors::default();
    // A side typed as an email is that user; otherwise the preset (or `u:<id>`) chosen.
    let mut side = |field: &'static str, email: Option<String>, pick: Option<Pick>| -> QueryResult<Option<Pick>> {
        Ok(match email {
            Some(e) => match crate::accounts::find_by_email(c, &e)? {
                Some(u) if u.status != crate::accounts::DELETED => Some(Pick::User(u.id)),
                _ => {
                    errors.add(field, "No user has this email.");
                    None
                }
            },
            None => pick,
        })
    };
    let (a, b) = (side("a_user", req.a_user, req.a)?, side("b_user", req.b_user, req.b)?);
    let sides = match (a, b) {
        (Some(a), Some(b)) => Some((load_side(c, a)?, load_side(c, b)?)),
        _ => None,
    };
    // A user side shows its user's email: the loaded side's label, or looked up when the
    // other side is not chosen yet.
    let mut email_of = |p: Option<Pick>, loaded: Option<&Side>| -> QueryResult<String> {
        Ok(match (p, loaded) {
            (Some(Pick::User(_)), Some(side)) => side.email.clone().unwrap_or_default(),
            (Some(Pick::User(id)), None) => crate::accounts::find(c, id)?.map(|u| u.email).unwrap_or_default(),
            _ => String::new(),
        })
    };
    let chosen = [(a, email_of(a, sides.as_ref().map(|s| &s.0))?), (b, email_of(b, sides.as_ref().map(|s| &s.1))?)];
    Ok(Comparison { presets, chosen, sides, errors })
}
