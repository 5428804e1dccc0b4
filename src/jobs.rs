//! The one way background work runs: one queue, the `jobs` table, and one runner (crates.io's
//! `crates_io_worker` is the model).
//!
//! - A job is the work of one [`Kind`] on one subject (a bulk run's preview, execution or
//!   owners' notices; an import's run), queued by [`enqueue`] in the transaction that makes
//!   the work due, so no work is ever due without its job, or queued twice.
//! - A worker claims a job by its row lock (`FOR UPDATE SKIP LOCKED`) and holds it while the
//!   kind works on its own connections: any instance may take any job, and a stopped
//!   instance's job is free again the moment its connection goes.
//! - A failed attempt is tried again after [`RETRY_AFTER`], doubling, up to [`MAX_ATTEMPTS`];
//!   after the last one, or at once when the work was refused, the kind gives up (records on its subject that it failed) and the job
//!   is removed. A kind's attempt is all or nothing (one transaction), so trying again is safe.
//! - [`Workers`]: a connection pool of their own, so background work never takes the
//!   connections page requests need, and at most a third as many tasks at once as it has
//!   connections ([`Workers::spawn`]): a job holds three (its claim, its work's transaction and
//!   its progress writer, or an import's file reader), so every running job can always get
//!   all of them.
//! - [`run_background`]: every instance, every `SWEEP_EVERY_MS` (short in tests), gives each
//!   free slot the next due job, and runs the periodic [`Sweep`]s (uploads nobody imported,
//!   the email outbox), each on the blocking pool, never two of one kind at once. A handler
//!   that has just queued a job starts it at once ([`Workers::run_now`]) rather than waiting
//!   for the next round.
//!
//! Email is the one queue of its own (`messaging::delivery`): each message is its own job
//! there, claimed and committed before it is sent, so no lock is held while a mail server
//! answers; the runner drives it as a sweep.

use crate::db::Db;
use crate::error::AppError;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Attempts at a job before its kind gives up.
pub const MAX_ATTEMPTS: i32 = 3;
/// The wait before the second attempt; it doubles for each one after.
pub const RETRY_AFTER: Duration = Duration::from_secs(10);

/// A kind of background work.
pub struct Kind {
    /// Its name in the `jobs` table.
    pub name: &'static str,
    /// One attempt at the work on subject `id` (blocking). An error is a failed attempt.
    /// Work already done, or no longer due, is not an error: it returns `Ok` and the job ends.
    pub attempt: fn(&Db, i64) -> Result<(), AppError>,
    /// After the last failed attempt: records on subject `id` that the work failed.
    pub give_up: fn(&Db, i64) -> Result<(), AppError>,
}

impl Kind {
    /// One attempt now, outside the queue, giving up at once if it fails (benchmarks and tests
    /// that drive a kind themselves). The attempt's error is returned.
    pub fn once(&self, db: &Db, id: i64) -> Result<(), AppError> {
        let tried = (self.attempt)(db, id);
        if tried.is_err() {
            (self.give_up)(db, id)?;
        }
        tried
    }
}

/// Queues the work of `kind` on `subject`, in the caller's transaction; queuing work already
/// queued does nothing.
pub fn enqueue(c: &mut PgConnection, kind: &Kind, subject: i64) -> QueryResult<()> {
    crate::db::query("INSERT INTO jobs (kind, subject_id) VALUES ($1, $2) ON CONFLICT (kind, subject_id) DO NOTHING")
        .bind::<Text, _>(kind.name)
        .bind::<BigInt, _>(subject)
        .execute(c)?;
    Ok(())
}

/// Whether a failed attempt may succeed later: the database was unavailable or busy, or
/// something broke; not when the work was refused or its subject is gone.
fn worth_retrying(e: &AppError) -> bool {
    !matches!(e, AppError::Forbidden(_) | AppError::NotFound | AppError::BadRequest(_))
}

/// How a claimed job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    Done,
    /// Failed; tried again after the backoff (the attempts made so far).
    Retrying(i32),
    /// Failed its last attempt: its kind gave up.
    GaveUp,
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    subject_id: i64,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Which job to claim.
#[derive(Clone, Copy)]
pub enum Which<'a> {
    /// The first due job of one of these kinds.
    Next(&'a [&'static Kind]),
    /// The job of this kind on this subject, if it is due.
    One(&'static Kind, i64),
}

