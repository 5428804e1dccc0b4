//! The background side of bulk runs. "Execute" queues a run and hands it to [`spawn`]; every
//! instance also sweeps the queue ([`run_sweeper`]), so a run is picked up by any instance,
//! and one left by a stopped instance (its transaction rolled back with it: nothing applied) is
//! taken over and run again from the start. PostgreSQL is the queue: a run is claimed by its
//! row lock (SKIP LOCKED), held by the transaction that applies it.

use super::execute::{self, Outcome};
use super::{progress, status};
use crate::db::schema::bulk_runs;
use crate::db::Db;
use crate::error::AppError;
use diesel::prelude::*;
use std::time::Duration;

/// How often every instance looks for queued runs nobody is executing.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);
pub const FAILED: &str = "The run failed and nothing of it was applied. Preview it again to retry.";

/// Executes queued run `run_id` to its end (blocking: call it off the async executor).
/// `Ok(None)`: nothing to do here (another worker holds it, or it is no longer queued).
/// A failure marks the run failed, with nothing applied, and is returned.
pub fn execute(db: &Db, run_id: i64) -> Result<Option<Outcome>, AppError> {
    let outcome = execute_claimed(db, run_id);
    if let Err(e) = &outcome {
        tracing::error!(run = run_id, error = ?e, "bulk run failed");
        let mut c = db.get_blocking()?;
        // Unless another worker has taken it up meanwhile (then it is that worker's to end).
        diesel::sql_query(
            "UPDATE bulk_runs SET status = 'failed', error = $2, finished_at = now() WHERE id = \
               (SELECT id FROM bulk_runs WHERE id = $1 AND status = 'queued' FOR NO KEY UPDATE SKIP LOCKED)",
        )
        .bind::<diesel::sql_types::BigInt, _>(run_id)
        .bind::<diesel::sql_types::Text, _>(FAILED)
        .execute(&mut c)?;
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

/// Runs `run_id` on the blocking pool, in the background.
pub fn spawn(db: Db, run_id: i64) {
    tokio::task::spawn_blocking(move || {
        if let Ok(Some(outcome)) = execute(&db, run_id) {
            let how = match outcome {
                Outcome::Done(_) => "done",
                Outcome::Changed { .. } => "changed",
                Outcome::Refused(_) => "refused",
            };
            tracing::info!(run = run_id, how, "bulk run ended");
        }
    });
}

/// Queued runs, oldest first. Some are being executed right now: [`execute`] skips those.
pub fn queued(c: &mut PgConnection) -> QueryResult<Vec<i64>> {
    bulk_runs::table
        .filter(bulk_runs::status.eq(status::QUEUED))
        .order((bulk_runs::queued_at, bulk_runs::id))
        .select(bulk_runs::id)
        .load(c)
}

/// Looks for queued runs at start and then every [`SWEEP_EVERY`], for as long as the server
/// runs, and starts each one nobody holds.
pub async fn run_sweeper(db: Db) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        match db.block(queued).await {
            Ok(Ok(ids)) => {
                for id in ids {
                    spawn(db.clone(), id);
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "bulk run sweep failed"),
            Err(e) => tracing::warn!(error = %e, "bulk run sweep did not run"),
        }
    }
}
