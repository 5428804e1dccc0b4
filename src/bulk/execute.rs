//! Executing a queued run, inside the one transaction that claimed it ([`claim`], then
//! [`run`]): everything it changes commits together, or nothing does — a failure, a refusal or
//! a server killed half-way leaves the contacts as they were.
//!
//! Before it changes anything the run
//! 1. re-checks the user: still active, still holding the permissions the actions need;
//! 2. waits for runs queued before it on overlapping contacts (one at a time, in queue order,
//!    so two runs never wait for each other); runs on disjoint contacts go side by side;
//! 3. locks the matched contacts in id order and checks that the set the user may change is
//!    still the previewed one (by its hash); if not, it ends `changed` with nothing applied.

use super::report::Report;
use super::run;
use super::spec::Spec;
use super::status;
use crate::access::{facts, Subject};
use crate::audit;
use crate::contacts::events::Event;
use crate::db::schema::bulk_runs;
use crate::events;
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};
use std::time::Duration;

pub const UNREADABLE: &str = "These actions can no longer be read. Nothing was done; start again.";
/// Contacts per chunk of statements (see [`run::execute_in_chunks`]): large enough that each
/// statement's fixed costs stay small, small enough that a run on the whole base reports its
/// progress every tenth.
pub const CHUNK: usize = 100_000;
/// How often a run waiting for another one looks again.
const POLL: Duration = Duration::from_millis(250);

/// What a run reports while it goes, for its page ([`super::progress::Writer`]).
pub trait Watch {
    /// Waiting for run `on`, queued earlier on some of the same contacts.
    fn waiting(&mut self, on: i64);
    /// Checks passed: applying the actions to `total` contacts.
    fn started(&mut self, total: i64);
    /// `done` contacts applied so far; now at `step` (empty: between chunks).
    fn step(&mut self, done: i64, step: &str);
}

/// Watching nothing (tests, the benchmark).
impl Watch for () {
    fn waiting(&mut self, _: i64) {}
    fn started(&mut self, _: i64) {}
    fn step(&mut self, _: i64, _: &str) {}
}

/// A queued run, claimed for the caller's transaction.
#[derive(Queryable)]
pub struct Claimed {
    pub id: i64,
    user_id: i64,
    spec: serde_json::Value,
    matched: Vec<i64>,
    /// The set the user could change at the preview: its size and hash.
    editable_count: i64,
    editable_hash: i64,
    ip: Option<String>,
}

/// How a run ended (recorded on the run as well).
pub enum Outcome {
    Done(Report),
    /// The set the user may change moved since the preview: `before` then, `now` now.
    Changed {
        before: i64,
        now: i64,
    },
    Refused(String),
}

/// Claims queued run `run_id` for this transaction: its row, locked until commit or rollback
/// (and so also released when the instance running it dies). `None` when it is not queued or
/// another transaction holds it (SKIP LOCKED: claiming never waits).
pub fn claim(c: &mut PgConnection, run_id: i64) -> QueryResult<Option<Claimed>> {
    // NO KEY: the progress rows, which reference this row, can still be written meanwhile.
    bulk_runs::table
        .filter(bulk_runs::id.eq(run_id))
        .filter(bulk_runs::status.eq(status::QUEUED))
        .select((
            bulk_runs::id,
            bulk_runs::user_id,
            bulk_runs::spec,
            bulk_runs::matched,
            bulk_runs::editable_count,
            bulk_runs::editable_hash,
            bulk_runs::ip,
        ))
        .for_no_key_update()
        .skip_locked()
        .first(c)
        .optional()
}

/// Ends the run with `status`, in the caller's transaction (a preview too, when refused).
pub(super) fn end(
    c: &mut PgConnection,
    run_id: i64,
    st: &str,
    report: Option<&Report>,
    error: Option<&str>,
) -> QueryResult<()> {
    let now = Utc::now();
    diesel::update(bulk_runs::table.find(run_id))
        .set((
            bulk_runs::status.eq(st),
            bulk_runs::finished_at.eq(now),
            bulk_runs::executed_at.eq((st == status::DONE).then_some(now)),
            bulk_runs::report.eq(report.map(|r| serde_json::to_value(r).unwrap_or_default())),
            bulk_runs::error.eq(error),
        ))
        .execute(c)?;
    Ok(())
}

/// The user's authority as it is now, not as it was when they asked, and the actions they
/// asked for; or why nothing may be done (for a preview as for an execution).
pub(super) fn authority(
    c: &mut PgConnection,
    user_id: i64,
    spec: serde_json::Value,
) -> QueryResult<Result<(Subject, Spec), &'static str>> {
    let Some(s) = facts::subject(c, user_id)?.filter(|s| s.active) else {
        return Ok(Err("Your account is no longer active. Nothing was done."));
    };
    let Ok(spec) = serde_json::from_value::<Spec>(spec) else { return Ok(Err(UNREADABLE)) };
    if let Err(why) = spec.permitted(s.perms) {
        return Ok(Err(why));
    }
    Ok(Ok((s, spec)))
}