/// Claims a due job nobody holds and works it, holding the claim until it has ended (blocking).
/// `Ok(None)`: no such job is free.
pub fn work(db: &Db, which: Which) -> Result<Option<Ran>, AppError> {
    let mut claim = db.get_blocking()?;
    claim.transaction(|c| {
        let (job, kind) = match which {
            Which::Next(kinds) => {
                let names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
                let job: Option<Claimed> = crate::db::query(
                    "SELECT id, kind, subject_id, attempts FROM jobs WHERE run_after <= now() AND kind = ANY($1) \
                     ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                )
                .bind::<Array<Text>, _>(names)
                .get_result(c)
                .optional()?;
                let Some(job) = job else { return Ok(None) };
                let Some(kind) = kinds.iter().copied().find(|k| k.name == job.kind) else { return Ok(None) };
                (job, kind)
            }
            Which::One(kind, subject) => {
                let job: Option<Claimed> = crate::db::query(
                    "SELECT id, kind, subject_id, attempts FROM jobs \
                     WHERE kind = $1 AND subject_id = $2 AND run_after <= now() FOR UPDATE SKIP LOCKED",
                )
                .bind::<Text, _>(kind.name)
                .bind::<BigInt, _>(subject)
                .get_result(c)
                .optional()?;
                let Some(job) = job else { return Ok(None) };
                (job, kind)
            }
        };
        let ran = match (kind.attempt)(db, job.subject_id) {
            Ok(()) => Ran::Done,
            // A refusal (the user may no longer do it, its subject is gone) stays one.
            Err(e) if job.attempts + 1 < MAX_ATTEMPTS && worth_retrying(&e) => {
                let attempts = job.attempts + 1;
                let wait = RETRY_AFTER * 2u32.pow(attempts as u32 - 1);
                tracing::warn!(job = kind.name, subject = job.subject_id, attempts, error = ?e, "background job failed; trying again later");
                crate::db::query(
                    "UPDATE jobs SET attempts = $2, last_error = $3, \
                       run_after = clock_timestamp() + make_interval(secs => $4) WHERE id = $1",
                )
                .bind::<BigInt, _>(job.id)
                .bind::<Integer, _>(attempts)
                .bind::<Text, _>(format!("{e:?}"))
                .bind::<diesel::sql_types::Double, _>(wait.as_secs_f64())
                .execute(c)?;
                return Ok(Some(Ran::Retrying(attempts)));
            }
            Err(e) => {
                tracing::error!(job = kind.name, subject = job.subject_id, error = ?e, "background job failed its last attempt");
                (kind.give_up)(db, job.subject_id)?;
                Ran::GaveUp
            }
        };
        crate::db::query("DELETE FROM jobs WHERE id = $1").bind::<BigInt, _>(job.id).execute(c)?;
        Ok(Some(ran))
    })
}

/// The background work's own connection pool, the slots of its tasks, and the kinds of job
/// this instance works.
#[derive(Clone)]
pub struct Workers {
    pub db: Db,
    slots: Arc<Semaphore>,
    kinds: Arc<[&'static Kind]>,
}

impl Workers {
    /// A pool of `size` connections (at least 3) whose checkouts wait up to a minute, with
    /// `size / 3` task slots, working jobs of `kinds`.
    pub fn new(url: &str, size: u32, kinds: &[&'static Kind]) -> Workers {
        let size = size.max(3);
        Workers {
            db: Db::new(url, size, Duration::from_secs(60)),
            slots: Arc::new(Semaphore::new(size as usize / 3)),
            kinds: kinds.into(),
        }
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

    /// Works the job of `kind` on `subject` now (just queued by the caller), in a slot. The
    /// handle ends when it has ended, or at once if another worker holds it.
    pub fn run_now(&self, kind: &'static Kind, subject: i64) -> tokio::task::JoinHandle<Option<()>> {
        self.spawn(move |db| log_failure(work(db, Which::One(kind, subject))))
    }
}

fn log_failure(worked: Result<Option<Ran>, AppError>) {
    if let Err(e) = worked {
        tracing::warn!(error = ?e, "background job could not be claimed or recorded");
    }
}

/// Marks a kind of sweep idle again when its run ends, even by a panic.
struct Idle(Arc<AtomicBool>);

impl Drop for Idle {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// What a periodic sweep does (blocking), on the background work's connections.
pub type SweepFn = dyn Fn(&Workers) -> Result<(), AppError> + Send + Sync;

/// Periodic work that is not a queued job: its name (for the log) and what it does.
pub struct Sweep {
    pub name: &'static str,
    pub run: Box<SweepFn>,
}

/// At start and then every `every`, for as long as the server runs: each free slot takes the
/// next due job, and each sweep runs unless its previous round is still going.
pub async fn run_background(workers: Workers, every: Duration, sweeps: Vec<Sweep>) {
    let sweeps: Vec<(Arc<Sweep>, Arc<AtomicBool>)> =
        sweeps.into_iter().map(|s| (Arc::new(s), Arc::new(AtomicBool::new(false)))).collect();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // A worker keeps taking jobs until none is due, then frees its slot.
        for _ in 0..workers.slots.available_permits() {
            let kinds = workers.kinds.clone();
            workers.spawn(move |db| loop {
                match work(db, Which::Next(&kinds)) {
                    Ok(Some(_)) => continue,
                    other => break log_failure(other),
                }
            });
        }
        for (sweep, busy) in &sweeps {
            // The previous sweep of this kind is still going.
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
