//! The explainer's other direction (SPEC 3): not "who can see this contact and why" but "what
//! can this user reach, and through what": each access path with how many contacts it gives,
//! the rules that narrow them, and the totals at each level. Shown on the user card.
//!
//! Every count is an index look-up per path of the one description ([`super::paths`]); the
//! totals come from [`filter::count`], the same rules the list and the property test use.

use super::filter;
use super::level::Level;
use super::paths::{self, Keys, Path};
use super::rules::{Denial, Subject};
use crate::db::sql::{sql, Sql};
use crate::permissions::Perm;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// What one user reaches, path by path.
#[derive(Debug, Clone)]
pub struct Reach {
    /// Distinct contacts reached at view, edit and act (or above).
    pub at_view: i64,
    pub at_edit: i64,
    pub at_act: i64,
    /// Rule 1 (`contacts.all`) applies.
    pub whole_base: bool,
    /// Rule 2.
    pub main_owner: i64,
    pub co_owner: i64,
    pub co_owner_read_only: i64,
    /// Rule 3: the teams the user manages.
    pub teams: Vec<TeamReach>,
    /// Rule 4: the grants to the user or their teams.
    pub grants: Vec<GrantReach>,
    /// Rules that take away what the paths above would give (inactive, only owned).
    pub limits: Vec<Denial>,
    /// Confidential contacts of others are left out of every count (the user is no
    /// Administrator).
    pub confidential_excluded: bool,
    /// The user lacks `contacts.view`: whatever the levels, the list and cards refuse them.
    pub lacks_view: bool,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct TeamReach {
    #[diesel(sql_type = BigInt)]
    pub team_id: i64,
    #[diesel(sql_type = Text)]
    pub team_name: String,
    #[diesel(sql_type = BigInt)]
    pub members: i64,
    /// Contacts whose main owner or writable co-owner is a member.
    #[diesel(sql_type = BigInt)]
    pub contacts: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct GrantReach {
    #[diesel(sql_type = BigInt)]
    pub group_id: i64,
    #[diesel(sql_type = Text)]
    pub group_name: String,
    #[diesel(sql_type = Text)]
    pub level: String,
    /// The team the grant goes to (the user belongs to it); `None` for a grant to the user.
    #[diesel(sql_type = Nullable<Text>)]
    pub team_name: Option<String>,
    /// Contacts in the group.
    #[diesel(sql_type = BigInt)]
    pub contacts: i64,
}

#[derive(QueryableByName)]
struct Owned {
    #[diesel(sql_type = BigInt)]
    main_owner: i64,
    #[diesel(sql_type = BigInt)]
    co_owner: i64,
    #[diesel(sql_type = BigInt)]
    co_owner_read_only: i64,
}

impl Reach {
    /// The paths listed one by one are counted even when a limit blocks them, so the card can
    /// say what "only contacts this user owns" or a deactivation takes away.
    pub fn of(conn: &mut PgConnection, s: &Subject) -> QueryResult<Reach> {
        let uid = s.user_id;
        // Rules 3 and 4 never reach another owner's confidential contact (rules::decide): they
        // leave through the partial index of confidential contacts, not a look-up per contact.
        let not_conf =
            if s.administrator { "" } else { " WHERE id NOT IN (SELECT id FROM contacts WHERE confidential)" };
        // Each team's and each grant's paths (paths::team, paths::granted) counted distinct.
        let counted = |paths: &[Path]| {
            let rows: Vec<Sql> = paths.iter().map(Path::rows).collect();
            sql!("(SELECT count(DISTINCT id) FROM (", Sql::joined(&rows, " UNION ALL "), ") AS x (id)", not_conf, ")")
        };
        let members = Keys::Select(Sql::new("SELECT tm.user_id FROM team_members tm WHERE tm.team_id = t.id"));
        let owned: Owned = sql!(
            "SELECT (SELECT count(*) FROM contacts WHERE main_owner_id = ",
            uid,
            ") AS main_owner, (SELECT count(*) FROM contact_owners WHERE user_id = ",
            uid,
            " AND NOT read_only) AS co_owner, (SELECT count(*) FROM contact_owners WHERE user_id = ",
            uid,
            " AND read_only) AS co_owner_read_only"
        )
        .query()
        .get_result(conn)?;
        let teams: Vec<TeamReach> = sql!(
            "SELECT t.id AS team_id, t.name AS team_name, \
               (SELECT count(*) FROM team_members tm WHERE tm.team_id = t.id) AS members, ",
            counted(&paths::team(members)),
            " AS contacts FROM teams t WHERE t.manager_id = ",
            uid,
            " ORDER BY t.name, t.id"
        )
        .query()
        .load(conn)?;
        let grants: Vec<GrantReach> = sql!(
            "SELECT g.group_id, ag.name AS group_name, g.level, tt.name AS team_name, ",
            counted(&[paths::granted(Keys::Column("g.group_id"))]),
            " AS contacts FROM access_group_grants g JOIN access_groups ag ON ag.id = g.group_id \
             LEFT JOIN teams tt ON tt.id = g.team_id \
             WHERE g.user_id = ",
            uid,
            " OR g.team_id IN (SELECT team_id FROM team_members WHERE user_id = ",
            uid,
            ") ORDER BY ag.name, g.group_id, tt.name NULLS FIRST"
        )
        .query()
        .load(conn)?;
        let mut limits = Vec::new();
        if !s.active {
            limits.push(Denial::Inactive);
        }
        if s.only_owned {
            limits.push(Denial::OnlyOwned);
        }
        Ok(Reach {
            at_view: filter::count(conn, s, Level::View)?,
            at_edit: filter::count(conn, s, Level::Edit)?,
            at_act: filter::count(conn, s, Level::Act)?,
            whole_base: s.perms.contains(Perm::ContactsAll),
            main_owner: owned.main_owner,
            co_owner: owned.co_owner,
            co_owner_read_only: owned.co_owner_read_only,
            teams,
            grants,
            limits,
            confidential_excluded: !s.administrator,
            lacks_view: !s.perms.contains(Perm::ContactsView),
        })
    }

    /// Whether teams, access groups and `contacts.all` count (not under "only owned").
    pub fn shared_paths_count(&self) -> bool {
        !self.limits.contains(&Denial::OnlyOwned)
    }
}
