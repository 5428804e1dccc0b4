//! Access-group records, their grants and their queries.

use crate::db::schema::{access_group_grants, access_groups, contact_access_groups, teams, users};
use crate::validation::FieldErrors;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Deserialize;

/// The levels a grant may give, lowest first.
pub const LEVELS: [&str; 3] = ["view", "edit", "act"];

/// A group as the list shows it.
#[derive(QueryableByName, Debug)]
pub struct GroupRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = BigInt)]
    pub contacts: i64,
    #[diesel(sql_type = BigInt)]
    pub grants: i64,
}

/// Every group with its contact and grant counts, in one query (each count an index-only scan).
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<GroupRow>> {
    diesel::sql_query(
        "SELECT g.id, g.name, g.description, \
                (SELECT count(*) FROM contact_access_groups cg WHERE cg.group_id = g.id) AS contacts, \
                (SELECT count(*) FROM access_group_grants gr WHERE gr.group_id = g.id) AS grants \
         FROM access_groups g ORDER BY lower(g.name)",
    )
    .load(conn)
}

/// An access-group record.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = access_groups)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
}

impl Group {
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({ "id": self.id, "name": self.name, "description": self.description })
    }
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Group> {
    access_groups::table.find(id).select(Group::as_select()).first(conn)
}

/// How many contacts are in a group.
pub fn contact_count(conn: &mut PgConnection, id: i64) -> QueryResult<i64> {
    contact_access_groups::table.filter(contact_access_groups::group_id.eq(id)).count().get_result(conn)
}

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
}

impl Grant {
    /// Whether this grant gives level `l`.
    pub fn level_is(&self, l: &str) -> bool {
        self.level == l
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
            "team_id": self.team_id, "team_name": self.team_name, "level": self.level,
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

/// The group form (create and edit).
#[derive(Deserialize, Default, Debug, Clone)]
pub struct GroupForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl GroupForm {
    /// Checks the form: a name unique case-insensitively (other than group `except`), a
    /// description of reasonable length. Returns the trimmed (name, description).
    pub fn validate(
        &self,
        conn: &mut PgConnection,
        except: Option<i64>,
    ) -> QueryResult<Result<(String, String), FieldErrors>> {
        let mut errors = FieldErrors::default();
        let name = self.name.trim();
        crate::validation::unique_name(
            name,
            100,
            "Another access group already has this name.",
            &mut errors,
            |name| {
                let mut q = access_groups::table
                    .filter(crate::db::lower(access_groups::name).eq(crate::db::lower(name)))
                    .into_boxed();
                if let Some(id) = except {
                    q = q.filter(access_groups::id.ne(id));
                }
                Ok(q.select(access_groups::id).first::<i64>(conn).optional()?.is_some())
            },
        )?;
        let description = self.description.trim();
        if description.chars().count() > 1000 {
            errors.add("description", "Use at most 1000 characters.");
        }
        Ok(if errors.is_empty() { Ok((name.to_string(), description.to_string())) } else { Err(errors) })
    }
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
    use crate::access::grant::{organisation, OrganisationError, Widening};
    crate::access::authority::require(who, crate::permissions::Perm::AdministrationAccessGroupsManage)?;
    if widens {
        organisation(c, who, Widening::Group { group: group_id }).map_err(|e| match e {
            OrganisationError::Db(e) => e.into(),
            e => crate::access::Denied::Forbidden(e.to_string()),
        })?;
    }
    Ok(())
}

fn rank(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(0)
}

/// Grants group `group_id` to `holder` at `level` (one of [`LEVELS`]), audited.
pub fn add_grant(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    group_id: i64,
    holder: Holder,
    level: &str,
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
        ))
        .on_conflict_do_nothing()
        .returning(access_group_grants::id)
        .get_result(c)
        .optional()?;
    let grant = grant(c, group_id, grant_id.ok_or(GrantError::Exists)?)?;
    crate::audit::Entry::by(actor, "access_group.grant_add", "access_group", group_id)
        .before(serde_json::json!({ "grant": null }))
        .after(serde_json::json!({ "grant": grant.audit_json() }))
        .record(c)?;
    Ok(grant)
}

