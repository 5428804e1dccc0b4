//! The one way background work runs. Bulk runs (previews, executions, the owners' notices),
//! imports and email delivery each keep their queue in PostgreSQL, where a row is claimed with
//! `FOR UPDATE SKIP LOCKED` (so any instance may take it, and a stopped instance's work goes
//! back to the queue when its transaction dies); this module gives them what they share:
//! - [`Workers`]: a connection pool of their own, so background work never takes the
//!   connections page requests need, and at most half as many tasks at once as it has
//!   connections ([`Workers::spawn`]): a task may hold two (its transaction and its progress
//!   writer, or an import's file reader), so every running task can always get its second one;
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
use tokio::sync::Semaphore;

/// The background work's own connection pool, and the slots of its tasks.
#[derive(Clone)]
pub struct Workers {
    pub db: Db,
    slots: Arc<Semaphore>,
}

impl Workers {
    /// A pool of `size` connections (at least 2) whose checkouts wait up to a minute, with
    /// `size / 2` task slots.
    pub fn new(url: &str, size: u32) -> Workers {
        let size = size.max(2);
        Workers { db: Db::new(url, size, Duration::from_secs(60)), slots: Arc::new(Semaphore::new(size as usize / 2)) }
    }

    /// Runs `task` on the blocking pool once a slot is free (slots are handed out in the order
    /// asked for). The handle gives its result, or `None` if it panicked.
    pub fn spawn<T: Send + 'static>(
        &self,
        task: impl FnOnce(&Db) -> T + Send + 'static,
    ) -> tokio::task::JoinHandle<Option<T>> {
        let (slots, db) = (self.slots.clone(), self.db.clone());
        tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.ok()?;
            tokio::task::spawn_blocking(move || task(&db)).await.ok()
        })
    }
}

/// Marks a kind of sweep idle again when its run ends, even by a panic.
struct Idle(Arc<AtomicBool>);

impl Drop for Idle {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// What a sweep does (blocking), on the background work's connections.
pub type SweepFn = dyn Fn(&Workers) -> Result<(), crate::error::AppError> + Send + Sync;

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
            let (sweep, idle, w) = (sweep.clone(), Idle(busy.clone()), workers.clone());
            workers.spawn(move |_| {
                let _idle = idle;
                if let Err(e) = (sweep.run)(&w) {
                    tracing::warn!(sweep = sweep.name, error = %e, "background sweep failed");
                }
            });
        }
    }
}
