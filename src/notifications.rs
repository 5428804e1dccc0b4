//! In-app notifications for contact owners (the header's unread count, list, mark read).

use crate::db::schema::notifications;
use diesel::prelude::*;

/// Unread notifications of a user (index `notifications_unread_idx`).
pub fn unread_count(conn: &mut PgConnection, user_id: i64) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}