/// Sets the level of a grant, audited; a higher level widens access and is held to the
/// no-escalation rule. Returns the grant as it was.
pub fn change_grant(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    group_id: i64,
    grant_id: i64,
    level: &str,
) -> Result<Grant, GrantError> {
    let before = grant(c, group_id, grant_id)?;
    may_grant(c, who, group_id, rank(level) > rank(&before.level))?;
    if before.level != level {
        diesel::update(access_group_grants::table.find(grant_id))
            .set(access_group_grants::level.eq(level))
            .execute(c)?;
        let after = grant(c, group_id, grant_id)?;
        crate::audit::Entry::by(actor, "access_group.grant_update", "access_group", group_id)
            .before(serde_json::json!({ "grant": before.audit_json() }))
            .after(serde_json::json!({ "grant": after.audit_json() }))
            .record(c)?;
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
    crate::audit::Entry::by(actor, "access_group.grant_remove", "access_group", group_id)
        .before(serde_json::json!({ "grant": before.audit_json() }))
        .after(serde_json::json!({ "grant": null }))
        .record(c)?;
    Ok(before)
}

/// What is taken about a group: its name unique case-insensitively, shown beside the field.
const NAME_TAKEN: &str = "Another access group already has this name.";

/// Groups themselves (not their grants) are made, renamed and deleted by holders of
/// `administration.access_groups_manage`; none of it lets anyone reach more.
fn may_manage(who: &crate::access::Subject) -> Result<(), crate::access::Denied> {
    crate::access::authority::require(who, crate::permissions::Perm::AdministrationAccessGroupsManage)
}

/// Creates a group from a checked form, audited; a name taken meanwhile is a field error.
pub fn create(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    name: &str,
    description: &str,
) -> Result<Result<Group, FieldErrors>, crate::access::Denied> {
    may_manage(who)?;
    let group = match crate::teams::unique_name(c, NAME_TAKEN, |c| {
        diesel::insert_into(access_groups::table)
            .values((access_groups::name.eq(name), access_groups::description.eq(description)))
            .returning(Group::as_returning())
            .get_result(c)
    })? {
        Ok(g) => g,
        Err(e) => return Ok(Err(e)),
    };
    crate::audit::Entry::by(actor, "access_group.create", "access_group", group.id)
        .after(group.audit_json())
        .record(c)?;
    Ok(Ok(group))
}

/// Saves a group's name and description, audited; `Ok(false)` when nothing changes.
pub fn update(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    id: i64,
    name: &str,
    description: &str,
) -> Result<Result<bool, FieldErrors>, crate::access::Denied> {
    may_manage(who)?;
    let before = find(c, id)?;
    if name == before.name && description == before.description {
        return Ok(Ok(false));
    }
    let after = match crate::teams::unique_name(c, NAME_TAKEN, |c| {
        diesel::update(access_groups::table.find(id))
            .set((
                access_groups::name.eq(name),
                access_groups::description.eq(description),
                access_groups::updated_at.eq(chrono::Utc::now()),
            ))
            .returning(Group::as_returning())
            .get_result(c)
    })? {
        Ok(g) => g,
        Err(e) => return Ok(Err(e)),
    };
    crate::audit::Entry::by(actor, "access_group.update", "access_group", id)
        .before(before.audit_json())
        .after(after.audit_json())
        .record(c)?;
    Ok(Ok(true))
}

/// Deletes a group with its grants and memberships (ON DELETE CASCADE), the audit entry
/// keeping them. Returns its name and how many contacts left it.
pub fn delete(
    c: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    id: i64,
) -> Result<(String, i64), crate::access::Denied> {
    may_manage(who)?;
    let group = find(c, id)?;
    let contacts = contact_count(c, id)?;
    let grants: Vec<_> = grants(c, id)?.iter().map(Grant::audit_json).collect();
    let mut before = group.audit_json();
    before["contacts"] = serde_json::json!(contacts);
    before["grants"] = serde_json::json!(grants);
    diesel::delete(access_groups::table.find(id)).execute(c)?;
    crate::audit::Entry::by(actor, "access_group.delete", "access_group", id).before(before).record(c)?;
    Ok((group.name, contacts))
}

/// Whether team `id` exists (a grant's holder is chosen by id on the group page).
pub fn team_exists(c: &mut PgConnection, id: i64) -> QueryResult<bool> {
    Ok(teams::table.find(id).select(teams::id).first::<i64>(c).optional()?.is_some())
}

/// Every team by name, (id, name): the choices of a grant's holder.
pub fn team_choices(c: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    teams::table.order(teams::name).select((teams::id, teams::name)).load(c)
}

/// Every group by name, (id, name): the choices of the screens that pick a group.
pub fn choices(c: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    access_groups::table.select((access_groups::id, access_groups::name)).order(access_groups::name).load(c)
}

/// The name of group `id`, if it exists.
pub fn name_of(c: &mut PgConnection, id: i64) -> QueryResult<Option<String>> {
    access_groups::table.find(id).select(access_groups::name).first(c).optional()
}
