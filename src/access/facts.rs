//! Loading the facts the rules decide on, with a fixed number of queries: one per user and
//! one per contact, through the views of migration 000060_access_facts.

use super::level::Level;
use super::rules::{ContactFacts, Grant, OwnerTeam, Subject};
use crate::db::schema::users;
use crate::permissions::{effective, PermSet, Role};
use diesel::prelude::*;

/// The subject for a user id in one query; `None` when the user does not exist.
pub fn subject(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<Subject>> {
    Ok(signed_in(conn, user_id)?.map(|(_, s)| s))
}

/// The facts of one contact in one query (the `contact_facts` view); `None` when it does not
/// exist.
pub fn contact(conn: &mut PgConnection, contact_id: i64) -> QueryResult<Option<ContactFacts>> {
    Ok(contacts(conn, &[contact_id])?.pop())
}

/// (group id, group name, user id, team id, team name, level) of a grant, as stored.
type GrantRow = (i64, String, Option<i64>, Option<i64>, Option<String>, String);

fn grant((group_id, group_name, user_id, team_id, team_name, level): GrantRow) -> Grant {
    Grant { group_id, group_name, user_id, team_id, team_name, level: level.parse().unwrap_or(Level::None) }
}

/// The facts of several contacts in one query, by id (those that exist).
pub fn contacts(conn: &mut PgConnection, contact_ids: &[i64]) -> QueryResult<Vec<ContactFacts>> {
    use crate::db::views::contact_facts as f;
    type Row = (i64, Option<i64>, bool, String, String, String);
    let q = f::table
        .order(f::id)
        .select((f::id, f::main_owner_id, f::confidential, f::co_owners, f::owner_teams, f::grants))
        .into_boxed();
    // One id is compared as a scalar: PostgreSQL soon keeps one plan of that for the connection
    // (planning the view costs more than running it for one contact); a list is planned for its
    // values each time, which pays off on a long one (issue #29, BENCHMARKS.md).
    let q = match contact_ids {
        [one] => q.filter(f::id.eq(*one)),
        _ => q.filter(f::id.eq_any(contact_ids)),
    };
    let rows: Vec<Row> = q.load(conn)?;
    rows.into_iter()
        .map(|(contact_id, main_owner, confidential, co_owners, owner_teams, grants)| {
            let co_owners: Vec<(i64, bool)> = json(&co_owners)?;
            let owner_teams = json::<Vec<(i64, String, Option<i64>, i64, String)>>(&owner_teams)?
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
            let grants = json::<Vec<GrantRow>>(&grants)?.into_iter().map(grant).collect();
            Ok(ContactFacts { contact_id, main_owner, confidential, co_owners, owner_teams, grants })
        })
        .collect()
}

/// The facts a contact not yet created would have, with main owner `owner` in access groups
/// `groups` (not confidential, no co-owners): what an import decides about its new contacts.
pub fn new_contact(conn: &mut PgConnection, owner: Option<i64>, groups: &[i64]) -> QueryResult<ContactFacts> {
    use crate::db::schema::{access_groups, teams};
    use crate::db::views::{access_group_grants as g, team_members};
    let owner_teams = match owner {
        Some(o) => team_members::table
            .inner_join(teams::table)
            .inner_join(users::table)
            .filter(team_members::user_id.eq(o))
            .select((teams::id, teams::name, teams::manager_id, users::email))
            .load::<(i64, String, Option<i64>, String)>(conn)?
            .into_iter()
            .map(|(team_id, team_name, manager_id, member_email)| OwnerTeam {
                team_id,
                team_name,
                manager_id,
                member_id: o,
                member_email,
                member_is_main_owner: true,
            })
            .collect(),
        None => Vec::new(),
    };
    let grants = g::table
        .inner_join(access_groups::table)
        .left_join(teams::table.on(g::team_id.eq(teams::id.nullable())))
        .filter(g::group_id.eq_any(groups))
        .select((g::group_id, access_groups::name, g::user_id, g::team_id, teams::name.nullable(), g::level))
        .load::<GrantRow>(conn)?
        .into_iter()
        .map(grant)
        .collect();
    Ok(ContactFacts {
        contact_id: 0,
        main_owner: owner,
        confidential: false,
        co_owners: Vec::new(),
        owner_teams,
        grants,
    })
}

/// Decodes a JSON list of the `contact_facts` view.
fn json<T: serde::de::DeserializeOwned>(text: &str) -> QueryResult<T> {
    serde_json::from_str(text).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// A user and their subject, in one query (the user joined with the `subject_facts` view);
/// `None` when the user does not exist.
pub fn signed_in(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<(crate::accounts::User, Subject)>> {
    Ok(signed_in_many(conn, &[user_id])?.into_iter().next())
}

/// [`signed_in`] for several users, in one query, by id.
pub fn signed_in_many(conn: &mut PgConnection, user_ids: &[i64]) -> QueryResult<Vec<(crate::accounts::User, Subject)>> {
    use crate::db::views::subject_facts as f;
    // The user, then the subject_facts columns: preset keys, granted, revoked, teams.
    type Row = (crate::accounts::User, Vec<String>, Vec<String>, Vec<String>, Vec<i64>);
    let q = users::table
        .inner_join(f::table.on(f::id.eq(users::id)))
        .order(users::id)
        .select((crate::accounts::User::as_select(), f::preset_keys, f::granted, f::revoked, f::teams))
        .into_boxed();
    // One id as a scalar, as in `contacts`.
    let q = match user_ids {
        [one] => q.filter(users::id.eq(*one)),
        _ => q.filter(users::id.eq_any(user_ids)),
    };
    let rows: Vec<Row> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, preset_keys, granted, revoked, teams)| {
            let keys = |v: &[String]| PermSet::from_keys(v.iter().map(String::as_str));
            let subject = Subject {
                user_id: user.id,
                active: user.is_active(),
                // The union of the presets' keys is the union of the presets (permissions::effective).
                perms: effective(&[keys(&preset_keys)], keys(&granted), keys(&revoked)),
                only_owned: user.only_owned,
                export_disabled: user.disable_export,
                administrator: user.role() == Role::Administrator,
                teams,
            };
            (user, subject)
        })
        .collect())
}

/// A user as the "who can see this contact" list shows them.
#[derive(Clone, Debug)]
pub struct UserBrief {
    pub id: i64,
    pub email: String,
    pub name: String,
}

/// Every active user as a subject, by email (for "who can see this contact": the same decision
/// function, run for each user). Two queries: the active ids, then [`signed_in_many`] — the one
/// loader of a user's access facts.
pub fn all_active_subjects(conn: &mut PgConnection) -> QueryResult<Vec<(UserBrief, Subject)>> {
    let ids: Vec<i64> = users::table.filter(users::status.eq(crate::accounts::ACTIVE)).select(users::id).load(conn)?;
    let mut all: Vec<(UserBrief, Subject)> = signed_in_many(conn, &ids)?
        .into_iter()
        .map(|(u, s)| (UserBrief { id: u.id, name: u.display_name(), email: u.email }, s))
        .collect();
    all.sort_by(|a, b| a.0.email.cmp(&b.0.email));
    Ok(all)
}