/// Runs a claimed run to its end in the caller's transaction; `chunk` contacts at a time.
pub fn run(c: &mut PgConnection, run: Claimed, chunk: usize, watch: &mut dyn Watch) -> QueryResult<Outcome> {
    let refuse = |c: &mut PgConnection, why: &str| {
        end(c, run.id, status::FAILED, None, Some(why))?;
        Ok(Outcome::Refused(why.to_string()))
    };
    let (s, spec) = match authority(c, run.user_id, run.spec.clone())? {
        Ok(ok) => ok,
        Err(why) => return refuse(c, why),
    };
    wait_for_earlier(c, run.id, &run.matched, watch)?;
    // The matched contacts, locked, and what the user may change now, compared with the preview.
    let now = run::lock_editable(c, &s, &spec.operations(), &run.matched)?;
    let mut report = Report { matched: run.matched.len() as i64, editable: now.0, ..Report::default() };
    if now != (run.editable_count, run.editable_hash) {
        end(c, run.id, status::CHANGED, Some(&report), None)?;
        return Ok(Outcome::Changed { before: run.editable_count, now: now.0 });
    }
    watch.started(now.0);
    run::execute_in_chunks(c, &spec, chunk, &mut report, &mut |done, step| watch.step(done, step))?;
    run::record(c, run.id)?;
    report.lost_sight = run::lost_sight(c, &s)?;
    super::add_no_right(&mut report);
    watch.step(now.0, "Recording the run");
    audit::Entry::new(Some(s.user_id), "contact.bulk", "bulk_run", run.id)
        .after(serde_json::json!({
            "actions": spec.describe(),
            "matched": report.matched,
            "changes": report.changes,
            "skipped": report.skipped,
            "lost_sight": report.lost_sight,
            // Counts only: the contacts are listed, paged, from the run's page (`/contacts?run=`),
            // so the entry does not grow with the run.
            "contacts_changed": report.changed_ids.len(),
        }))
        .ip(run.ip.clone())
        .record(c)?;
    super::notices::owe(c, run.id, &report.changed_ids)?;
    watch.step(now.0, "Running the automation rules and segments these changes trigger");
    let event = if spec.tags.is_empty() { Event::Changed } else { Event::TagsAdded(spec.tags.clone()) };
    events::after(c, Some(s.user_id), &event, &report.changed_ids)?;
    end(c, run.id, status::DONE, Some(&report), None)?;
    Ok(Outcome::Done(report))
}

/// Waits until no run queued before `run_id` on some of the same contacts is still queued.
/// Which runs those are is decided once (a run queued later waits for this one instead).
fn wait_for_earlier(c: &mut PgConnection, run_id: i64, matched: &[i64], watch: &mut dyn Watch) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let earlier: Vec<i64> = crate::db::query(
        "SELECT r.id FROM bulk_runs r, bulk_runs me WHERE me.id = $1 AND r.status = 'queued' AND r.id <> me.id \
           AND (r.queued_at, r.id) < (me.queued_at, me.id) \
           AND EXISTS (SELECT 1 FROM unnest(r.matched) AS a(id) JOIN unnest($2::bigint[]) AS b(id) ON a.id = b.id) \
         ORDER BY r.id",
    )
    .bind::<BigInt, _>(run_id)
    .bind::<Array<BigInt>, _>(matched)
    .load::<Id>(c)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    if earlier.is_empty() {
        return Ok(());
    }
    loop {
        let still: Option<i64> = bulk_runs::table
            .filter(bulk_runs::id.eq_any(&earlier))
            .filter(bulk_runs::status.eq(status::QUEUED))
            .select(bulk_runs::id)
            .order(bulk_runs::id)
            .first(c)
            .optional()?;
        let Some(on) = still else { return Ok(()) };
        watch.waiting(on);
        std::thread::sleep(POLL);
    }
}

/// Executes a previewed run at once on `c`, in the caller's transaction: queue, claim, run.
/// For callers with one connection and no worker (property tests, the benchmark). The owners'
/// notices are then owed: [`super::notices::deliver`] writes them once this has committed.
pub fn now(
    c: &mut PgConnection,
    s: &Subject,
    token: &str,
    chunk: usize,
) -> QueryResult<Result<Outcome, super::Queued>> {
    c.transaction(|c| match super::queue(c, s, token, None)? {
        super::Queued::Queued(id) => {
            let claimed = claim(c, id)?.ok_or(diesel::result::Error::NotFound)?;
            Ok(Ok(run(c, claimed, chunk, &mut ())?))
        }
        other => Ok(Err(other)),
    })
}
