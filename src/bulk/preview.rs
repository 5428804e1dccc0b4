//! Previewing a bulk run: what it would change, counted, and shown on a sample, changing
//! nothing.
//!
//! A preview is a run of its own. "Preview" stores it as `previewing` with its actions and what
//! it matches ([`start`], [`Source`]); a worker claims it like an execution, finds the contacts
//! and computes it ([`claim`], [`compute`]), then stores it as `previewed` with its report and
//! sample, which its page shows with "Execute actions". A whole-base undo preview runs every
//! statement once in a savepoint it rolls back (minutes on a million contacts), so the request
//! only waits a moment for it and otherwise answers with the page that follows it.

use super::execute::Watch;
use super::report::{self, Report, SampleRow};
use super::run::{self, Mode, Selection};
use super::spec::Spec;
use super::{execute, status, undo};
use crate::access::Subject;
use crate::db::schema::{bulk_run_progress, bulk_runs};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// How a savepoint that must not commit ends: rolled back on purpose, or by a database error.
enum DryRun {
    RolledBack,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for DryRun {
    fn from(e: diesel::result::Error) -> Self {
        DryRun::Db(e)
    }
}

const SAMPLE: i64 = 10;

/// Previews `spec` on the editable part of `matched`, changing nothing: counts what it would
/// change and shows it on a sample by running it there inside a savepoint that is rolled back.
/// Returns the report and the editable set (count, hash).
fn dry_run(
    conn: &mut PgConnection,
    s: &Subject,
    matched: &[i64],
    spec: &Spec,
    watch: &mut dyn Watch,
) -> QueryResult<(Report, (i64, i64))> {
    let mut report = Report { matched: matched.len() as i64, ..Report::default() };
    let set = run::load_editable(conn, s, &spec.operations(), matched)?;
    report.editable = set.0;
    let mut tick = |label: &str| watch.step(0, &format!("Working out: {label}"));
    // Who loses sight of a contact is seen only by running the statements for real, in a
    // savepoint rolled back.
    if run::counts_exactly(spec) && run::hides_nothing(spec) {
        run::apply(conn, spec, Mode::Count, &mut report, &mut tick)?;
    } else {
        rolled_back(conn, |c| {
            run::apply(c, spec, Mode::Rehearse, &mut report, &mut tick)?;
            report.lost_sight = run::lost_sight(c, s)?;
            Ok(())
        })?;
    }
    watch.step(0, "Preparing the before → after sample");
    let sample = run::sample_ids(conn, SAMPLE)?;
    let before = report::states(conn, &sample)?;
    let after = rolled_back(conn, |c| {
        run::narrow_to(c, &sample)?;
        run::apply(c, spec, Mode::Rehearse, &mut Report::default(), &mut |_| ())?;
        report::states(c, &sample)
    })?;
    report.sample = before
        .into_iter()
        .map(|(id, (name, b))| SampleRow {
            id,
            name,
            after: after.get(&id).map(|a| a.1.clone()).unwrap_or_default(),
            before: b,
        })
        .collect();
    super::add_no_right(&mut report);
    Ok((report, set))
}

/// Runs `f` inside a savepoint that is always rolled back; returns what `f` returned.
fn rolled_back<R>(conn: &mut PgConnection, f: impl FnOnce(&mut PgConnection) -> QueryResult<R>) -> QueryResult<R> {
    let mut out = None;
    let outcome = conn.transaction::<(), DryRun, _>(|c| {
        out = Some(f(c)?);
        Err(DryRun::RolledBack)
    });
    match outcome {
        Err(DryRun::RolledBack) => Ok(out.expect("set before the rollback")),
        Err(DryRun::Db(e)) => Err(e),
        Ok(()) => unreachable!("the dry run always rolls back"),
    }
}

/// What a preview matches, found by the worker that computes it (so that "Preview" does no
/// work that grows with the selection).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Source {
    /// The list's filters, or the ticked rows.
    Selection(Selection),
    /// The contacts run `id` matched: it is previewed again (the data changed under it).
    Again(i64),
    /// The contacts run `id` changed: its undo is previewed.
    Undo(i64),
}

impl Source {
    /// The contacts `s` sees now of those this source names, ascending.
    fn matched(&self, c: &mut PgConnection, s: &Subject) -> QueryResult<Vec<i64>> {
        let ids = match self {
            Source::Selection(sel) => return run::matched_ids(c, s, sel),
            Source::Again(id) => bulk_runs::table.find(*id).select(bulk_runs::matched).first(c)?,
            Source::Undo(id) => undo::changed_ids(c, *id)?,
        };
        run::matched_ids(c, s, &Selection { ids, ..Selection::default() })
    }
}

/// Stores a preview of `spec` on what `source` names, for a worker to compute; returns the
/// run's id and the one-time token that will execute it.
pub fn start(conn: &mut PgConnection, user_id: i64, spec: &Spec, source: &Source) -> QueryResult<(i64, String)> {
    use rand::distributions::{Alphanumeric, DistString};
    let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
    conn.transaction(|c| {
        let id = diesel::insert_into(bulk_runs::table)
            .values((
                bulk_runs::token.eq(&token),
                bulk_runs::user_id.eq(user_id),
                bulk_runs::spec.eq(serde_json::to_value(spec).unwrap_or_default()),
                bulk_runs::source.eq(serde_json::to_value(source).ok()),
                bulk_runs::matched.eq(Vec::<i64>::new()),
                bulk_runs::editable_count.eq(0i64),
                bulk_runs::editable_hash.eq(0i64),
                bulk_runs::status.eq(status::PREVIEWING),
            ))
            .returning(bulk_runs::id)
            .get_result(c)?;
        crate::jobs::enqueue(c, &super::PREVIEW, id)?;
        Ok((id, token))
    })
}

