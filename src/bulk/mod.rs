//! Bulk "Manage" (SPEC screen 7): preview, then execute exactly the previewed selection.
//!
//! A preview is computed by a background worker and stored on the run (its actions, the
//! matched contacts, a hash of the set the user may change, what it would do: [`preview`]).
//! "Execute" queues it ([`queue`]); a worker on any instance executes it in one transaction
//! ([`worker`], [`execute`]) and records how it ended on the run; the owners of the contacts
//! it changed are told after it commits ([`notices`]).
//!
//! A run's plan is its actions ([`actions`]) or the undo of an earlier run ([`undo`]); either
//! way a list of steps made of the same pieces ([`step`]), which [`run`] applies.
//!
//! What every run keeps true:
//! - **Exactly what was previewed.** It executes only when the set of contacts the user may
//!   change is still the previewed one (same count, same hash of ids, taken under its locks);
//!   otherwise it ends `changed` and applies nothing.
//! - **The user's own reach, now.** The user is re-checked when the run starts (active, holding
//!   the permissions the actions need), and a contact is changed only if SPEC 3 lets them do
//!   every operation of the actions on it, judged after the locks are taken.
//! - **All or nothing.** One transaction: a failure, a refusal or a stopped server leaves the
//!   contacts as they were; its record for an undo commits with it.
//! - **No deadlock, no lost write.** Contacts are locked in id order; runs on overlapping
//!   contacts go one at a time in queue order, runs on disjoint contacts side by side.
//! - **Set-based.** One statement per action over the selection (in chunks of
//!   [`execute::CHUNK`]), never a loop per contact; each editable contact is either changed
//!   or counted under exactly one reason it was left alone.
//! - **Undo restores only what is still as the run left it**, counting the rest with why.

mod actions;
pub mod execute;
pub mod history;
pub mod notices;
pub mod preview;
pub mod progress;
pub mod report;
pub mod run;
pub mod spec;
pub mod status;
mod step;
pub mod undo;
pub mod worker;

use crate::access::Subject;
use crate::db::schema::bulk_runs;
use crate::jobs::Kind;
use chrono::Utc;
use diesel::prelude::*;
use report::Report;
use spec::Spec;

/// Computing a preview ([`preview::start`] queues it).
pub static PREVIEW: Kind = Kind { name: "bulk.preview", attempt: worker::preview_job, give_up: worker::preview_failed };
/// Executing a queued run ([`queue`] queues it).
pub static EXECUTE: Kind = Kind { name: "bulk.execute", attempt: worker::execute_job, give_up: worker::execute_failed };
/// Writing the owners' notices of an executed run (its own transaction queues them).
pub static NOTICES: Kind = Kind { name: "bulk.notices", attempt: worker::notices_job, give_up: worker::notices_failed };

/// Counts what the user may see but not change as a reason of its own.
fn add_no_right(report: &mut Report) {
    let no_right = report.matched - report.editable;
    if no_right > 0 {
        report.skipped.insert(0, ("you may see but not edit them (read-only or view-only access)".into(), no_right));
    }
}

pub enum Queued {
    /// Queued as run `id`: a worker executes it in the background ([`worker`]).
    Queued(i64),
    /// Unknown, foreign or already executed token.
    Gone,
    /// The user no longer holds the permissions the actions need (or the stored actions no
    /// longer parse): nothing was queued.
    Refused(&'static str),
}

/// "Execute actions": queues the previewed run of `token` for the background, answering at
/// once. Permissions are checked here for a prompt answer, and again by the run itself.
pub fn queue(conn: &mut PgConnection, s: &Subject, token: &str, ip: Option<String>) -> QueryResult<Queued> {
    conn.transaction(|c| {
        let row: Option<(i64, serde_json::Value)> = bulk_runs::table
            .filter(bulk_runs::token.eq(token))
            .filter(bulk_runs::user_id.eq(s.user_id))
            .filter(bulk_runs::status.eq(status::PREVIEWED))
            .select((bulk_runs::id, bulk_runs::spec))
            .for_update()
            .first(c)
            .optional()?;
        let Some((run_id, spec)) = row else { return Ok(Queued::Gone) };
        match serde_json::from_value::<Spec>(spec) {
            Err(_) => return Ok(Queued::Refused(execute::UNREADABLE)),
            Ok(spec) => {
                if let Err(why) = spec.permitted(s.perms) {
                    return Ok(Queued::Refused(why));
                }
            }
        }
        diesel::update(bulk_runs::table.find(run_id))
            .set((bulk_runs::status.eq(status::QUEUED), bulk_runs::queued_at.eq(Utc::now()), bulk_runs::ip.eq(ip)))
            .execute(c)?;
        crate::jobs::enqueue(c, &EXECUTE, run_id)?;
        Ok(Queued::Queued(run_id))
    })
}
