//! Bulk "Manage" (SPEC screen 7): preview, then execute exactly the previewed selection.

mod actions;
pub mod run;
pub mod spec;

use crate::access::Subject;
use crate::audit;
use crate::contacts::events::Event;
use crate::db::schema::bulk_runs;
use crate::events;
use chrono::Utc;
use diesel::prelude::*;
use run::{Mode, Report, SampleRow, Selection};
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
    let before = run::states(conn, &sample)?;
    let after = rolled_back(conn, |c| {
        run::narrow_to(c, &sample)?;
        run::apply(c, spec, Mode::Execute, &mut Report::default())?;
        run::states(c, &sample)
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

pub enum Executed {
    Done(Report),
    /// What the user may change is no longer what they previewed: nothing was done; here is a
    /// fresh preview of the same selection and its token.
    Changed {
        report: Report,
        token: String,
        before: i64,
    },
    /// Unknown, foreign or already executed token.
    Gone,
    /// The user no longer holds the permissions the actions need (or the stored actions no
    /// longer parse): nothing was done.
    Refused(&'static str),
}

/// Executes a previewed run in one transaction, re-checking access first.
pub fn execute(
    conn: &mut PgConnection,
    s: &Subject,
    token: &str,
    actor_email: &str,
    ip: Option<String>,
) -> QueryResult<Executed> {
    conn.transaction(|c| {
        let row: Option<(i64, serde_json::Value, Vec<i64>, i64, i64)> = bulk_runs::table
            .filter(bulk_runs::token.eq(token))
            .filter(bulk_runs::user_id.eq(s.user_id))
            .filter(bulk_runs::executed_at.is_null())
            .select((
                bulk_runs::id,
                bulk_runs::spec,
                bulk_runs::matched,
                bulk_runs::editable_count,
                bulk_runs::editable_hash,
            ))
            .for_update()
            .first(c)
            .optional()?;
        let Some((run_id, spec, matched, count, hash)) = row else { return Ok(Executed::Gone) };
        // A stored run whose actions no longer parse (written by another version) is refused,
        // never executed as an empty run and marked done.
        let Ok(spec) = serde_json::from_value::<Spec>(spec) else {
            return Ok(Executed::Refused("These actions can no longer be read. Nothing was done; start again."));
        };
        // The permissions as they are now, not as they were at the preview.
        if let Err(why) = spec.permitted(s.perms) {
            return Ok(Executed::Refused(why));
        }
        // Overlapping runs are serialised: the matched contacts are locked in id order (the one
        // order every run takes them in, so two runs cannot deadlock); a second run on some of
        // them waits here for the first to commit, then re-checks what it may edit. Runs on
        // disjoint contacts proceed side by side.
        diesel::sql_query("SELECT id FROM contacts WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&matched)
            .execute(c)?;
        let now = run::load_editable(c, s, &spec.operations(), &matched)?;
        if now != (count, hash) {
            diesel::update(bulk_runs::table.find(run_id)).set(bulk_runs::executed_at.eq(Utc::now())).execute(c)?;
            let (report, set) = dry_run(c, s, &matched, &spec)?;
            let token = store(c, s.user_id, &spec, &matched, set)?;
            return Ok(Executed::Changed { report, token, before: count });
        }
        let mut report = Report { matched: matched.len() as i64, editable: count, ..Report::default() };
        run::apply(c, &spec, Mode::Execute, &mut report)?;
        report.changed_ids = run::changed_ids(c)?;
        report.lost_sight = run::lost_sight(c, s)?;
        add_no_right(&mut report);
        diesel::update(bulk_runs::table.find(run_id)).set(bulk_runs::executed_at.eq(Utc::now())).execute(c)?;
        audit::Entry::new(Some(s.user_id), "contact.bulk", "bulk_run", run_id)
            .after(serde_json::json!({
                "actions": spec.describe(),
                "matched": report.matched,
                "changes": report.changes,
                "skipped": report.skipped,
                "lost_sight": report.lost_sight,
                "contact_ids": report.changed_ids,
            }))
            .ip(ip)
            .record(c)?;
        notify(c, s.user_id, actor_email, &report.changed_ids)?;
        let event = if spec.tags.is_empty() { Event::Changed } else { Event::TagsAdded(spec.tags.clone()) };
        events::after(c, Some(s.user_id), &event, &report.changed_ids)?;
        Ok(Executed::Done(report))
    })
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

/// One notification per owner (other than the actor) of the changed contacts.
fn notify(conn: &mut PgConnection, actor: i64, actor_email: &str, changed: &[i64]) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO notifications (user_id, contact_id, message) \
         SELECT o.user_id, CASE WHEN count(*) = 1 THEN min(o.id) END, \
                $1 || ' changed ' || count(*) || ' of your contacts in a bulk action' \
         FROM (SELECT c.main_owner_id AS user_id, c.id FROM unnest($3::bigint[]) AS b(id) JOIN contacts c ON c.id = b.id \
               WHERE c.main_owner_id IS NOT NULL \
               UNION SELECT co.user_id, co.contact_id FROM unnest($3::bigint[]) AS b(id) \
               JOIN contact_owners co ON co.contact_id = b.id) o \
         WHERE o.user_id <> $2 GROUP BY o.user_id",
    )
    .bind::<diesel::sql_types::Text, _>(actor_email)
    .bind::<diesel::sql_types::BigInt, _>(actor)
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(changed)
    .execute(conn)
}
