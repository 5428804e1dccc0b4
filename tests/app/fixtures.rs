//! Builders for contact-access data, written straight to the test database.

use custodian::db::schema::*;
use custodian::db::views::*;
use diesel::prelude::*;

pub fn contact(c: &mut PgConnection, name: &str, owner: Option<i64>) -> i64 {
    diesel::insert_into(contacts::table)
        .values((
            contacts::first_name.eq(name),
            contacts::email.eq(format!("{}@contacts.test", name.to_lowercase().replace(' ', "."))),
            contacts::main_owner_id.eq(owner),
        ))
        .returning(contacts::id)
        .get_result(c)
        .unwrap()
}

pub fn co_owner(c: &mut PgConnection, contact: i64, user: i64, read_only: bool) {
    diesel::insert_into(contact_owners::table)
        .values((
            contact_owners::contact_id.eq(contact),
            contact_owners::user_id.eq(user),
            contact_owners::read_only.eq(read_only),
        ))
        .execute(c)
        .unwrap();
}

pub fn team(c: &mut PgConnection, name: &str, manager: Option<i64>, members: &[i64]) -> i64 {
    let id = diesel::insert_into(teams::table)
        .values((teams::name.eq(name), teams::manager_id.eq(manager)))
        .returning(teams::id)
        .get_result(c)
        .unwrap();
    for m in members {
        diesel::insert_into(team_members::table)
            .values((team_members::team_id.eq(id), team_members::user_id.eq(m)))
            .execute(c)
            .unwrap();
    }
    id
}

pub fn group(c: &mut PgConnection, name: &str) -> i64 {
    diesel::insert_into(access_groups::table)
        .values(access_groups::name.eq(name))
        .returning(access_groups::id)
        .get_result(c)
        .unwrap()
}

pub fn grant(c: &mut PgConnection, group: i64, user: Option<i64>, team: Option<i64>, level: &str) {
    diesel::insert_into(access_group_grants::table)
        .values((
            access_group_grants::group_id.eq(group),
            access_group_grants::user_id.eq(user),
            access_group_grants::team_id.eq(team),
            access_group_grants::level.eq(level),
        ))
        .execute(c)
        .unwrap();
}

pub fn in_group(c: &mut PgConnection, contact: i64, group: i64) {
    diesel::insert_into(contact_access_groups::table)
        .values((contact_access_groups::contact_id.eq(contact), contact_access_groups::group_id.eq(group)))
        .execute(c)
        .unwrap();
}

pub fn set_confidential(c: &mut PgConnection, contact: i64) {
    diesel::update(contacts::table.find(contact)).set(contacts::confidential.eq(true)).execute(c).unwrap();
}

pub fn set_only_owned(c: &mut PgConnection, user: i64) {
    diesel::update(users::table.find(user)).set(users::only_owned.eq(true)).execute(c).unwrap();
}

pub fn first_name(c: &mut PgConnection, contact: i64) -> String {
    contacts::table.find(contact).select(contacts::first_name).first(c).unwrap()
}

pub fn co_owners_of(c: &mut PgConnection, contact: i64) -> Vec<(i64, bool)> {
    contact_owners::table
        .filter(contact_owners::contact_id.eq(contact))
        .select((contact_owners::user_id, contact_owners::read_only))
        .order(contact_owners::user_id)
        .load(c)
        .unwrap()
}
