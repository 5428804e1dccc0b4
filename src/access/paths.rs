//! SPEC 3's access paths (rules 2 to 4) described once, as data: the link table each goes
//! through, whose rows (the user, the members of the teams they manage, the groups granted to
//! them), whether only writable rows count, and whether a confidential contact closes it.
//! [`super::filter`], [`super::pages`] and [`super::reach`] render this one description as
//! each SQL shape they need — a set of ids, index scans in id order, a per-row probe, a count;
//! changing a rule is one edit here (and in `rules::decide`), and the property test
//! (`tests/app/access_props.rs`) holds every shape to the decision function.

use super::level::Level;
use super::rules::Subject;
use crate::db::sql::sql;
use crate::db::sql::{Bind, Sql};

/// The link table of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Link {
    /// `contacts.main_owner_id`.
    MainOwner,
    /// `contact_owners.user_id`; `writable_only`: read-only co-owners do not count.
    CoOwner { writable_only: bool },
    /// `contact_access_groups.group_id`.
    Group,
}

impl Link {
    /// (table, alias, its contact column, its key column).
    fn columns(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Link::MainOwner => ("contacts", "c", "id", "main_owner_id"),
            Link::CoOwner { .. } => ("contact_owners", "co", "contact_id", "user_id"),
            Link::Group => ("contact_access_groups", "cag", "contact_id", "group_id"),
        }
    }

    /// What narrows the rows, over `alias.` (or no alias when empty).
    fn narrowing(self, alias: &str) -> Sql {
        match self {
            Link::CoOwner { writable_only: true } if alias.is_empty() => Sql::new(" AND NOT read_only"),
            Link::CoOwner { writable_only: true } => Sql::new(" AND NOT co.read_only"),
            _ => Sql::default(),
        }
    }
}

/// Whose rows a path follows.
#[derive(Clone, Debug)]
pub(super) enum Keys {
    One(i64),
    /// Looked up beforehand ([`Shared::of`]); empty, the path reaches nothing.
    Ids(Vec<i64>),
    /// A sub-select of ids, where nothing is looked up beforehand (a predicate built without
    /// a connection).
    Select(Sql),
    /// A column of the enclosing query (a correlated count per team or grant).
    Column(&'static str),
}

impl Keys {
    /// The test of a key column against these keys.
    fn test(&self) -> Sql {
        match self {
            Keys::One(id) => sql!(" = ", *id),
            Keys::Ids(ids) => sql!(" = ANY(", Bind::I64s(ids.clone()), ")"),
            Keys::Select(q) => sql!(" IN (", q, ")"),
            Keys::Column(col) => sql!(" = ", *col),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Keys::Ids(ids) if ids.is_empty())
    }
}

/// One access path.
#[derive(Clone, Debug)]
pub(super) struct Path {
    pub(super) link: Link,
    pub(super) keys: Keys,
    /// Rules 3 and 4: a confidential contact is closed to it unless the user is an
    /// Administrator (ownership, rule 2, always counts).
    pub(super) shared: bool,
}

/// Rule 2: the user's own contacts, as main owner or co-owner (a read-only co-owner reaches
/// only view).
pub(super) fn owned(uid: i64, min: Level) -> [Path; 2] {
    [
        Path { link: Link::MainOwner, keys: Keys::One(uid), shared: false },
        Path { link: Link::CoOwner { writable_only: min > Level::View }, keys: Keys::One(uid), shared: false },
    ]
}

/// Rule 3: the contacts whose main owner or writable co-owner is one of `members` (of a team
/// the user manages); it gives act, so any level.
pub(super) fn team(members: Keys) -> [Path; 2] {
    [
        Path { link: Link::MainOwner, keys: members.clone(), shared: true },
        Path { link: Link::CoOwner { writable_only: true }, keys: members, shared: true },
    ]
}

/// Rule 4: the contacts in `groups` (granted to the user or a team of theirs at the level).
pub(super) fn granted(groups: Keys) -> Path {
    Path { link: Link::Group, keys: groups, shared: true }
}

/// Every path of `s` at `min` (at least view) but rule 1: theirs, and unless they see only what
/// they own, their teams' and groups'. Paths that reach nothing are left out.
pub(super) fn of(s: &Subject, min: Level, shared: Shared) -> Vec<Path> {
    let mut all: Vec<Path> = owned(s.user_id, min).into();
    if !s.only_owned {
        all.extend(team(shared.members));
        all.push(granted(shared.groups));
    }
    all.retain(|p| !p.keys.is_empty());
    all
}

/// The teams' members and granted groups of rules 3 and 4.
pub(super) struct Shared {
    pub(super) members: Keys,
    pub(super) groups: Keys,
}

impl Shared {
    /// As sub-selects: for a predicate built without a connection.
    pub(super) fn select(s: &Subject, min: Level) -> Shared {
        Shared { members: Keys::Select(members_of(s.user_id)), groups: Keys::Select(groups_of(s.user_id, min)) }
    }

