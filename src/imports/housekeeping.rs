//! Keeps imports honest when an instance stops or a user walks away:
//! - a job left `running` by an instance that died is run again (its transaction rolled back
//!   with it, so nothing of it was applied; the advisory lock in [`super::run`] tells a dead
//!   run from one still going on another instance);
//! - an upload nobody started within [`UPLOAD_KEPT`] is closed and its file removed.
//!
//! Every instance runs the sweep at start and then every `SWEEP_EVERY_MS` (`jobs::run_sweeps`).

use super::job::{FAILED, RUNNING, UPLOADED};
use crate::db::schema::{import_chunks, import_jobs};
use chrono::Utc;
use diesel::prelude::*;

/// How long an uploaded file waits for its mapping to be confirmed.
pub const UPLOAD_KEPT: chrono::TimeDelta = chrono::TimeDelta::hours(24);
pub const EXPIRED: &str =
    "The uploaded file was removed after 24 hours without being imported. Please upload it again.";

/// Closes the uploads older than [`UPLOAD_KEPT`] that never started, removing their files, in
/// one transaction. Returns how many.
pub fn expire_uploads(c: &mut PgConnection) -> QueryResult<usize> {
    c.transaction(|c| {
        let expired: Vec<i64> = diesel::update(
            import_jobs::table
                .filter(import_jobs::status.eq(UPLOADED))
                .filter(import_jobs::created_at.lt(Utc::now() - UPLOAD_KEPT)),
        )
        .set((
            import_jobs::status.eq(FAILED),
            import_jobs::error.eq(Some(EXPIRED)),
            import_jobs::finished_at.eq(Some(Utc::now())),
        ))
        .returning(import_jobs::id)
        .get_results(c)?;
        diesel::delete(import_chunks::table.filter(import_chunks::job_id.eq_any(&expired))).execute(c)?;
        Ok(expired.len())
    })
}

/// The jobs marked running. Some may be running right now elsewhere: [`super::run::execute`]
/// skips those.
pub fn running(c: &mut PgConnection) -> QueryResult<Vec<i64>> {
    import_jobs::table.filter(import_jobs::status.eq(RUNNING)).order(import_jobs::id).select(import_jobs::id).load(c)
}

/// One sweep (blocking: `jobs::run_sweeps` calls it off the async executor).
pub fn sweep(workers: &crate::jobs::Workers) -> Result<(), crate::error::AppError> {
    let db = &workers.db;
    let mut c = db.get_blocking()?;
    let expired = expire_uploads(&mut c)?;
    if expired > 0 {
        tracing::info!(expired, "import uploads expired");
    }
    let jobs = running(&mut c)?;
    drop(c);
    for id in jobs {
        // Failures are recorded on the job by execute itself.
        if let Ok(Some(counts)) = super::run::execute(db, id) {
            tracing::info!(job = id, ?counts, "interrupted import run again");
        }
    }
    Ok(())
}
