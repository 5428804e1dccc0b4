//! Running a bulk Manage spec on a selection with set-based SQL: one statement per action over
//! a temporary table of the selected contacts the user may edit — never a loop per contact.
//!
//! Every statement writes the rows of a `source` query. The preview counts those sources
//! instead of writing them (read-only, a fraction of the cost), and runs the real statements
//! only on its sample of ten contacts, inside a savepoint that is rolled back: its numbers and
//! its before → after sample are what "Execute" will do on unchanged data.

pub use super::actions::{counts_exactly, hides_nothing};
use super::report::Report;
use super::spec::Spec;
pub use super::step::Mode;
use super::step::{Count, Step, Tally};
use crate::access::{filter, Level, Subject};
use crate::contacts::selection::Filters;
use crate::db::sql::{sql, Bind, Sql};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};

/// Which contacts: the ticked rows when any, otherwise everything the list filters match.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    pub filters: Filters,
    pub ids: Vec<i64>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn ids(conn: &mut PgConnection, q: &Sql) -> QueryResult<Vec<i64>> {
    Ok(q.query().load::<Id>(conn)?.into_iter().map(|r| r.id).collect())
}

/// The ids of the selection the user can see (level view), ascending.
pub fn matched_ids(conn: &mut PgConnection, s: &Subject, sel: &Selection) -> QueryResult<Vec<i64>> {
    let mut q = Sql::new("SELECT c.id FROM contacts c");
    if sel.ids.is_empty() {
        q.append(&sel.filters.where_clause(s, Level::View));
    } else {
        q.push(" WHERE ")
            .append(&filter::reaches(s, Level::View))
            .push(" AND c.id = ANY(")
            .bind(Bind::I64s(sel.ids.clone()))
            .push(")");
    }
    q.push(" ORDER BY c.id");
    ids(conn, &q)
}

/// Fills the temporary table `bulk_sel` with the matched contacts on which the user may do
/// every one of `ops` now (for a preview); returns (count, hash of the ids) to tell later
/// whether that set changed.
pub fn load_editable(
    conn: &mut PgConnection,
    s: &Subject,
    ops: &[crate::access::Operation],
    matched: &[i64],
) -> QueryResult<(i64, i64)> {
    empty_sel(conn)?;
    // A join with the unnested ids: `c.id = ANY(array of 100,000)` costs several times more.
    let mut q = Sql::new("INSERT INTO bulk_sel SELECT c.id FROM unnest(");
    q.bind(Bind::I64s(matched.to_vec()))
        .push("::bigint[]) AS m(id) JOIN contacts c ON c.id = m.id WHERE ")
        .append(&filter::permits_all(s, ops));
    q.query().execute(conn)?;
    hash_sel(conn)
}

/// For an execution: locks the matched contacts in id order (the one order every run takes
/// them in, so two runs cannot deadlock) while putting them in `bulk_sel`, then keeps those on
/// which the user may do every one of `ops` — judged by a statement of its own, after the
/// lock, so that it sees whatever committed while the lock waited. Returns (count, hash), as
/// [`load_editable`] does for the preview.
pub fn lock_editable(
    conn: &mut PgConnection,
    s: &Subject,
    ops: &[crate::access::Operation],
    matched: &[i64],
) -> QueryResult<(i64, i64)> {
    empty_sel(conn)?;
    crate::db::query("INSERT INTO bulk_sel SELECT id FROM contacts WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind::<Array<BigInt>, _>(matched)
        .execute(conn)?;
    let permits = filter::permits_all(s, ops);
    // (Permitted everywhere, as for an Administrator: every locked contact stays.)
    if permits != Sql::new("TRUE") {
        sql!(
            "DELETE FROM bulk_sel s WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = s.id AND (",
            permits,
            "))"
        )
        .query()
        .execute(conn)?;
    }
    hash_sel(conn)
}

fn empty_sel(conn: &mut PgConnection) -> QueryResult<()> {
    crate::db::query("CREATE TEMP TABLE IF NOT EXISTS bulk_sel (id BIGINT PRIMARY KEY) ON COMMIT DROP")
        .execute(conn)?;
    crate::db::query("TRUNCATE bulk_sel").execute(conn)?;
    Ok(())
}

/// Fresh statistics on `bulk_sel`, and its (count, hash).
fn hash_sel(conn: &mut PgConnection) -> QueryResult<(i64, i64)> {
    crate::db::query("ANALYZE bulk_sel").execute(conn)?;
    #[derive(QueryableByName)]
    struct Agg {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = BigInt)]
        hash: i64,
    }
    // The set itself, by the first 64 bits of an MD5 of its ids in order: a different set with
    // the same count (and sum) has a different hash. (Change detection, not security.)
    let a: Agg = crate::db::query(
        "SELECT count(*) AS n, \
           ('x' || substr(md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')), 1, 16))::bit(64)::bigint AS hash \
         FROM bulk_sel",
    )
    .get_result(conn)?;
    Ok((a.n, a.hash))
}

