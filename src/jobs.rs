//! The one way background work runs. Bulk runs (previews, executions, the owners' notices),
//! imports and email delivery each keep their queue in PostgreSQL, where a row is claimed with
//! `FOR UPDATE SKIP LOCKED` (so any instance may take it, and a stopped instance's work goes
//! back to the queue when its transaction dies); this module gives them what they share:
//! - [`Workers`]: a connection pool of their own, so background work never takes the
//!   connections page requests need (its checkouts wait long: work queues, it does not fail);
//! - [`run_sweeps`]: every instance, every `SWEEP_EVERY_MS` (short in tests), looks for work
//!   nobody has taken up — each kind of sweep on the blocking pool, never two of one kind at
//!   once — and hands it to the kind's own worker.
//!
//! Still to come (issue #27): one `jobs` table for all of them, with retries and backoff for
//! every kind (email delivery has them: `messaging::delivery`).

use crate::db::Db;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The background work's own connection pool.
#[derive(Clone)]
pub struct Workers(pub Db);

impl Workers {
    /// A pool of `size` connections whose checkouts wait up to a minute.
    pub fn new(url: &str, size: u32) -> Workers {
        Workers(Db::new(url, size.max(2), Duration::from_secs(60)))
    }
}

/// What a sweep does (blocking), on the background work's connections.
pub type SweepFn = dyn Fn(&Db) -> Result<(), crate::error::AppError> + Send + Sync;

/// One kind of sweep: its name (for the log) and what it does.
pub struct Sweep {
    pub name: &'static str,
    pub run: Box<SweepFn>,
}

/// Runs every sweep at start and then every `every`, for as long as the server runs.
pub async fn run_sweeps(workers: Workers, every: Duration, sweeps: Vec<Sweep>) {
    let sweeps: Vec<(Arc<Sweep>, Arc<AtomicBool>)> =
        sweeps.into_iter().map(|s| (Arc::new(s), Arc::new(AtomicBool::new(false)))).collect();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for (sweep, busy) in &sweeps {
            // The previous sweep of this kind is still going (an import it runs again, say).
            if busy.swap(true, Ordering::AcqRel) {
                continue;
            }
            let (sweep, busy, db) = (sweep.clone(), busy.clone(), workers.0.clone());
            tokio::task::spawn_blocking(move || {
                if let Err(e) = (sweep.run)(&db) {
                    tracing::warn!(sweep = sweep.name, error = %e, "background sweep failed");
                }
                busy.store(false, Ordering::Release);
            });
        }
    }
}
