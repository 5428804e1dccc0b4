//! Teams (SPEC screen 8): records, queries and every change to them, audited. The team
//! screens and SCIM Groups both write through the functions here, and each change checks its
//! actor's authority itself: `administration.teams_manage`, and the no-escalation rule of the
//! organisation of access (`access::escalation::organisation`) for a new manager or member.

use crate::access::ends::End;
use crate::access::escalation::{organisation, Widening};
use crate::access::{Denied, Subject};
use crate::accounts::{self as users_model, User};
use crate::audit::{self, Actor};
use crate::db::schema::{teams, users};
use crate::db::views::{access_group_grants, team_members};
use crate::validation::FieldErrors;
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Deserialize;

/// A team as the list shows it.
#[derive(QueryableByName, Debug)]
pub struct TeamRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_email: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub members: i64,
}

/// Every team with its manager's email and member count, in one query.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<TeamRow>> {
    crate::db::query(
        "SELECT t.id, t.name, u.email AS manager_email, \
                (SELECT count(*) FROM team_members m WHERE m.team_id = t.id) AS members \
         FROM teams t LEFT JOIN users u ON u.id = t.manager_id \
         ORDER BY lower(t.name)",
    )
    .load(conn)
}

/// A team record.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub manager_id: Option<i64>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    /// The identity provider's id of a team provisioned as a SCIM Group.
    pub external_id: Option<String>,
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Team> {
    teams::table.find(id).select(Team::as_select()).first(conn)
}

/// The members of a team, by email.
pub fn members(conn: &mut PgConnection, team_id: i64) -> QueryResult<Vec<User>> {
    Ok(members_until(conn, team_id)?.into_iter().map(|(u, _)| u).collect())
}

/// The members of a team by email, each with the end of their membership (none: it does not
/// end).
pub fn members_until(
    conn: &mut PgConnection,
    team_id: i64,
) -> QueryResult<Vec<(User, Option<chrono::DateTime<chrono::Utc>>)>> {
    team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq(team_id))
        .order(users::email)
        .select((User::as_select(), team_members::ends_at))
        .load(conn)
}

/// (group id, group name, level) of every access group granted to a team.
pub fn granted_groups(conn: &mut PgConnection, team_id: i64) -> QueryResult<Vec<(i64, String, String)>> {
    use crate::db::schema::access_groups;
    use crate::db::views::access_group_grants;
    access_group_grants::table
        .inner_join(access_groups::table)
        .filter(access_group_grants::team_id.eq(team_id))
        .order(access_groups::name)
        .select((access_groups::id, access_groups::name, access_group_grants::level))
        .load(conn)
}

/// The team as the audit log keeps it.
pub fn audit_json(conn: &mut PgConnection, team: &Team) -> QueryResult<serde_json::Value> {
    let manager_email: Option<String> = match team.manager_id {
        Some(id) => users::table.find(id).select(users::email).first(conn).optional()?,
        None => None,
    };
    Ok(serde_json::json!({
        "id": team.id,
        "name": team.name,
        "manager_id": team.manager_id,
        "manager_email": manager_email,
    }))
}

/// The team form (create and edit).
#[derive(Deserialize, Default, Debug, Clone)]
pub struct TeamForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub manager_email: String,
}

/// A checked team form.
pub struct ValidTeam {
    pub name: String,
    pub manager_id: Option<i64>,
}

impl TeamForm {
    /// Checks the form: a name unique case-insensitively (other than team `except`) and, when
    /// given, a manager who is an active user.
    pub fn validate(
        &self,
        conn: &mut PgConnection,
        except: Option<i64>,
    ) -> QueryResult<Result<ValidTeam, FieldErrors>> {
        let manager = if self.manager_email.trim().is_empty() {
            Ok(None)
        } else {
            users_model::active_by_email(conn, &self.manager_email)?.map(Some)
        };
        validate(conn, &self.name, manager, except)
    }
}

/// Checks a team's name (unique case-insensitively, other than team `except`) and its manager
/// as looked up by the caller (by email on the screens, by id through SCIM).
pub fn validate(
    conn: &mut PgConnection,
    name: &str,
    manager: Result<Option<User>, &'static str>,
    except: Option<i64>,
) -> QueryResult<Result<ValidTeam, FieldErrors>> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    crate::validation::unique_name(name, 100, NAME_TAKEN, &mut errors, |name| {
        let mut q = teams::table.filter(crate::db::lower(teams::name).eq(crate::db::lower(name))).into_boxed();
        if let Some(id) = except {
            q = q.filter(teams::id.ne(id));
        }
        Ok(q.select(teams::id).first::<i64>(conn).optional()?.is_some())
    })?;
    let manager_id = match manager {
        Ok(m) => m.map(|u| u.id),
        Err(msg) => {
            errors.add("manager_email", msg);
            None
        }
    };
    Ok(if errors.is_empty() { Ok(ValidTeam { name: name.to_string(), manager_id }) } else { Err(errors) })
}

