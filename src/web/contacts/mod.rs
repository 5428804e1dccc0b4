//! Contact screens: list, card, create/edit, owner panel, tags/groups/confidential, delete.

pub mod card;
pub mod delete;
pub mod edit;
pub mod export;
pub mod labels;
pub mod list;
pub mod manage;
pub mod owners;
pub mod runs;

use crate::access::{self, Operation, Subject};
use crate::auth::Viewer;
use crate::contacts::model;
use crate::db::Db;
use crate::error::AppError;
use diesel::PgConnection;

/// Runs one change to contact `id` that needs `op`, in one transaction: the user's access is
/// re-checked inside it, then `apply` runs; when it reports a change (`true`), the contact's
/// other owners are notified. `what` completes "<who> <what> <contact>" in their notification.
pub async fn change<T: Send + 'static>(
    viewer: &Viewer,
    db: &Db,
    id: i64,
    op: Operation,
    what: String,
    apply: impl FnOnce(&mut PgConnection, &Subject) -> Result<(T, bool), AppError> + Send + 'static,
) -> Result<T, AppError> {
    let who = viewer.access();
    db.transaction(move |c| {
        let s = who.subject();
        model::lock(c, id)?;
        access::authorize(c, &s, id, op)?;
        let (out, changed) = apply(c, &s)?;
        if changed {
            model::touch(c, id)?;
            let name = model::find(c, id)?.display_name();
            crate::notifications::notify_owners(c, id, who.id(), &format!("{} {what} “{name}”", who.user.email))?;
        }
        Ok(out)
    })
    .await
}
