//! What happens after contacts are created or changed, inside the same transaction as the
//! change: live segments put matching contacts into their access groups, and automation rules
//! run. Every code path that creates or changes contacts (card, bulk, import, forms) calls
//! [`after`], so no rule is bypassed. Events flow one way: the subscribers return what they
//! changed and this dispatcher hands it on; none calls back here.

use crate::contacts::events::Event;
use diesel::prelude::*;

/// Runs the follow-ups of `event` on `contact_ids`, in the caller's transaction.
/// Subscribers register here, one line each.
pub fn after(conn: &mut PgConnection, actor: Option<i64>, event: &Event, contact_ids: &[i64]) -> QueryResult<()> {
    after_on_behalf(conn, actor, None, event, contact_ids)
}

/// [`after`] for a change whose authority the rules it fires inherit along their chain:
/// `authority` is who stands behind it (a public form's last saver, an import's importer), and
/// an access action of a rule applies only where they too could have made it by hand.
pub fn after_on_behalf(
    conn: &mut PgConnection,
    actor: Option<i64>,
    authority: Option<i64>,
    event: &Event,
    contact_ids: &[i64],
) -> QueryResult<()> {
    if contact_ids.is_empty() {
        return Ok(());
    }
    crate::segments::apply_live(conn, contact_ids)?;
    // What the rules changed, segments see too (rules ignore `Changed`: nothing loops back).
    let changed = crate::automation::fire(conn, actor, authority, event, contact_ids)?;
    if !changed.is_empty() {
        crate::segments::apply_live(conn, &changed)?;
    }
    Ok(())
}
