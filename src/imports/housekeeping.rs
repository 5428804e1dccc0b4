//! Keeps imports tidy when a user walks away: an upload nobody started within [`UPLOAD_KEPT`]
//! is closed and its file removed. (A started import is a job: `crate::jobs` runs it again if
//! its instance stopped.)
//!
//! Every instance runs the sweep at start and then every `SWEEP_EVERY_MS`
//! (`jobs::run_background`).

use super::job::{FAILED, UPLOADED};
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

/// One sweep (blocking: `jobs::run_background` calls it off the async executor).
pub fn sweep(workers: &crate::jobs::Workers) -> Result<(), crate::error::AppError> {
    let expired = expire_uploads(&mut *workers.db.get_blocking()?)?;
    if expired > 0 {
        tracing::info!(expired, "import uploads expired");
    }
    Ok(())
}
