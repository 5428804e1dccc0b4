//! SPEC section 3 as a pure function: the facts about one user and one contact in, the access
//! level and every path that grants it (or the rule that denies it) out.
//!
//! The SQL filter in `filter.rs` is the same rules written as set operations; the property
//! test `tests/app/access_props.rs` proves the two agree on random data.

use super::level::Level;
use crate::permissions::{Perm, PermSet};
use serde::Serialize;

/// The user side of a decision.
#[derive(Clone, Debug)]
pub struct Subject {
    pub user_id: i64,
    pub active: bool,
    pub perms: PermSet,
    /// "Only contacts this user owns" (SPEC 2.4).
    pub only_owned: bool,
    /// "Disable export" (SPEC 2.4): refuses contact export whatever the permissions say.
    pub export_disabled: bool,
    /// Role Administrator: confidential contacts stay visible to them.
    pub administrator: bool,
    /// Teams the user is a member of.
    pub teams: Vec<i64>,
}

/// A team whose member is one of the contact's owners (main or co-owner, read-only or not).
#[derive(Clone, Debug)]
pub struct OwnerTeam {
    pub team_id: i64,
    pub team_name: String,
    pub manager_id: Option<i64>,
    pub member_id: i64,
    pub member_email: String,
    pub member_is_main_owner: bool,
}

/// An access-group grant on a group the contact is in.
#[derive(Clone, Debug)]
pub struct Grant {
    pub group_id: i64,
    pub group_name: String,
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub level: Level,
}

/// The contact side of a decision: everything any user's access to it can depend on.
#[derive(Clone, Debug, Default)]
pub struct ContactFacts {
    pub contact_id: i64,
    pub main_owner: Option<i64>,
    pub confidential: bool,
    /// (user id, read-only) of every co-owner.
    pub co_owners: Vec<(i64, bool)>,
    pub owner_teams: Vec<OwnerTeam>,
    pub grants: Vec<Grant>,
}

/// One way a user reaches a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Path {
    /// Rule 1: `contacts.all`.
    WholeBase,
    /// Rule 2.
    MainOwner,
    CoOwner {
        read_only: bool,
    },
    /// Rule 3: manager of a team whose member owns the contact.
    TeamManager {
        team_id: i64,
        team_name: String,
        member_id: i64,
        member_email: String,
        member_is_main_owner: bool,
    },
    /// Rule 4: an access-group grant to the user or to one of their teams.
    Group {
        group_id: i64,
        group_name: String,
        team_id: Option<i64>,
        team_name: Option<String>,
        level: Level,
    },
}

impl Path {
    pub fn level(&self) -> Level {
        match self {
            Path::WholeBase | Path::MainOwner | Path::TeamManager { .. } => Level::Act,
            Path::CoOwner { read_only: true } => Level::View,
            Path::CoOwner { read_only: false } => Level::Act,
            Path::Group { level, .. } => *level,
        }
    }

    fn is_ownership(&self) -> bool {
        matches!(self, Path::MainOwner | Path::CoOwner { .. })
    }

    /// A sentence for the explainer.
    pub fn describe(&self) -> String {
        match self {
            Path::WholeBase => "holds contacts.all: the whole contact base, ownership ignored".into(),
            Path::MainOwner => "is the main owner".into(),
            Path::CoOwner { read_only: true } => "is a read-only co-owner".into(),
            Path::CoOwner { read_only: false } => "is a co-owner".into(),
            Path::TeamManager { team_name, member_email, member_is_main_owner, .. } => format!(
                "manages team \u{201c}{team_name}\u{201d}, whose member {member_email} is {}",
                if *member_is_main_owner { "the main owner" } else { "a co-owner" }
            ),
            // Levels in the words every screen uses for them (`Level::words`).
            Path::Group { group_name, team_name: Some(t), level, .. } => format!(
                "access group \u{201c}{group_name}\u{201d} lets team \u{201c}{t}\u{201d}, which they belong to, {}",
                level.words()
            ),
            Path::Group { group_name, level, .. } => {
                format!("access group \u{201c}{group_name}\u{201d} lets them {}", level.words())
            }
        }
    }
}

