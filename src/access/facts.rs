//! Loading the facts the rules decide on, with a fixed number of queries.

use super::level::Level;
use super::rules::{ContactFacts, Grant, OwnerTeam, Subject};
use crate::db::schema::{access_group_grants, access_groups, contact_access_groups, contact_owners, contacts, team_members, teams, users};
use crate::permissions::{store, Role};
use diesel::prelude::*;

/// The subject for a user id; `None` when the user does not exist.
pub fn subject(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<Subject>> {
    let Some((status, only_owned, role)) = users::table
        .find(user_id)
        .select((users::status, users::only_owned, users::role))
        .first::<(String, bool, String)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let perms = store::effective_of(conn, user_id)?;
    let teams = team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::team_id)
        .load(conn)?;
    Ok(Some(Subject {
        user_id,
        active: status == crate::users::model::ACTIVE,
        perms,
        only_owned,
        administrator: role == Role::Administrator.as_str(),
        teams,
    }))
}

/// The facts of one contact; `None` when it does not exist.
pub fn contact(conn: &mut PgConnection, contact_id: i64) -> QueryResult<Option<ContactFacts>> {
    let Some((main_owner, confidential)) = contacts::table
        .find(contact_id)
        .select((contacts::main_owner_id, contacts::confidential))
        .first::<(Option<i64>, bool)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let co_owners: Vec<(i64, bool)> = contact_owners::table
        .filter(contact_owners::contact_id.eq(contact_id))
        .select((contact_owners::user_id, contact_owners::read_only))
        .order(contact_owners::user_id)
        .load(conn)?;
    // Team rule: members who are the main owner or a writable co-owner.
    let mut owners: Vec<i64> = co_owners.iter().filter(|(_, ro)| !ro).map(|(u, _)| *u).collect();
    owners.extend(main_owner);
    let owner_teams = team_members::table
        .inner_join(teams::table)
        .filter(team_members::user_id.eq_any(&owners))
        .select((teams::id, teams::name, teams::manager_id, team_members::user_id))
        .load::<(i64, String, Option<i64>, i64)>(conn)?
        .into_iter()
        .map(|(team_id, team_name, manager_id, member_id)| OwnerTeam {
            team_id,
            team_name,
            manager_id,
            member_id,
            member_is_main_owner: Some(member_id) == main_owner,
        })
        .collect();
    let grants = contact_access_groups::table
        .inner_join(access_group_grants::table.on(access_group_grants::group_id.eq(contact_access_groups::group_id)))
        .inner_join(access_groups::table.on(access_groups::id.eq(access_group_grants::group_id)))
        .left_join(teams::table.on(teams::id.nullable().eq(access_group_grants::team_id)))
        .filter(contact_access_groups::contact_id.eq(contact_id))
        .select((
            access_group_grants::group_id,
            access_groups::name,
            access_group_grants::user_id,
            access_group_grants::team_id,
            teams::name.nullable(),
            access_group_grants::level,
        ))
        .load::<(i64, String, Option<i64>, Option<i64>, Option<String>, String)>(conn)?
        .into_iter()
        .map(|(group_id, group_name, user_id, team_id, team_name, level)| Grant {
            group_id,
            group_name,
            user_id,
            team_id,
            team_name,
            level: level.parse().unwrap_or(Level::None),
        })
        .collect();
    Ok(Some(ContactFacts { contact_id, main_owner, confidential, co_owners, owner_teams, grants }))
}
