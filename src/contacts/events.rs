//! What happens after contacts are created or changed, inside the same transaction as the
//! change: live segments put matching contacts into their access groups, and automation rules
//! run. Every code path that creates or changes contacts (card, bulk, import, forms) calls
//! [`after`], so no rule is bypassed.

use diesel::prelude::*;

/// What happened to a set of contacts.
#[derive(Debug, Clone)]
pub enum Event {
    Created,
    /// Tags were added (the tags).
    TagsAdded(Vec<String>),
    /// A public form was submitted (the form id).
    FormSubmitted(i64),
    Imported,
    /// Fields, groups or owners changed.
    Changed,
}

/// Runs the follow-ups of `event` on `contact_ids`, in the caller's transaction.
/// Subscribers register here, one line each.
pub fn after(conn: &mut PgConnection, actor: Option<i64>, event: &Event, contact_ids: &[i64]) -> QueryResult<()> {
    if contact_ids.is_empty() {
        return Ok(());
    }
    crate::segments::apply_live(conn, contact_ids)?;
    crate::automation::fire(conn, actor, event, contact_ids)?;
    Ok(())
}
