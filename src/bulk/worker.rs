//! The background side of bulk runs: three kinds of job (`crate::jobs`, their
//! kinds in `bulk`). "Preview" stores a run with its `PREVIEW` job; "Execute" queues it with
//! its `EXECUTE` job; an execution that changed contacts queues its `NOTICES`, in its own transaction, and they are written
//! once it has committed. A job may be worked by any instance, and one left by a stopped
//! instance is worked again from the start (its transaction rolled back with it: nothing
//! applied). The run's own row lock (SKIP LOCKED), held by the transaction that computes or
//! applies it, keeps two workers off one run even outside the queue (tests, benchmarks).

use super::execute::{self, Outcome};
use super::{notices, preview, progress, status};
use crate::db::Db;
use crate::error::AppError;
use diesel::prelude::*;

pub const FAILED: &str = "The run failed and nothing of it was applied. Preview it again to retry.";
pub const PREVIEW_FAILED: &str = "The preview failed. Nothing was done; start again.";

/// Marks run `run_id` failed with `why` if it is still `was`, unless another worker has taken
/// it up meanwhile (then it is that worker's to end).
fn mark_failed(db: &Db, run_id: i64, was: &str, why: &str) -> Result<(), AppError> {
    let mut c = db.get_blocking()?;
    crate::db::query(
        "UPDATE bulk_runs SET status = 'failed', error = $3, finished_at = now() WHERE id = \
           (SELECT id FROM bulk_runs WHERE id = $1 AND status = $2 FOR NO KEY UPDATE SKIP LOCKED)",
    )
    .bind::<diesel::sql_types::BigInt, _>(run_id)
    .bind::<diesel::sql_types::Text, _>(was)
    .bind::<diesel::sql_types::Text, _>(why)
    .execute(&mut c)?;
    Ok(())
}

/// Executes queued run `run_id` to its end (blocking: call it off the async executor), in one
/// transaction: a failure leaves nothing applied. `Ok(None)`: nothing to do here (another
/// worker holds it, or it is no longer queued).
pub fn execute(db: &Db, run_id: i64) -> Result<Option<Outcome>, AppError> {
    let mut conn = db.get_blocking()?;
    conn.transaction(|c| {
        let Some(run) = execute::claim(c, run_id)? else { return Ok(None) };
        let mut watch = progress::Writer::start(db.get_blocking()?, run_id, progress::backend(c)?);
        Ok(Some(execute::run(c, run, execute::CHUNK, &mut watch)?))
    })
}

pub(super) fn execute_job(db: &Db, run_id: i64) -> Result<(), AppError> {
    if let Some(outcome) = execute(db, run_id)? {
        let how = match &outcome {
            Outcome::Done(_) => "done",
            Outcome::Changed { .. } => "changed",
            Outcome::Refused(_) => "refused",
        };
        tracing::info!(run = run_id, how, "bulk run ended");
    }
    Ok(())
}

pub(super) fn execute_failed(db: &Db, run_id: i64) -> Result<(), AppError> {
    mark_failed(db, run_id, status::QUEUED, FAILED)
}

/// Computes the preview of run `run_id` (blocking, like [`execute`]). `Ok(None)`: nothing to
/// do here; `Ok(Some(Err(why)))`: refused, and so marked.
pub fn preview(db: &Db, run_id: i64) -> Result<Option<Result<(), String>>, AppError> {
    let mut conn = db.get_blocking()?;
    conn.transaction(|c| {
        let Some(claimed) = preview::claim(c, run_id)? else { return Ok(None) };
        let mut watch = progress::Writer::start(db.get_blocking()?, run_id, progress::backend(c)?);
        Ok(Some(preview::compute(c, claimed, &mut watch)?.map(|_| ())))
    })
}

pub(super) fn preview_job(db: &Db, run_id: i64) -> Result<(), AppError> {
    if let Some(Err(why)) = preview(db, run_id)? {
        tracing::info!(run = run_id, why, "bulk preview refused");
    }
    Ok(())
}

pub(super) fn preview_failed(db: &Db, run_id: i64) -> Result<(), AppError> {
    mark_failed(db, run_id, status::PREVIEWING, PREVIEW_FAILED)
}

/// Writes the notices run `run_id` owes, once it has committed (blocking, like [`execute`]).
/// `Ok(None)`: none owed, or another worker is writing them.
pub fn deliver_notices(db: &Db, run_id: i64) -> Result<Option<usize>, AppError> {
    let mut c = db.get_blocking()?;
    Ok(notices::deliver(&mut c, run_id)?)
}

pub(super) fn notices_job(db: &Db, run_id: i64) -> Result<(), AppError> {
    deliver_notices(db, run_id).map(|_| ())
}

/// The run itself stays done; its notices stay owed on it (`notify_ids`), for the record.
pub(super) fn notices_failed(_: &Db, run_id: i64) -> Result<(), AppError> {
    tracing::error!(run = run_id, "the owners' notices of a bulk run could not be written");
    Ok(())
}
