//! A run's progress: written by the worker on a connection of its own (autocommit, so the run's
//! page sees it while the run's transaction is still open), and read back, with how the run
//! ended, for the page.

use super::execute::Watch;
use super::report::Report;
use super::spec::Spec;
use super::status;
use crate::db::schema::{bulk_run_changes, bulk_run_progress, bulk_runs};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Timestamptz};
use std::time::{Duration, Instant};

/// Progress writes at most this often (a chunk's statements come faster on small runs).
const EVERY: Duration = Duration::from_millis(200);

/// The PostgreSQL session a transaction runs in: (pid, backend start). A run whose session is
/// gone was interrupted.
pub fn backend(c: &mut PgConnection) -> QueryResult<(i32, DateTime<Utc>)> {
    #[derive(QueryableByName)]
    struct Backend {
        #[diesel(sql_type = Integer)]
        pid: i32,
        #[diesel(sql_type = Timestamptz)]
        started: DateTime<Utc>,
    }
    let b: Backend =
        crate::db::query("SELECT pid, backend_start AS started FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            .get_result(c)?;
    Ok((b.pid, b.started))
}

/// Writes a run's progress. A failed write is logged and otherwise ignored: progress informs,
/// it never stops a run.
pub struct Writer {
    conn: Conn,
    run_id: i64,
    step: String,
    last: Option<Instant>,
}

impl Writer {
    /// Starts (or, for a run taken over, restarts) the progress of `run_id`, run by `backend`.
    pub fn start(mut conn: Conn, run_id: i64, (pid, started): (i32, DateTime<Utc>)) -> Writer {
        let row = (
            bulk_run_progress::run_id.eq(run_id),
            bulk_run_progress::step.eq("Checking what you may change"),
            bulk_run_progress::processed.eq(0i64),
            bulk_run_progress::total.eq(0i64),
            bulk_run_progress::waiting_for.eq(None::<i64>),
            bulk_run_progress::backend_pid.eq(pid),
            bulk_run_progress::backend_start.eq(started),
            bulk_run_progress::started_at.eq(Utc::now()),
            bulk_run_progress::updated_at.eq(Utc::now()),
        );
        let written = diesel::insert_into(bulk_run_progress::table)
            .values(row)
            .on_conflict(bulk_run_progress::run_id)
            .do_update()
            .set(row)
            .execute(&mut conn);
        if let Err(e) = written {
            tracing::warn!(run = run_id, error = %e, "bulk run progress not written");
        }
        Writer { conn, run_id, step: String::new(), last: None }
    }

    fn write(&mut self, force: bool, f: impl FnOnce(&mut PgConnection, i64) -> QueryResult<usize>) {
        if !force && self.last.is_some_and(|t| t.elapsed() < EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        if let Err(e) = f(&mut self.conn, self.run_id) {
            tracing::warn!(run = self.run_id, error = %e, "bulk run progress not written");
        }
    }
}

impl Watch for Writer {
    fn waiting(&mut self, on: i64) {
        self.write(false, |c, id| {
            diesel::update(bulk_run_progress::table.find(id))
                .set((
                    bulk_run_progress::waiting_for.eq(Some(on)),
                    bulk_run_progress::step
                        .eq(format!("Waiting for run #{on}, which changes some of the same contacts")),
                    bulk_run_progress::updated_at.eq(Utc::now()),
                ))
                .execute(c)
        });
    }

    fn started(&mut self, total: i64) {
        self.write(true, |c, id| {
            diesel::update(bulk_run_progress::table.find(id))
                .set((
                    bulk_run_progress::waiting_for.eq(None::<i64>),
                    bulk_run_progress::total.eq(total),
                    bulk_run_progress::step.eq("Applying the actions"),
                    bulk_run_progress::updated_at.eq(Utc::now()),
                ))
                .execute(c)
        });
    }

    fn step(&mut self, done: i64, step: &str) {
        if !step.is_empty() {
            self.step = step.to_string();
        }
        let step = self.step.clone();
        self.write(false, |c, id| {
            diesel::update(bulk_run_progress::table.find(id))
                .set((
                    bulk_run_progress::processed.eq(done),
                    bulk_run_progress::step.eq(step),
                    bulk_run_progress::updated_at.eq(Utc::now()),
                ))
                .execute(c)
        });
    }
}

/// Where a run is, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Its preview is being computed, or waiting for a worker to compute it.
    Previewing,
    /// Previewed: its page is the preview, with "Execute actions".
    Previewed,
    /// Queued; no worker has started it yet.
    Waiting,
    /// Waiting for an earlier run on some of the same contacts.
    Behind(i64),
    Running,
    /// Its worker's session is gone (the instance stopped): nothing of it was applied, and a
    /// worker will take it over.
    Interrupted,
    Done,
    Changed,
    Failed,
}

/// A run for its page.
pub struct View {
    pub id: i64,
    pub phase: Phase,
    pub actions: Vec<String>,
    /// Contacts the user could change at the preview.
    pub editable_then: i64,
    /// What it did; for a preview, what it would do (with the sample).
    pub report: Report,
    /// The token that executes a preview (its own user's only).
    pub token: Option<String>,
    pub error: Option<String>,
    pub step: String,
    pub processed: i64,
    pub total: i64,
    pub queued_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Done, not an undo itself, with recorded changes to undo, and not undone yet.
    pub undoable: bool,
    /// The executed run that undid this one.
    pub undone_by: Option<i64>,
}

impl View {
    pub fn is_going(&self) -> bool {
        matches!(
            self.phase,
            Phase::Previewing | Phase::Waiting | Phase::Behind(_) | Phase::Running | Phase::Interrupted
        )
    }

    pub fn percent(&self) -> i64 {
        if self.total > 0 {
            (self.processed * 100 / self.total).clamp(0, 100)
        } else {
            0
        }
    }

    /// Seconds since it started (or between start and end).
    pub fn elapsed(&self) -> i64 {
        let Some(start) = self.started_at else { return 0 };
        (self.finished_at.unwrap_or_else(Utc::now) - start).num_seconds().max(0)
    }

    /// One line saying where the run is, for the live region.
    pub fn line(&self) -> String {
        match &self.phase {
            Phase::Previewing if self.step.is_empty() => "Preparing the preview: waiting to start.".into(),
            Phase::Previewing => format!("Preparing the preview: {} ({} s).", self.step, self.elapsed()),
            Phase::Previewed => "Preview ready.".into(),
            Phase::Waiting => "Waiting to start.".into(),
            Phase::Behind(on) => format!("Waiting for run #{on}, which changes some of the same contacts."),
            Phase::Running if self.total == 0 => format!("{} ({} s).", self.step, self.elapsed()),
            Phase::Running => format!(
                "{}: {} of {} contacts done ({}%, {} s).",
                self.step,
                self.processed,
                self.total,
                self.percent(),
                self.elapsed()
            ),
            Phase::Interrupted => {
                "The server running this stopped before it ended; nothing of it was applied. It starts again shortly."
                    .into()
            }
            Phase::Done => "Done.".into(),
            Phase::Changed => "Nothing was done: the data changed since your preview.".into(),
            Phase::Failed => "Nothing was done.".into(),
        }
    }
}

type RunRow = (
    i64,
    i64,
    String,
    String,
    Option<serde_json::Value>,
    serde_json::Value,
    i64,
    Option<serde_json::Value>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);
type ProgressRow = (String, i64, i64, Option<i64>, i32, DateTime<Utc>, DateTime<Utc>);

/// Run `run_id` for user `user_id`: theirs, or, once executed, anyone's if `any` (they may read
/// the audit log, which links every executed run). `None` otherwise.
pub fn load(c: &mut PgConnection, run_id: i64, user_id: i64, any: bool) -> QueryResult<Option<View>> {
    let run: Option<RunRow> = bulk_runs::table
        .filter(bulk_runs::id.eq(run_id))
        .filter(bulk_runs::user_id.eq(user_id).or(any.into_sql::<diesel::sql_types::Bool>()))
        .select((
            bulk_runs::id,
            bulk_runs::user_id,
            bulk_runs::status,
            bulk_runs::token,
            bulk_runs::preview,
            bulk_runs::spec,
            bulk_runs::editable_count,
            bulk_runs::report,
            bulk_runs::error,
            bulk_runs::queued_at,
            bulk_runs::finished_at,
        ))
        .first(c)
        .optional()?;
    let Some((id, owner, st, token, preview, spec, editable_then, report, error, queued_at, finished_at)) = run else {
        return Ok(None);
    };
    // A run not executed (a preview) is its user's alone: others reach runs through the audit
    // log, once executed.
    if owner != user_id && queued_at.is_none() {
        return Ok(None);
    }
    let previewed = st == status::PREVIEWED;
    let progress: Option<ProgressRow> = bulk_run_progress::table
        .find(id)
        .select((
            bulk_run_progress::step,
            bulk_run_progress::processed,
            bulk_run_progress::total,
            bulk_run_progress::waiting_for,
            bulk_run_progress::backend_pid,
            bulk_run_progress::backend_start,
            bulk_run_progress::started_at,
        ))
        .first(c)
        .optional()?;
    let phase = match (st.as_str(), &progress) {
        (status::DONE, _) => Phase::Done,
        (status::CHANGED, _) => Phase::Changed,
        (status::FAILED, _) => Phase::Failed,
        (status::PREVIEWED, _) => Phase::Previewed,
        (status::PREVIEWING, None) => Phase::Previewing,
        (_, None) => Phase::Waiting,
        (_, Some((_, _, _, waiting, pid, start, _))) => {
            if !alive(c, *pid, *start)? {
                Phase::Interrupted
            } else if st == status::PREVIEWING {
                Phase::Previewing
            } else if let Some(on) = waiting {
                Phase::Behind(*on)
            } else {
                Phase::Running
            }
        }
    };
    let (step, processed, total, started_at) =
        progress.map(|p| (p.0, p.1, p.2, Some(p.6))).unwrap_or((String::new(), 0, 0, None));
    let spec = serde_json::from_value::<Spec>(spec).ok();
    let done_here = phase == Phase::Done && spec.as_ref().is_some_and(|s| s.undo.is_none());
    let undone_by = if done_here { super::undo::undone_by(c, id)? } else { None };
    let undoable = done_here
        && undone_by.is_none()
        && diesel::select(diesel::dsl::exists(bulk_run_changes::table.filter(bulk_run_changes::run_id.eq(id))))
            .get_result(c)?;
    Ok(Some(View {
        id,
        phase,
        undoable,
        undone_by,
        actions: spec.map(|s| s.describe()).unwrap_or_default(),
        editable_then,
        report: if previewed { preview } else { report }
            .and_then(|r| serde_json::from_value(r).ok())
            .unwrap_or_default(),
        token: previewed.then_some(token),
        error,
        step,
        processed,
        total,
        queued_at,
        started_at,
        finished_at,
    }))
}

/// Whether the PostgreSQL session `pid`, started at `start`, is still there.
fn alive(c: &mut PgConnection, pid: i32, start: DateTime<Utc>) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Alive {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        alive: bool,
    }
    let a: Alive = crate::db::query(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND backend_start = $2) AS alive",
    )
    .bind::<Integer, _>(pid)
    .bind::<Timestamptz, _>(start)
    .get_result(c)?;
    Ok(a.alive)
}
