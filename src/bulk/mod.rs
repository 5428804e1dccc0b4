//! Bulk "Manage" (SPEC screen 7): preview, then execute exactly the previewed selection.
//!
//! A preview stores the run (its actions, the matched contacts, a hash of the set the user may
//! change). "Execute" queues it ([`queue`]); a background worker on any instance executes it
//! in one transaction ([`worker`], [`execute`]) and records how it ended on the run.

mod actions;
pub mod execute;
pub mod history;
pub mod progress;
pub mod report;
pub mod run;
pub mod spec;
pub mod status;
pub mod undo;
pub mod worker;

use crate::access::Subject;
use crate::db::schema::bulk_runs;
use chrono::Utc;
use diesel::prelude::*;
use report::{Report, SampleRow};
use run::{Mode, Selection};
use spec::Spec;

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
fn dry_run(conn: &mut PgConnection, s: &Subject, matched: &[i64], spec: &Spec) -> QueryResult<(Report, (i64, i64))> {
    let mut report = Report { matched: matched.len() as i64, ..Report::default() };
    let set = run::load_editable(conn, s, &spec.operations(), matched)?;
    report.editable = set.0;
    // Only removing an owner or a group can take a contact out of the user's sight: then the
    // preview runs the statements for real in a savepoint it rolls back, and looks.
    let may_lose_sight = spec.remove_owner.is_some() || spec.remove_group.is_some();
    if run::counts_exactly(spec) && !may_lose_sight {
        run::apply(conn, spec, Mode::Count, &mut report)?;
    } else {
        rolled_back(conn, |c| {
            run::apply(c, spec, Mode::Execute, &mut report)?;
            report.lost_sight = run::lost_sight(c, s)?;
            Ok(())
        })?;
    }
    let sample = run::sample_ids(conn, SAMPLE)?;
    let before = report::states(conn, &sample)?;
    let after = rolled_back(conn, |c| {
        run::narrow_to(c, &sample)?;
        run::apply(c, spec, Mode::Execute, &mut Report::default())?;
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
    add_no_right(&mut report);
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

fn add_no_right(report: &mut Report) {
    let no_right = report.matched - report.editable;
    if no_right > 0 {
        report.skipped.insert(0, ("you may see but not edit them (read-only or view-only access)".into(), no_right));
    }
}

/// Previews a run and stores the selection; returns the report and the token that executes it.
pub fn preview(conn: &mut PgConnection, s: &Subject, sel: &Selection, spec: &Spec) -> QueryResult<(Report, String)> {
    conn.transaction(|c| {
        let matched = run::matched_ids(c, s, sel)?;
        let (report, set) = dry_run(c, s, &matched, spec)?;
        let token = store(c, s.user_id, spec, &matched, set)?;
        Ok((report, token))
    })
}

pub enum Queued {
    /// Queued as run `id`: a worker executes it in the background ([`worker`]).
    Queued(i64),
    /// Unknown, foreign or already executed token.
    Gone,
    /// The user no longer holds the permissions the actions need (or the stored actions no
    /// longer parse): nothing was queued.
    Refused(&'static str),
}

/// "Execute actions": queues the previewed run of `token` for the background, answering at
/// once. Permissions are checked here for a prompt answer, and again by the run itself.
pub fn queue(conn: &mut PgConnection, s: &Subject, token: &str, ip: Option<String>) -> QueryResult<Queued> {
    conn.transaction(|c| {
        let row: Option<(i64, serde_json::Value)> = bulk_runs::table
            .filter(bulk_runs::token.eq(token))
            .filter(bulk_runs::user_id.eq(s.user_id))
            .filter(bulk_runs::status.eq(status::PREVIEWED))
            .select((bulk_runs::id, bulk_runs::spec))
            .for_update()
            .first(c)
            .optional()?;
        let Some((run_id, spec)) = row else { return Ok(Queued::Gone) };
        match serde_json::from_value::<Spec>(spec) {
            Err(_) => return Ok(Queued::Refused(execute::UNREADABLE)),
            Ok(spec) => {
                if let Err(why) = spec.permitted(s.perms) {
                    return Ok(Queued::Refused(why));
                }
            }
        }
        diesel::update(bulk_runs::table.find(run_id))
            .set((bulk_runs::status.eq(status::QUEUED), bulk_runs::queued_at.eq(Utc::now()), bulk_runs::ip.eq(ip)))
            .execute(c)?;
        Ok(Queued::Queued(run_id))
    })
}

/// A fresh preview of a run that found the data changed: same actions, same matched contacts.
/// `None` unless `run_id` is the user's and ended `changed`.
pub fn preview_again(conn: &mut PgConnection, s: &Subject, run_id: i64) -> QueryResult<Option<(Spec, Report, String)>> {
    conn.transaction(|c| {
        let row: Option<(serde_json::Value, Vec<i64>)> = bulk_runs::table
            .filter(bulk_runs::id.eq(run_id))
            .filter(bulk_runs::user_id.eq(s.user_id))
            .filter(bulk_runs::status.eq(status::CHANGED))
            .select((bulk_runs::spec, bulk_runs::matched))
            .first(c)
            .optional()?;
        let Some((Ok(spec), matched)) = row.map(|(sp, m)| (serde_json::from_value::<Spec>(sp), m)) else {
            return Ok(None);
        };
        let (report, set) = dry_run(c, s, &matched, &spec)?;
        let token = store(c, s.user_id, &spec, &matched, set)?;
        Ok(Some((spec, report, token)))
    })
}

/// Previews the undo of run `run_id` as a new run of `s`'s (the run must be theirs, or `s` may
/// read the audit log). `Err` says why there is nothing to preview.
pub fn preview_undo(
    conn: &mut PgConnection,
    s: &Subject,
    run_id: i64,
) -> QueryResult<Result<(Spec, Report, String), &'static str>> {
    let owner: Option<i64> = bulk_runs::table.find(run_id).select(bulk_runs::user_id).first(conn).optional()?;
    if owner.is_none_or(|o| o != s.user_id && !s.perms.contains(crate::permissions::Perm::AdministrationAuditView)) {
        return Ok(Err("There is no such run."));
    }
    let Some((spec, ids)) = undo::of_run(conn, run_id)? else {
        return Ok(Err("This run cannot be undone: it changed nothing, did not end done, or is itself an undo."));
    };
    if let Err(why) = spec.permitted(s.perms) {
        return Ok(Err(why));
    }
    let (report, token) = preview(conn, s, &Selection { ids, ..Selection::default() }, &spec)?;
    Ok(Ok((spec, report, token)))
}

/// Stores a previewed selection; returns the one-time token that executes it.
fn store(
    conn: &mut PgConnection,
    user_id: i64,
    spec: &Spec,
    matched: &[i64],
    (n, hash): (i64, i64),
) -> QueryResult<String> {
    use rand::distributions::{Alphanumeric, DistString};
    let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
    diesel::insert_into(bulk_runs::table)
        .values((
            bulk_runs::token.eq(&token),
            bulk_runs::user_id.eq(user_id),
            bulk_runs::spec.eq(serde_json::to_value(spec).unwrap_or_default()),
            bulk_runs::matched.eq(matched),
            bulk_runs::editable_count.eq(n),
            bulk_runs::editable_hash.eq(hash),
        ))
        .execute(conn)?;
    Ok(token)
}

/// One notification per owner (other than the actor) of the changed contacts. Each contact's
/// main owner and co-owners are different users (`contacts::owners`), so each branch counts its
/// own users and the counts add up (no de-duplication of 300,000 pairs for 100,000 contacts).
fn notify(conn: &mut PgConnection, actor: i64, actor_email: &str, changed: &[i64]) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notifications (user_id, contact_id, message) \
         SELECT o.user_id, CASE WHEN sum(o.n) = 1 THEN min(o.one) END, \
                $1 || ' changed ' || sum(o.n) || ' of your contacts in a bulk action' \
         FROM (SELECT c.main_owner_id AS user_id, count(*) AS n, min(c.id) AS one \
                 FROM unnest($3::bigint[]) AS b(id) JOIN contacts c ON c.id = b.id \
                 WHERE c.main_owner_id IS NOT NULL GROUP BY 1 \
               UNION ALL SELECT co.user_id, count(*), min(co.contact_id) FROM unnest($3::bigint[]) AS b(id) \
                 JOIN contact_owners co ON co.contact_id = b.id GROUP BY 1) o \
         WHERE o.user_id <> $2 GROUP BY o.user_id",
    )
    .bind::<diesel::sql_types::Text, _>(actor_email)
    .bind::<diesel::sql_types::BigInt, _>(actor)
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(changed)
    .execute(conn)
}