/// Why a user who would otherwise reach a contact gets less (or nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Denial {
    /// Deactivated or deleted user.
    Inactive,
    /// Confidential contact: only owners and Administrators.
    Confidential,
    /// "Only contacts this user owns": teams, groups and contacts.all give nothing.
    OnlyOwned,
    /// No rule grants anything.
    NoPath,
}

impl Denial {
    pub fn describe(self) -> &'static str {
        match self {
            Denial::Inactive => "the user is deactivated or deleted",
            Denial::Confidential => "the contact is confidential: only its owners and Administrators see it",
            Denial::OnlyOwned => {
                "the user is limited to contacts they own: teams, access groups and contacts.all give nothing"
            }
            Denial::NoPath => "no ownership, team or access-group rule reaches this contact",
        }
    }
}

/// The outcome for one user and one contact.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub level: Level,
    /// Paths that count.
    pub paths: Vec<Path>,
    /// Paths that exist but were discarded, with the rule that discarded them.
    pub blocked: Vec<(Path, Denial)>,
    /// Set when the level is none.
    pub denial: Option<Denial>,
}

/// Every path that could reach the contact, before the restricting rules.
fn candidate_paths(s: &Subject, c: &ContactFacts) -> Vec<Path> {
    let mut paths = Vec::new();
    if s.perms.contains(Perm::ContactsAll) {
        paths.push(Path::WholeBase);
    }
    if c.main_owner == Some(s.user_id) {
        paths.push(Path::MainOwner);
    }
    if let Some((_, ro)) = c.co_owners.iter().find(|(u, _)| *u == s.user_id) {
        paths.push(Path::CoOwner { read_only: *ro });
    }
    // Rule 3: the manager of a team whose member is the main owner or a co-owner who can edit
    // (a read-only co-owner's team gets nothing from them).
    let writable_owner =
        |t: &&OwnerTeam| t.member_is_main_owner || c.co_owners.iter().any(|(u, ro)| *u == t.member_id && !ro);
    for t in c.owner_teams.iter().filter(|t| t.manager_id == Some(s.user_id)).filter(writable_owner) {
        paths.push(Path::TeamManager {
            team_id: t.team_id,
            team_name: t.team_name.clone(),
            member_id: t.member_id,
            member_email: t.member_email.clone(),
            member_is_main_owner: t.member_is_main_owner,
        });
    }
    for g in &c.grants {
        let to_user = g.user_id == Some(s.user_id);
        let to_team = g.team_id.is_some_and(|t| s.teams.contains(&t));
        if to_user || to_team {
            paths.push(Path::Group {
                group_id: g.group_id,
                group_name: g.group_name.clone(),
                team_id: if to_user { None } else { g.team_id },
                team_name: if to_user { None } else { g.team_name.clone() },
                level: g.level,
            });
        }
    }
    paths
}

/// SPEC 3: the access level of a user to a contact, with its explanation.
pub fn decide(s: &Subject, c: &ContactFacts) -> Decision {
    let mut paths = Vec::new();
    let mut blocked = Vec::new();
    for p in candidate_paths(s, c) {
        let denial = if !s.active {
            Some(Denial::Inactive)
        } else if s.only_owned && !p.is_ownership() {
            Some(Denial::OnlyOwned)
        } else if c.confidential && !s.administrator && !p.is_ownership() {
            Some(Denial::Confidential)
        } else {
            None
        };
        match denial {
            Some(d) => blocked.push((p, d)),
            None => paths.push(p),
        }
    }
    let level = paths.iter().map(Path::level).max().unwrap_or(Level::None);
    let denial = (level == Level::None)
        .then(|| blocked.first().map(|(_, d)| *d).unwrap_or(if s.active { Denial::NoPath } else { Denial::Inactive }));
    Decision { level, paths, blocked, denial }
}