/// A preview waiting to be computed, claimed for the caller's transaction.
#[derive(Queryable)]
pub struct Claimed {
    pub id: i64,
    user_id: i64,
    spec: serde_json::Value,
    source: Option<serde_json::Value>,
}

/// Claims preview `run_id` for this transaction (SKIP LOCKED: never waits); `None` when it is
/// not waiting to be computed or another transaction holds it.
pub fn claim(c: &mut PgConnection, run_id: i64) -> QueryResult<Option<Claimed>> {
    bulk_runs::table
        .filter(bulk_runs::id.eq(run_id))
        .filter(bulk_runs::status.eq(status::PREVIEWING))
        .select((bulk_runs::id, bulk_runs::user_id, bulk_runs::spec, bulk_runs::source))
        .for_no_key_update()
        .skip_locked()
        .first(c)
        .optional()
}

/// Computes a claimed preview with the user's authority as it is now, and stores it:
/// `previewed`, with its report and the editable set, or `failed` with the reason.
pub fn compute(c: &mut PgConnection, p: Claimed, watch: &mut dyn Watch) -> QueryResult<Result<Report, String>> {
    let id = p.id;
    let refuse = |c: &mut PgConnection, why: &str| {
        execute::end(c, id, status::FAILED, None, Some(why))?;
        Ok(Err(why.to_string()))
    };
    let (s, spec) = match execute::authority(c, p.user_id, p.spec)? {
        Ok(ok) => ok,
        Err(why) => return refuse(c, why),
    };
    let Some(source) = p.source.and_then(|v| serde_json::from_value::<Source>(v).ok()) else {
        return refuse(c, execute::UNREADABLE);
    };
    watch.step(0, "Finding the contacts");
    let matched = source.matched(c, &s)?;
    let (report, (n, hash)) = dry_run(c, &s, &matched, &spec, watch)?;
    diesel::update(bulk_runs::table.find(p.id))
        .set((
            bulk_runs::status.eq(status::PREVIEWED),
            bulk_runs::matched.eq(&matched),
            bulk_runs::editable_count.eq(n),
            bulk_runs::editable_hash.eq(hash),
            bulk_runs::preview.eq(serde_json::to_value(&report).ok()),
        ))
        .execute(c)?;
    // The preview's progress is over; the execution writes its own.
    diesel::delete(bulk_run_progress::table.find(p.id)).execute(c)?;
    Ok(Ok(report))
}

/// Previews a run at once on `conn`, in one transaction: start, claim, compute. For callers
/// with one connection and no worker (property tests, the benchmark). Returns the report and
/// the token that executes it, or why it was refused (nothing stored then).
pub fn now(
    conn: &mut PgConnection,
    s: &Subject,
    source: &Source,
    spec: &Spec,
) -> QueryResult<Result<(Report, String), String>> {
    let mut refused = None;
    let done = conn.transaction(|c| {
        let (id, token) = start(c, s.user_id, spec, source)?;
        let claimed = claim(c, id)?.ok_or(diesel::result::Error::NotFound)?;
        match compute(c, claimed, &mut ())? {
            Ok(report) => Ok((report, token)),
            Err(why) => {
                refused = Some(why);
                Err(diesel::result::Error::RollbackTransaction)
            }
        }
    });
    match (done, refused) {
        (_, Some(why)) => Ok(Err(why)),
        (done, None) => done.map(Ok),
    }
}

/// The actions of a run that found the data changed, to preview it again on the contacts it
/// matched ([`Source::Again`]). `None` unless `run_id` is the user's and ended `changed`.
pub fn again(conn: &mut PgConnection, s: &Subject, run_id: i64) -> QueryResult<Option<Spec>> {
    let spec: Option<serde_json::Value> = bulk_runs::table
        .filter(bulk_runs::id.eq(run_id))
        .filter(bulk_runs::user_id.eq(s.user_id))
        .filter(bulk_runs::status.eq(status::CHANGED))
        .select(bulk_runs::spec)
        .first(conn)
        .optional()?;
    Ok(spec.and_then(|sp| serde_json::from_value::<Spec>(sp).ok()))
}

/// The undo of run `run_id`, to preview as a new run of `s`'s on the contacts it changed
/// ([`Source::Undo`]); the run must be theirs, or `s` may read the audit log. `Err` says why
/// there is nothing to preview.
pub fn undo_of(conn: &mut PgConnection, s: &Subject, run_id: i64) -> QueryResult<Result<Spec, &'static str>> {
    let owner: Option<i64> = bulk_runs::table.find(run_id).select(bulk_runs::user_id).first(conn).optional()?;
    if owner.is_none_or(|o| o != s.user_id && !s.perms.contains(crate::permissions::Perm::AdministrationAuditView)) {
        return Ok(Err("There is no such run."));
    }
    if undo::undone_by(conn, run_id)?.is_some() {
        return Ok(Err("This run has already been undone: its page links to the undo."));
    }
    let Some(spec) = undo::of_run(conn, run_id)? else {
        return Ok(Err("This run cannot be undone: it changed nothing, did not end done, or is itself an undo."));
    };
    if let Err(why) = spec.permitted(s.perms) {
        return Ok(Err(why));
    }
    Ok(Ok(spec))
}
