//! Access-group grants: who reaches a group's contacts at which level, and the changes to
//! them, each with its authority (`access_groups_manage`, and the organisation rule of
//! `access::escalation` where a change lets someone reach more).

use super::{find, LEVELS};
use crate::access::ends::End;
use crate::db::schema::{teams, users};
use crate::db::views::access_group_grants;
use diesel::prelude::*;

/// A grant with the name of whoever holds it.
#[derive(Queryable, Debug, Clone)]
pub struct Grant {
    pub id: i64,
    pub group_id: i64,
    pub user_id: Option<i64>,
    pub user_email: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub level: String,
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Grant {
    /// Whether this grant gives level `l`.
    pub fn level_is(&self, l: &str) -> bool {
        self.level == l
    }

    /// "until 31 Dec 2026, 17:00 UTC", or nothing when it does not end.
    pub fn until(&self) -> String {
        crate::access::ends::until_opt(self.ends_at)
    }

    /// The end as its date-and-time field shows it.
    pub fn until_value(&self) -> String {
        crate::access::ends::field_value(self.ends_at)
    }

    /// "team Sales" or "user ada@example.com".
    pub fn holder(&self) -> String {
        match (&self.team_name, &self.user_email) {
            (Some(t), _) => format!("team {t}"),
            (None, Some(e)) => format!("user {e}"),
            _ => "nobody".to_string(),
        }
    }

    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "group_id": self.group_id, "user_id": self.user_id, "user_email": self.user_email,
            "team_id": self.team_id, "team_name": self.team_name, "level": self.level, "ends_at": self.ends_at,
        })
    }
}

/// The grants of a group (teams first, then users), one query.
pub fn grants(conn: &mut PgConnection, group_id: i64) -> QueryResult<Vec<Grant>> {
    load_grants(conn, Some(group_id), None)
}

/// One grant of a group.
pub fn grant(conn: &mut PgConnection, group_id: i64, grant_id: i64) -> QueryResult<Grant> {
    load_grants(conn, Some(group_id), Some(grant_id))?.into_iter().next().ok_or(diesel::result::Error::NotFound)
}

fn load_grants(conn: &mut PgConnection, group_id: Option<i64>, grant_id: Option<i64>) -> QueryResult<Vec<Grant>> {
    let mut q = access_group_grants::table
        .left_join(users::table.on(access_group_grants::user_id.eq(users::id.nullable())))
        .left_join(teams::table.on(access_group_grants::team_id.eq(teams::id.nullable())))
        .select((
            access_group_grants::id,
            access_group_grants::group_id,
            access_group_grants::user_id,
            users::email.nullable(),
            access_group_grants::team_id,
            teams::name.nullable(),
            access_group_grants::level,
            access_group_grants::ends_at,
        ))
        .into_boxed();
    if let Some(g) = group_id {
        q = q.filter(access_group_grants::group_id.eq(g));
    }
    if let Some(id) = grant_id {
        q = q.filter(access_group_grants::id.eq(id));
    }
    q.order((teams::name.nullable().asc().nulls_last(), users::email.nullable().asc(), access_group_grants::id))
        .load(conn)
}

/// Who a grant goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Team(i64),
    User(i64),
}

/// Why a grant change is refused.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// The holder already has a grant on this group: change its level instead.
    #[error("Already granted: change the level of the existing grant instead.")]
    Exists,
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
}

impl From<diesel::result::Error> for GrantError {
    fn from(e: diesel::result::Error) -> GrantError {
        GrantError::Denied(e.into())
    }
}

/// The authority every grant change needs: `access_groups_manage`, and, where the change lets
/// someone reach more, the no-escalation rule of the organisation of access.
fn may_grant(
    c: &mut PgConnection,
    who: &crate::access::Subject,
    group_id: i64,
    widens: bool,
) -> Result<(), crate::access::Denied> {
    use crate::access::escalation::{organisation, Widening};
    crate::access::authority::require(who, crate::permissions::Perm::AdministrationAccessGroupsManage)?;
    if widens {
        organisation(c, who, Widening::Group { group: group_id })?;
    }
    Ok(())
}