/// Runs (or counts) `spec` on `bulk_sel`, one set-based statement per change; fills
/// `report.changes`, `report.skipped` (reasons found along the way) and `report.changed`.
/// Either way the contacts changed end up in `bulk_changed` (see [`changed_ids`]).
/// `tick(step)` is told each step as it starts.
pub fn apply(
    conn: &mut PgConnection,
    spec: &Spec,
    mode: Mode,
    report: &mut Report,
    tick: &mut dyn FnMut(&str),
) -> QueryResult<()> {
    start_changes(conn)?;
    run_steps(conn, &plan(spec, mode), mode, report, tick)?;
    finish(conn, report)
}

/// Executes `spec` on `bulk_sel` like [`apply`], `chunk` contacts at a time in ascending id
/// order, inside the caller's transaction (so still all or nothing); also keeps the ids of the
/// contacts changed in `report.changed_ids`. Every action decides each
/// contact on that contact's rows alone, so chunk by chunk does exactly what one pass does;
/// chunks keep each statement's memory and lock table bounded on a million contacts, and let
/// `tick(contacts done, step)` report progress between statements.
pub fn execute_in_chunks(
    conn: &mut PgConnection,
    spec: &Spec,
    chunk: usize,
    report: &mut Report,
    tick: &mut dyn FnMut(i64, &str),
) -> QueryResult<()> {
    start_changes(conn)?;
    let steps = plan(spec, Mode::Execute);
    let all = sample_ids(conn, i64::MAX)?;
    let mut done = 0i64;
    for part in all.chunks(chunk.max(1)) {
        if part.len() < all.len() {
            crate::db::query("TRUNCATE bulk_sel").execute(conn)?;
            crate::db::query("INSERT INTO bulk_sel SELECT unnest($1::bigint[])")
                .bind::<Array<BigInt>, _>(part)
                .execute(conn)?;
            crate::db::query("ANALYZE bulk_sel").execute(conn)?;
        }
        run_steps(conn, &steps, Mode::Execute, report, &mut |label| tick(done, label))?;
        done += part.len() as i64;
        tick(done, "");
    }
    report.skipped.retain(|(_, n)| *n > 0);
    // The ids, for the audit entry and what follows the run: their count is the report's.
    report.changed_ids = changed_ids(conn)?;
    report.changed = report.changed_ids.len() as i64;
    Ok(())
}

fn start_changes(conn: &mut PgConnection) -> QueryResult<()> {
    // No key: marking a row is an append; duplicates go at the end ([`changed_ids`]).
    crate::db::query("CREATE TEMP TABLE IF NOT EXISTS bulk_changed (id BIGINT NOT NULL) ON COMMIT DROP")
        .execute(conn)?;
    // What executed statements changed, for the run's undo ([`super::undo`], [`record`]).
    crate::db::query(
        "CREATE TEMP TABLE IF NOT EXISTS bulk_log (seq INT NOT NULL, kind TEXT NOT NULL, user_id BIGINT, \
         read_only BOOLEAN, tag TEXT, group_id BIGINT, after_user_id BIGINT, ids BIGINT[] NOT NULL, lo BIGINT NOT NULL, \
         hi BIGINT NOT NULL) ON COMMIT DROP",
    )
    .execute(conn)?;
    crate::db::query("TRUNCATE bulk_changed, bulk_log").execute(conn)?;
    Ok(())
}