/// Runs `write` in a savepoint. A unique-name violation (two people saving the same name at
/// once, both past the check) becomes the field error `message` on "name" instead of a 500.
pub fn unique_name<T>(
    c: &mut PgConnection,
    message: &str,
    write: impl FnOnce(&mut PgConnection) -> QueryResult<T>,
) -> QueryResult<Result<T, FieldErrors>> {
    Ok(unless_taken(c, write)?.ok_or_else(|| {
        let mut errors = FieldErrors::default();
        errors.add("name", message);
        errors
    }))
}

/// Runs `write` in a savepoint; `None` when it breaks a unique index (another row has the
/// value), any other error as it is.
fn unless_taken<T>(
    c: &mut PgConnection,
    write: impl FnOnce(&mut PgConnection) -> QueryResult<T>,
) -> QueryResult<Option<T>> {
    use diesel::result::{DatabaseErrorKind, Error};
    match c.transaction(write) {
        Ok(v) => Ok(Some(v)),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub const NAME_TAKEN: &str = "Another team already has this name.";

/// Creates a team, audited; a name taken meanwhile is a field error.
pub fn create(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    v: &ValidTeam,
) -> Result<Result<Team, FieldErrors>, Denied> {
    may_manage_teams(who)?;
    let team: Team = match unique_name(c, NAME_TAKEN, |c| {
        diesel::insert_into(teams::table)
            .values((teams::name.eq(&v.name), teams::manager_id.eq(v.manager_id)))
            .returning(Team::as_returning())
            .get_result(c)
    })? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let json = audit_json(c, &team)?;
    audit::Entry::by(actor, "team.create", "team", team.id).after(json).record(c)?;
    Ok(Ok(team))
}

/// Saves a team's name and manager, audited; `Ok(false)` when nothing changes.
pub fn update(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    id: i64,
    v: &ValidTeam,
) -> Result<Result<bool, FieldErrors>, Denied> {
    may_manage_teams(who)?;
    let before = teams::table.find(id).select(Team::as_select()).for_update().first(c)?;
    if v.name == before.name && v.manager_id == before.manager_id {
        return Ok(Ok(false));
    }
    if v.manager_id.is_some() && v.manager_id != before.manager_id {
        organisation(c, who, Widening::Manager { team: id })?;
    }
    let before_json = audit_json(c, &before)?;
    let after: Team = match unique_name(c, NAME_TAKEN, |c| {
        diesel::update(teams::table.find(id))
            .set((teams::name.eq(&v.name), teams::manager_id.eq(v.manager_id), teams::updated_at.eq(Utc::now())))
            .returning(Team::as_returning())
            .get_result(c)
    })? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let after_json = audit_json(c, &after)?;
    audit::Entry::by(actor, "team.update", "team", id).before(before_json).after(after_json).record(c)?;
    Ok(Ok(true))
}

/// What deleting a team takes with it: (members, access-group grants).
pub fn dependants(c: &mut PgConnection, id: i64) -> QueryResult<(i64, i64)> {
    let members = team_members::table.filter(team_members::team_id.eq(id)).count().get_result(c)?;
    let grants = access_group_grants::table.filter(access_group_grants::team_id.eq(id)).count().get_result(c)?;
    Ok((members, grants))
}

/// Deletes a team; its memberships and access-group grants go with it (ON DELETE CASCADE),
/// and the audit entry keeps them. Returns the team's name.
pub fn delete(c: &mut PgConnection, actor: &Actor, who: &Subject, id: i64) -> Result<String, Denied> {
    may_manage_teams(who)?;
    let team = teams::table.find(id).select(Team::as_select()).for_update().first(c)?;
    let mut before = audit_json(c, &team)?;
    let member_ids: Vec<i64> =
        team_members::table.filter(team_members::team_id.eq(id)).select(team_members::user_id).load(c)?;
    let grants: Vec<(i64, String)> = access_group_grants::table
        .filter(access_group_grants::team_id.eq(id))
        .select((access_group_grants::group_id, access_group_grants::level))
        .load(c)?;
    before["member_ids"] = serde_json::json!(member_ids);
    before["grants"] = serde_json::json!(grants
        .iter()
        .map(|(g, l)| serde_json::json!({"group_id": g, "level": l}))
        .collect::<Vec<_>>());
    diesel::delete(teams::table.find(id)).execute(c)?;
    audit::Entry::by(actor, "team.delete", "team", id).before(before).record(c)?;
    Ok(team.name)
}

/// Adds an active user to a team until `end`, audited; `Ok(false)` when they already are a
/// member.
pub fn add_member(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    team_id: i64,
    user: &User,
    end: End,
) -> Result<bool, Denied> {
    may_manage_teams(who)?;
    // Locks the team: its manager cannot change between the check and the write.
    teams::table.find(team_id).select(teams::id).for_update().first::<i64>(c)?;
    organisation(c, who, Widening::Member { team: team_id, user: user.id })?;
    let added = diesel::insert_into(team_members::table)
        .values((
            team_members::team_id.eq(team_id),
            team_members::user_id.eq(user.id),
            team_members::ends_at.eq(end.at),
            team_members::ends_set_by.eq(end.set_by),
        ))
        .on_conflict_do_nothing()
        .execute(c)?;
    if added > 0 {
        audit::Entry::by(actor, "team.member_add", "team", team_id)
            .before(serde_json::json!({ "member": null }))
            .after(serde_json::json!({ "member": { "user_id": user.id, "email": user.email }, "ends_at": end.at }))
            .record(c)?;
    }
    Ok(added > 0)
}

/// Removes a member from a team, audited; `None` when the user was not a member.
pub fn remove_member(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    team_id: i64,
    user_id: i64,
) -> Result<Option<String>, Denied> {
    may_manage_teams(who)?;
    let Some(email) = users::table.find(user_id).select(users::email).first::<String>(c).optional()? else {
        return Ok(None);
    };
    if diesel::delete(team_members::table.find((team_id, user_id))).execute(c)? == 0 {
        return Ok(None);
    }
    audit::Entry::by(actor, "team.member_remove", "team", team_id)
        .before(serde_json::json!({ "member": { "user_id": user_id, "email": email } }))
        .after(serde_json::json!({ "member": null }))
        .record(c)?;
    Ok(Some(email))
}

/// Makes the members of a team exactly `wanted` (user ids), each addition and removal audited
/// as on the team page. Users who are added must be active; members who stay need not be.
/// Returns the id of the first user who cannot be added, with why, and changes nothing then.
pub fn set_members(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    team_id: i64,
    wanted: &[i64],
) -> Result<Result<(), (i64, &'static str)>, Denied> {
    may_manage_teams(who)?;
    let current: Vec<i64> =
        team_members::table.filter(team_members::team_id.eq(team_id)).select(team_members::user_id).load(c)?;
    let mut adding = Vec::new();
    for &id in wanted {
        if !current.contains(&id) && !adding.iter().any(|u: &User| u.id == id) {
            match users_model::active_by_id(c, id)? {
                Ok(u) => adding.push(u),
                Err(why) => return Ok(Err((id, why))),
            }
        }
    }
    for id in current.iter().filter(|id| !wanted.contains(id)) {
        remove_member(c, actor, who, team_id, *id)?;
    }
    for u in &adding {
        add_member(c, actor, who, team_id, u, End::default())?;
    }
    Ok(Ok(()))
}

/// Teams and their members are changed by holders of `administration.teams_manage`.
fn may_manage_teams(who: &Subject) -> Result<(), Denied> {
    crate::access::authority::require(who, crate::permissions::Perm::AdministrationTeamsManage)
}

/// Sets the identity provider's id of a team; `Ok(false)` when another team has it.
pub fn set_external_id(c: &mut PgConnection, team_id: i64, external_id: Option<&str>) -> QueryResult<bool> {
    let write = |c: &mut PgConnection| {
        diesel::update(teams::table.find(team_id)).set(teams::external_id.eq(external_id)).execute(c)
    };
    Ok(unless_taken(c, write)?.is_some())
}

/// Every team (by id) with its members (by email, as [`members`]), in two queries.
pub fn all_with_members(c: &mut PgConnection) -> QueryResult<Vec<(Team, Vec<User>)>> {
    let all: Vec<Team> = teams::table.order(teams::id).select(Team::as_select()).load(c)?;
    let links: Vec<(i64, User)> = team_members::table
        .inner_join(users::table)
        .order((team_members::team_id, users::email))
        .select((team_members::team_id, User::as_select()))
        .load(c)?;
    let mut by_team: std::collections::HashMap<i64, Vec<User>> = std::collections::HashMap::new();
    for (t, u) in links {
        by_team.entry(t).or_default().push(u);
    }
    Ok(all
        .into_iter()
        .map(|t| {
            let m = by_team.remove(&t.id).unwrap_or_default();
            (t, m)
        })
        .collect())
}
