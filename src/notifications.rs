//! In-app notifications for contact owners (the header's unread count, list, mark read).

use diesel::prelude::*;

/// Unread notifications of a user. The notifications table arrives with contacts; until then
/// there is nothing to count.
pub fn unread_count(_conn: &mut PgConnection, _user_id: i64) -> QueryResult<i64> {
    Ok(0)
}
