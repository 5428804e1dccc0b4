//! The owner panel's operations: main owner and co-owners. Each is one atomic statement on
//! its own row, so concurrent edits by several people never lose one another's changes.

use crate::db::schema::{contact_owners, contacts, users};
use chrono::Utc;
use diesel::prelude::*;

/// A co-owner as the panel shows it.
#[derive(Queryable, Debug, Clone)]
pub struct CoOwner {
    pub user_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub read_only: bool,
}

/// Co-owners of a contact with their names (one query).
pub fn co_owners(conn: &mut PgConnection, contact_id: i64) -> QueryResult<Vec<CoOwner>> {
    contact_owners::table
        .inner_join(users::table)
        .filter(contact_owners::contact_id.eq(contact_id))
        .select((users::id, users::email, users::first_name, users::last_name, contact_owners::read_only))
        .order(users::email)
        .load(conn)
}

/// Resolves an email to an active user id.
pub fn active_user_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<i64>> {
    Ok(crate::accounts::active_by_email(conn, email)?.ok().map(|u| u.id))
}

/// Makes `user_id` the main owner (a co-ownership they had is folded into it). The main owner
/// it displaces stays a writable co-owner: nobody is removed without being removed explicitly.
/// Returns the previous main owner.
pub fn set_main_owner(conn: &mut PgConnection, contact_id: i64, user_id: i64) -> QueryResult<Option<i64>> {
    let previous: Option<i64> =
        contacts::table.find(contact_id).select(contacts::main_owner_id).for_update().first(conn)?;
    diesel::update(contacts::table.find(contact_id))
        .set((contacts::main_owner_id.eq(Some(user_id)), contacts::updated_at.eq(Utc::now())))
        .execute(conn)?;
    diesel::delete(
        contact_owners::table
            .filter(contact_owners::contact_id.eq(contact_id))
            .filter(contact_owners::user_id.eq(user_id)),
    )
    .execute(conn)?;
    if let Some(p) = previous.filter(|p| *p != user_id) {
        diesel::insert_into(contact_owners::table)
            .values((
                contact_owners::contact_id.eq(contact_id),
                contact_owners::user_id.eq(p),
                contact_owners::read_only.eq(false),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(previous)
}

/// Adds a co-owner, or updates the read-only flag of an existing one.
pub fn add_co_owner(conn: &mut PgConnection, contact_id: i64, user_id: i64, read_only: bool) -> QueryResult<()> {
    diesel::insert_into(contact_owners::table)
        .values((
            contact_owners::contact_id.eq(contact_id),
            contact_owners::user_id.eq(user_id),
            contact_owners::read_only.eq(read_only),
        ))
        .on_conflict((contact_owners::contact_id, contact_owners::user_id))
        .do_update()
        .set(contact_owners::read_only.eq(read_only))
        .execute(conn)?;
    Ok(())
}

pub fn set_read_only(conn: &mut PgConnection, contact_id: i64, user_id: i64, read_only: bool) -> QueryResult<usize> {
    diesel::update(
        contact_owners::table
            .filter(contact_owners::contact_id.eq(contact_id))
            .filter(contact_owners::user_id.eq(user_id)),
    )
    .set(contact_owners::read_only.eq(read_only))
    .execute(conn)
}

pub fn remove_co_owner(conn: &mut PgConnection, contact_id: i64, user_id: i64) -> QueryResult<usize> {
    diesel::delete(
        contact_owners::table
            .filter(contact_owners::contact_id.eq(contact_id))
            .filter(contact_owners::user_id.eq(user_id)),
    )
    .execute(conn)
}
