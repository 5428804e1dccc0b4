//! Access-group records, their grants and their queries.

mod grants;

pub use grants::{
    add_grant, change_grant, grant, grants, remove_grant, team_choices, team_exists, Grant, GrantError, Holder,
};

use crate::db::schema::{access_groups, contact_access_groups};
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
    crate::db::query(
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

/// Every group by name, (id, name): the choices of the screens that pick a group.
pub fn choices(c: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    access_groups::table.select((access_groups::id, access_groups::name)).order(access_groups::name).load(c)
}

/// The name of group `id`, if it exists.
pub fn name_of(c: &mut PgConnection, id: i64) -> QueryResult<Option<String>> {
    access_groups::table.find(id).select(access_groups::name).first(c).optional()
}