/// Keeps what the last executed [`execute_in_chunks`] changed as run `run_id`'s record.
pub fn record(conn: &mut PgConnection, run_id: i64) -> QueryResult<usize> {
    crate::db::query(
        "INSERT INTO bulk_run_changes (run_id, seq, kind, user_id, read_only, tag, group_id, after_user_id, contact_ids, lo, hi) \
         SELECT $1, seq, kind, user_id, read_only, tag, group_id, after_user_id, ids, lo, hi FROM bulk_log ORDER BY seq",
    )
    .bind::<BigInt, _>(run_id)
    .execute(conn)
}

/// The steps a run takes: its actions', or those undoing an earlier run.
fn plan(spec: &Spec, mode: Mode) -> Vec<Step> {
    match &spec.undo {
        Some(undo) => super::undo::steps(undo),
        None => super::actions::steps(spec, mode),
    }
}

/// Adds `n` to the entry `key` of a (label, count) list, keeping first-seen order.
fn add(list: &mut Vec<(String, i64)>, key: &str, n: i64) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some(e) => e.1 += n,
        None => list.push((key.to_string(), n)),
    }
}

fn run_steps(
    conn: &mut PgConnection,
    steps: &[Step],
    mode: Mode,
    report: &mut Report,
    tick: &mut dyn FnMut(&str),
) -> QueryResult<()> {
    for step in steps {
        tick(&step.label);
        let mut counted = 0;
        for tally in &step.skipped {
            if let Some(n) = tally.count(conn)? {
                counted += n;
                add(&mut report.skipped, &tally.why, n);
            }
        }
        let by_contacts = step.skipped.iter().any(Tally::by_contacts);
        let (mut rows, mut contacts) = (0, 0);
        for part in &step.parts {
            let (r, c) = part.run(conn, mode, by_contacts)?;
            (rows, contacts) = (rows + r, contacts + c);
        }
        for part in &step.touches {
            part.run(conn, mode, false)?;
        }
        for tally in &step.skipped {
            if let Some(rest) = tally.rest_after(conn, (rows, contacts), counted)? {
                add(&mut report.skipped, &tally.why, rest);
            }
        }
        add(&mut report.changes, &step.label, rows);
    }
    Ok(())
}

/// Drops the reasons no contact had and counts the distinct contacts changed.
fn finish(conn: &mut PgConnection, report: &mut Report) -> QueryResult<()> {
    report.skipped.retain(|(_, n)| *n > 0);
    report.changed = crate::db::query("SELECT count(DISTINCT id) AS n FROM bulk_changed").get_result::<Count>(conn)?.n;
    Ok(())
}

/// How many contacts the last executed [`apply`] changed that `s` no longer sees.
pub fn lost_sight(conn: &mut PgConnection, s: &Subject) -> QueryResult<i64> {
    let q = crate::db::sql::sql!(
        "SELECT count(*) AS n FROM (SELECT DISTINCT id FROM bulk_changed) ch JOIN contacts c ON c.id = ch.id WHERE NOT (",
        filter::reaches(s, Level::View),
        ")"
    );
    Ok(q.query().get_result::<Count>(conn)?.n)
}

/// The contacts the last run changed, ascending.
fn changed_ids(conn: &mut PgConnection) -> QueryResult<Vec<i64>> {
    Ok(crate::db::query("SELECT DISTINCT id FROM bulk_changed ORDER BY id")
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Keeps only `keep` in `bulk_sel` (to run the actions on a sample inside a savepoint).
pub fn narrow_to(conn: &mut PgConnection, keep: &[i64]) -> QueryResult<()> {
    crate::db::query("DELETE FROM bulk_sel WHERE id <> ALL($1)")
        .bind::<Array<BigInt>, _>(keep.to_vec())
        .execute(conn)?;
    // Fresh statistics, or the planner keeps planning for the whole selection.
    crate::db::query("ANALYZE bulk_sel").execute(conn)?;
    Ok(())
}

/// The first `n` contacts of `bulk_sel`.
pub fn sample_ids(conn: &mut PgConnection, n: i64) -> QueryResult<Vec<i64>> {
    Ok(crate::db::query("SELECT id FROM bulk_sel ORDER BY id LIMIT $1")
        .bind::<BigInt, _>(n)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}