fn rank(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(0)
}

/// Grants group `group_id` to `holder` at `level` (one of [`LEVELS`]) until `end`, audited.
pub fn add_grant(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    group_id: i64,
    holder: Holder,
    level: &str,
    end: End,
) -> Result<Grant, GrantError> {
    find(c, group_id)?;
    may_grant(c, who, group_id, true)?;
    let (user_id, team_id) = match holder {
        Holder::User(u) => (Some(u), None),
        Holder::Team(t) => (None, Some(t)),
    };
    let grant_id: Option<i64> = diesel::insert_into(access_group_grants::table)
        .values((
            access_group_grants::group_id.eq(group_id),
            access_group_grants::user_id.eq(user_id),
            access_group_grants::team_id.eq(team_id),
            access_group_grants::level.eq(level),
            access_group_grants::ends_at.eq(end.at),
            access_group_grants::ends_set_by.eq(end.set_by),
        ))
        .on_conflict_do_nothing()
        .returning(access_group_grants::id)
        .get_result(c)
        .optional()?;
    let grant = grant(c, group_id, grant_id.ok_or(GrantError::Exists)?)?;
    record(c, actor, "access_group.grant_add", group_id, None, Some(&grant))?;
    Ok(grant)
}

/// The audit entry of a grant change on group `group_id`: the grant before and after (`null`
/// where there is none).
fn record(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    action: &str,
    group_id: i64,
    before: Option<&Grant>,
    after: Option<&Grant>,
) -> QueryResult<()> {
    let json = |g: Option<&Grant>| serde_json::json!({ "grant": g.map(Grant::audit_json) });
    crate::audit::Entry::by(actor, action, "access_group", group_id).before(json(before)).after(json(after)).record(c)
}

/// Sets the level and the end of a grant, audited; a higher level or a later end (none is the
/// latest) widens access and is held to the no-escalation rule. Returns the grant as it was.
pub fn change_grant(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    group_id: i64,
    grant_id: i64,
    level: &str,
    end: End,
) -> Result<Grant, GrantError> {
    let before = grant(c, group_id, grant_id)?;
    let longer = crate::access::ends::later(end.at, before.ends_at);
    may_grant(c, who, group_id, rank(level) > rank(&before.level) || longer)?;
    if before.level != level || before.ends_at != end.at {
        diesel::update(access_group_grants::table.find(grant_id))
            .set((
                access_group_grants::level.eq(level),
                access_group_grants::ends_at.eq(end.at),
                access_group_grants::ends_set_by.eq(end.set_by),
            ))
            .execute(c)?;
        let after = grant(c, group_id, grant_id)?;
        record(c, actor, "access_group.grant_update", group_id, Some(&before), Some(&after))?;
    }
    Ok(before)
}

/// Removes a grant, audited. Returns the grant as it was.
pub fn remove_grant(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    group_id: i64,
    grant_id: i64,
) -> Result<Grant, GrantError> {
    let before = grant(c, group_id, grant_id)?;
    may_grant(c, who, group_id, false)?;
    diesel::delete(access_group_grants::table.find(grant_id)).execute(c)?;
    record(c, actor, "access_group.grant_remove", group_id, Some(&before), None)?;
    Ok(before)
}

/// Whether team `id` exists (a grant's holder is chosen by id on the group page).
pub fn team_exists(c: &mut PgConnection, id: i64) -> QueryResult<bool> {
    Ok(teams::table.find(id).select(teams::id).first::<i64>(c).optional()?.is_some())
}

/// Every team by name, (id, name): the choices of a grant's holder.
pub fn team_choices(c: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    teams::table.order(teams::name).select((teams::id, teams::name)).load(c)
}
