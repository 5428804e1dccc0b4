//! Loading the facts the rules decide on, with a fixed number of queries.

use super::level::Level;
use super::rules::{ContactFacts, Grant, OwnerTeam, Subject};
use crate::db::schema::{
    access_group_grants, access_groups, contact_access_groups, contact_owners, contacts, team_members, teams, users,
};
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
    let teams =
        team_members::table.filter(team_members::user_id.eq(user_id)).select(team_members::team_id).load(conn)?;
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
        .inner_join(users::table)
        .filter(team_members::user_id.eq_any(&owners))
        .select((teams::id, teams::name, teams::manager_id, team_members::user_id, users::email))
        .load::<(i64, String, Option<i64>, i64, String)>(conn)?
        .into_iter()
        .map(|(team_id, team_name, manager_id, member_id, member_email)| OwnerTeam {
            team_id,
            team_name,
            manager_id,
            member_id,
            member_email,
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

/// The subject for an already loaded user and permissions (a request's `Viewer`): one query
/// for their teams.
pub fn subject_for(
    conn: &mut PgConnection,
    user: &crate::users::User,
    perms: crate::permissions::PermSet,
) -> QueryResult<Subject> {
    let teams =
        team_members::table.filter(team_members::user_id.eq(user.id)).select(team_members::team_id).load(conn)?;
    Ok(Subject {
        user_id: user.id,
        active: user.is_active(),
        perms,
        only_owned: user.only_owned,
        administrator: user.role() == Role::Administrator,
        teams,
    })
}

/// A user as the "who can see this contact" list shows them.
#[derive(Clone, Debug)]
pub struct UserBrief {
    pub id: i64,
    pub email: String,
    pub name: String,
}

/// Every active user as a subject, in a fixed number of queries (for "who can see this
/// contact": the same decision function, run for each user).
pub fn all_active_subjects(conn: &mut PgConnection) -> QueryResult<Vec<(UserBrief, Subject)>> {
    use crate::db::schema::{preset_permissions, user_overrides, user_presets};
    use crate::permissions::{effective, PermSet};
    use std::collections::HashMap;
    let people: Vec<(i64, String, String, String, bool, String)> = users::table
        .filter(users::status.eq(crate::users::model::ACTIVE))
        .select((users::id, users::email, users::first_name, users::last_name, users::only_owned, users::role))
        .order(users::email)
        .load(conn)?;
    let mut preset_sets: HashMap<(i64, i64), PermSet> = HashMap::new();
    for (uid, pid, key) in user_presets::table
        .inner_join(preset_permissions::table.on(preset_permissions::preset_id.eq(user_presets::preset_id)))
        .select((user_presets::user_id, user_presets::preset_id, preset_permissions::perm_key))
        .load::<(i64, i64, String)>(conn)?
    {
        if let Some(p) = crate::permissions::Perm::from_key(&key) {
            preset_sets.entry((uid, pid)).or_default().insert(p);
        }
    }
    let mut by_user: HashMap<i64, (Vec<PermSet>, PermSet, PermSet)> = HashMap::new();
    for ((uid, _), set) in preset_sets {
        by_user.entry(uid).or_default().0.push(set);
    }
    for (uid, key, granted) in user_overrides::table
        .select((user_overrides::user_id, user_overrides::perm_key, user_overrides::granted))
        .load::<(i64, String, bool)>(conn)?
    {
        if let Some(p) = crate::permissions::Perm::from_key(&key) {
            let e = by_user.entry(uid).or_default();
            if granted {
                e.1.insert(p)
            } else {
                e.2.insert(p)
            }
        }
    }
    let mut teams_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for (tid, uid) in
        team_members::table.select((team_members::team_id, team_members::user_id)).load::<(i64, i64)>(conn)?
    {
        teams_of.entry(uid).or_default().push(tid);
    }
    Ok(people
        .into_iter()
        .map(|(id, email, first, last, only_owned, role)| {
            let (presets, grants, revokes) = by_user.remove(&id).unwrap_or_default();
            let name = format!("{first} {last}").trim().to_string();
            (
                UserBrief { id, email, name },
                Subject {
                    user_id: id,
                    active: true,
                    perms: effective(&presets, grants, revokes),
                    only_owned,
                    administrator: role == Role::Administrator.as_str(),
                    teams: teams_of.remove(&id).unwrap_or_default(),
                },
            )
        })
        .collect())
}
