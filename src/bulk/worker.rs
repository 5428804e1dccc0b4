//! The background side of bulk runs. "Preview" stores a run to preview and hands it to
//! [`spawn_preview`]; "Execute" queues it and hands it to [`spawn`], with the background
//! work's own connections (`jobs::Workers`). Every instance also sweeps for both ([`sweep`]), so a run is picked up by any instance, and one left by a stopped
//! instance (its transaction rolled back with it: nothing applied) is taken over and done
//! again from the start. PostgreSQL is the queue: a run is claimed by its row lock (SKIP
//! LOCKED), held by the transaction that computes or applies it. Once a run has committed, the
//! same worker writes the owners' notices it owes ([`deliver_notices`]); the sweep writes those
//! a stopped instance left.

use super::execute::{self, Outcome};
use super::{notices, preview, progress, status};
use crate::db::schema::bulk_runs;
use crate::db::Db;
use crate::error::AppError;
use crate::jobs::Workers;
use diesel::prelude::*;

pub const FAILED: &str = "The run failed and nothing of it was applied. Preview it again to retry.";
pub const PREVIEW_FAILED: &str = "The preview failed. Nothing was done; start again.";

/// Marks run `run_id` failed with `why` if it is still `was`, unless another worker has taken
/// it up meanwhile (then it is that worker's to end).
fn mark_failed(db: &Db, run_id: i64, was: &str, why: &str) -> Result<(), AppError> {
    let mut c = db.get_blocking()?;
    diesel::sql_query(
        "UPDATE bulk_runs SET status = 'failed', error = $3, finished_at = now() WHERE id = \
           (SELECT id FROM bulk_runs WHERE id = $1 AND status = $2 FOR NO KEY UPDATE SKIP LOCKED)",
    )
    .bind::<diesel::sql_types::BigInt, _>(run_id)
    .bind::<diesel::sql_types::Text, _>(was)
    .bind::<diesel::sql_types::Text, _>(why)
    .execute(&mut c)?;
    Ok(())
}

/// Executes queued run `run_id` to its end (blocking: call it off the async executor).
/// `Ok(None)`: nothing to do here (another worker holds it, or it is no longer queued).
/// A failure marks the run failed, with nothing applied, and is returned.
pub fn execute(db: &Db, run_id: i64) -> Result<Option<Outcome>, AppError> {
    let outcome = execute_claimed(db, run_id);
    if let Err(e) = &outcome {
        tracing::error!(run = run_id, error = ?e, "bulk run failed");
        mark_failed(db, run_id, status::QUEUED, FAILED)?;
    }
    outcome
}

/// Computes the preview of run `run_id` (blocking, like [`execute`]). `Ok(None)`: nothing to
/// do here; `Ok(Some(Err(why)))`: refused, and so marked. A failure marks it failed.
pub fn preview(db: &Db, run_id: i64) -> Result<Option<Result<(), String>>, AppError> {
    let outcome = (|| -> Result<_, AppError> {
        let mut conn = db.get_blocking()?;
        conn.transaction(|c| {
            let Some(claimed) = preview::claim(c, run_id)? else { return Ok(None) };
            let mut watch = progress::Writer::start(db.get_blocking()?, run_id, progress::backend(c)?);
            Ok(Some(preview::compute(c, claimed, &mut watch)?.map(|_| ())))
        })
    })();
    if let Err(e) = &outcome {
        tracing::error!(run = run_id, error = ?e, "bulk preview failed");
        mark_failed(db, run_id, status::PREVIEWING, PREVIEW_FAILED)?;
    }
    outcome
}

fn execute_claimed(db: &Db, run_id: i64) -> Result<Option<Outcome>, AppError> {
    let mut conn = db.get_blocking()?;
    conn.transaction(|c| {
        let Some(run) = execute::claim(c, run_id)? else { return Ok(None) };
        let mut watch = progress::Writer::start(db.get_blocking()?, run_id, progress::backend(c)?);
        Ok(Some(execute::run(c, run, execute::CHUNK, &mut watch)?))
    })
}

/// Writes the owners' notices run `run_id` owes, once it has committed (blocking, like
/// [`execute`]). `Ok(None)`: none owed, or another worker is writing them. A failure leaves
/// them owed, for the sweep; the run itself stays done.
pub fn deliver_notices(db: &Db, run_id: i64) -> Result<Option<usize>, AppError> {
    let mut c = db.get_blocking()?;
    let told = notices::deliver(&mut c, run_id);
    if let Err(e) = &told {
        tracing::warn!(run = run_id, error = ?e, "bulk run notices not written yet");
    }
    Ok(told?)
}

/// Runs `run_id` in the background (a slot of `workers`), then tells the owners.
pub fn spawn(workers: &Workers, run_id: i64) {
    workers.spawn(move |db| {
        if let Ok(Some(outcome)) = execute(db, run_id) {
            let how = match &outcome {
                Outcome::Done(_) => "done",
                Outcome::Changed { .. } => "changed",
                Outcome::Refused(_) => "refused",
            };
            tracing::info!(run = run_id, how, "bulk run ended");
            if matches!(outcome, Outcome::Done(_)) {
                let _ = deliver_notices(db, run_id);
            }
        }
    });
}

/// Writes the notices run `run_id` owes, in the background.
fn spawn_notices(workers: &Workers, run_id: i64) {
    workers.spawn(move |db| {
        let _ = deliver_notices(db, run_id);
    });
}

/// Computes preview `run_id` in the background; the handle ends when it is stored (or failed,
/// or was not this worker's to compute).
pub fn spawn_preview(workers: &Workers, run_id: i64) -> tokio::task::JoinHandle<Option<()>> {
    workers.spawn(move |db| {
        if let Ok(Some(Err(why))) = preview(db, run_id) {
            tracing::info!(run = run_id, why, "bulk preview refused");
        }
    })
}

/// What the sweep finds to do.
pub struct Waiting {
    /// Queued runs, oldest first.
    pub queued: Vec<i64>,
    /// Runs waiting for their preview.
    pub previewing: Vec<i64>,
    /// Executed runs whose notices are still to be written.
    pub owing: Vec<i64>,
}

/// Queued runs, runs waiting for their preview, runs owing notices. Some are being worked on
/// right now: [`execute`], [`preview`] and [`deliver_notices`] skip those.
pub fn waiting(c: &mut PgConnection) -> QueryResult<Waiting> {
    let queued = bulk_runs::table
        .filter(bulk_runs::status.eq(status::QUEUED))
        .order((bulk_runs::queued_at, bulk_runs::id))
        .select(bulk_runs::id)
        .load(c)?;
    let previewing = bulk_runs::table
        .filter(bulk_runs::status.eq(status::PREVIEWING))
        .order(bulk_runs::id)
        .select(bulk_runs::id)
        .load(c)?;
    Ok(Waiting { queued, previewing, owing: notices::owed(c)? })
}

/// Looks for waiting runs, previews and notices (`jobs::run_sweeps` calls it on every instance)
/// and starts each one, in the background; those somebody holds skip themselves.
pub fn sweep(workers: &Workers) -> Result<(), AppError> {
    let mut c = workers.db.get_blocking()?;
    let w = waiting(&mut c)?;
    drop(c);
    for id in w.previewing {
        spawn_preview(workers, id);
    }
    for id in w.queued {
        spawn(workers, id);
    }
    for id in w.owing {
        spawn_notices(workers, id);
    }
    Ok(())
}
