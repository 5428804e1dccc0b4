//! In-app notifications for contact owners (the header's unread count, list, mark read).

use crate::db::schema::{contacts, notifications};
use crate::db::views::contact_owners;
use diesel::prelude::*;

/// Unread notifications of a user (index `notifications_unread_idx`).
pub fn unread_count(conn: &mut PgConnection, user_id: i64) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Tells every owner of a contact except `actor` that it changed (in the caller's transaction).
pub fn notify_owners(conn: &mut PgConnection, contact_id: i64, actor: i64, message: &str) -> QueryResult<usize> {
    let owners = owner_ids(conn, contact_id)?;
    let rows: Vec<_> = owners
        .into_iter()
        .filter(|u| *u != actor)
        .map(|u| {
            (
                notifications::user_id.eq(u),
                notifications::contact_id.eq(Some(contact_id)),
                notifications::message.eq(message),
            )
        })
        .collect();
    diesel::insert_into(notifications::table).values(&rows).execute(conn)
}

/// A notification as listed.
#[derive(Queryable, Debug)]
pub struct Notification {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub message: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The newest notifications of a user.
pub fn recent(conn: &mut PgConnection, user_id: i64, limit: i64) -> QueryResult<Vec<Notification>> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::created_at.desc())
        .limit(limit)
        .select((
            notifications::id,
            notifications::contact_id,
            notifications::message,
            notifications::created_at,
            notifications::read_at,
        ))
        .load(conn)
}

/// Marks one (or, with `None`, every) notification of the user as read.
pub fn mark_read(conn: &mut PgConnection, user_id: i64, id: Option<i64>) -> QueryResult<usize> {
    let mut q = diesel::update(notifications::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(notifications::id.eq(id));
    }
    q.set(notifications::read_at.eq(chrono::Utc::now())).execute(conn)
}

/// The owners of a contact who should hear about a change: main owner and co-owners.
fn owner_ids(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<i64>> {
    let main: Option<Option<i64>> = contacts::table.find(id).select(contacts::main_owner_id).first(conn).optional()?;
    let mut ids: Vec<i64> =
        contact_owners::table.filter(contact_owners::contact_id.eq(id)).select(contact_owners::user_id).load(conn)?;
    ids.extend(main.flatten());
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