    /// Looked up once (nothing for a user who sees only what they own), so each path becomes
    /// index scans on known keys.
    pub(super) fn of(conn: &mut diesel::PgConnection, s: &Subject, min: Level) -> diesel::QueryResult<Shared> {
        if s.only_owned {
            return Ok(Shared { members: Keys::Ids(Vec::new()), groups: Keys::Ids(Vec::new()) });
        }
        let members = load_ids(conn, &sql!("SELECT DISTINCT id FROM (", members_of(s.user_id), ") x (id) ORDER BY 1"))?;
        let groups =
            load_ids(conn, &sql!("SELECT DISTINCT id FROM (", groups_of(s.user_id, min), ") x (id) ORDER BY 1"))?;
        Ok(Shared { members: Keys::Ids(members), groups: Keys::Ids(groups) })
    }
}

/// The members of the teams `uid` manages.
fn members_of(uid: i64) -> Sql {
    sql!("SELECT tm.user_id FROM teams t JOIN team_members tm ON tm.team_id = t.id WHERE t.manager_id = ", uid)
}

/// The access groups granted at `min` or above to `uid` or a team of theirs.
fn groups_of(uid: i64, min: Level) -> Sql {
    let levels = Bind::Texts(min.grant_levels_at_least().iter().map(|l| l.to_string()).collect());
    sql!(
        "SELECT g.group_id FROM access_group_grants g WHERE g.level = ANY(",
        levels,
        ") AND (g.user_id = ",
        uid,
        " OR g.team_id IN (SELECT team_id FROM team_members WHERE user_id = ",
        uid,
        "))"
    )
}

impl Path {
    /// `SELECT <contact id> FROM <link> WHERE …`: the contacts it reaches, as a set.
    pub(super) fn rows(&self) -> Sql {
        let (table, _, contact, key) = self.link.columns();
        sql!("SELECT ", contact, " FROM ", table, " WHERE ", key, self.keys.test(), self.link.narrowing(""))
    }

    /// Index scans in contact-id order, one per key when the keys are known (an index on
    /// (key, contact) then gives each in order): (`<from> WHERE …` over `c`, the column that
    /// orders it). `closed` adds what shuts a confidential contact to a shared path.
    pub(super) fn scans(&self, closed: &'static str) -> Vec<(Sql, &'static str)> {
        let each: Vec<Keys> = match &self.keys {
            Keys::Ids(ids) => ids.iter().map(|id| Keys::One(*id)).collect(),
            other => vec![other.clone()],
        };
        let conf = if self.shared { closed } else { "" };
        let (table, alias, contact, key) = self.link.columns();
        each.into_iter()
            .map(|k| match self.link {
                Link::MainOwner => (sql!("contacts c WHERE c.main_owner_id", k.test(), conf), "c.id"),
                _ => {
                    let from = sql!(
                        table,
                        " ",
                        alias,
                        " JOIN contacts c ON c.id = ",
                        alias,
                        ".",
                        contact,
                        " WHERE ",
                        alias,
                        ".",
                        key,
                        k.test(),
                        self.link.narrowing(alias),
                        conf
                    );
                    (from, if alias == "co" { "co.contact_id" } else { "cag.contact_id" })
                }
            })
            .collect()
    }

    /// Whether the contact `c` is on this path, as one index probe.
    pub(super) fn probe(&self) -> Sql {
        let (table, alias, contact, key) = self.link.columns();
        match self.link {
            Link::MainOwner => sql!("c.main_owner_id", self.keys.test()),
            // (`OFFSET 0` keeps PostgreSQL from turning the probe into a hash of every row the
            // path reaches, built before the first row.)
            _ => sql!(
                "EXISTS (SELECT 1 FROM ",
                table,
                " ",
                alias,
                " WHERE ",
                alias,
                ".",
                contact,
                " = c.id AND ",
                alias,
                ".",
                key,
                self.keys.test(),
                self.link.narrowing(alias),
                " OFFSET 0)"
            ),
        }
    }
}

/// Runs a query of one `id` column.
pub(super) fn load_ids(conn: &mut diesel::PgConnection, q: &Sql) -> diesel::QueryResult<Vec<i64>> {
    use diesel::RunQueryDsl;
    Ok(q.query().load::<IdRow>(conn)?.into_iter().map(|r| r.id).collect())
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
