//! The bulk Manage measurements (issue #15): the 100,000-contact run and its undo, each beside
//! the bare SQL statements that make the same writes on the same tables (the floor this schema
//! allows on this machine); and the report of those and of the whole-base run ([`super::million`]).

use super::million::Million;
use super::{ms, subject, user_id, ADMIN, BULK, BULK_NEW_TAGS, BULK_TAG};
use custodian::bulk::{self, execute::Outcome, preview::Source, run::Selection, spec::Spec, Queued};
use custodian::contacts::selection::Filters;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// One round of the 100,000-contact measurement: the floor, then the run.
pub struct Round {
    pub preview: Duration,
    /// "Execute" to the report (the run committed).
    pub execute: Duration,
    /// Then the owners' notices, written by the worker after the commit.
    pub notices: Duration,
    pub floor: Duration,
    pub undo_preview: Duration,
    pub undo_execute: Duration,
    pub undo_notices: Duration,
    pub undo_floor: Duration,
}

/// Rounds of the 100,000-contact measurement: one round moves by more than the differences
/// measured (1.17× to 1.82× for the same code on one machine), so the report gives the median
/// of each time and every round's ratios.
pub const ROUNDS: usize = 3;

pub struct BulkResult {
    pub rounds: Vec<Round>,
    pub summary: String,
}

impl BulkResult {
    fn median(&self, of: impl Fn(&Round) -> Duration) -> Duration {
        let mut all: Vec<Duration> = self.rounds.iter().map(of).collect();
        all.sort();
        all.get(all.len() / 2).copied().unwrap_or_default()
    }
}

/// Writes out what the tables hold in memory and waits for it, so that a timed part does not
/// pay for the writes of the part before it (a checkpoint falling inside it).
fn settle(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.batch_execute("CHECKPOINT")?;
    Ok(())
}

/// Removes what an earlier bulk run added (so every run does the same work, and the data
/// facts are those of the generated set); returns the bulk co-owner's id.
pub fn clean(conn: &mut PgConnection) -> anyhow::Result<i64> {
    let bulk_user = user_id(conn, BULK)?;
    let t = Instant::now();
    conn.batch_execute(&format!(
        "DELETE FROM contact_owners WHERE user_id = {bulk_user}; \
         DELETE FROM contact_tags WHERE tag IN ('{}', '{}');",
        BULK_NEW_TAGS[0], BULK_NEW_TAGS[1]
    ))?;
    conn.batch_execute("VACUUM ANALYZE contact_owners_all")?;
    conn.batch_execute("VACUUM ANALYZE contact_tags")?;
    println!("bulk: cleaning up took {:.1} s (not measured)", t.elapsed().as_secs_f64());
    Ok(bulk_user)
}

/// The floor: the same rows written (and removed) by plain statements, each in one
/// transaction, with no checks, no preview, no record for an undo.
fn floor(conn: &mut PgConnection, bulk_user: i64) -> anyhow::Result<(Duration, Duration)> {
    let tags = format!("ARRAY['{}', '{}']", BULK_NEW_TAGS[0], BULK_NEW_TAGS[1]);
    let sel = format!("SELECT contact_id FROM contact_tags WHERE tag = '{BULK_TAG}'");
    settle(conn)?;
    let t = Instant::now();
    conn.batch_execute(&format!(
        "BEGIN; \
         INSERT INTO contact_owners (contact_id, user_id, read_only) SELECT contact_id, {bulk_user}, FALSE FROM ({sel}) s; \
         INSERT INTO contact_tags (contact_id, tag) SELECT contact_id, t FROM ({sel}) s CROSS JOIN unnest({tags}) t; \
         COMMIT;"
    ))?;
    let apply = t.elapsed();
    settle(conn)?;
    let t = Instant::now();
    conn.batch_execute(&format!(
        "BEGIN; \
         DELETE FROM contact_owners WHERE user_id = {bulk_user} AND contact_id IN ({sel}); \
         DELETE FROM contact_tags WHERE tag = ANY({tags}) AND contact_id IN ({sel}); \
         COMMIT;"
    ))?;
    Ok((apply, t.elapsed()))
}

fn outcome(what: &str, o: Option<Outcome>) -> String {
    match o {
        Some(Outcome::Done(r)) => format!("{what}: {:?}, {} contacts changed", r.changes, r.changed_ids.len()),
        Some(Outcome::Changed { .. }) => format!("{what} found the selection changed (nothing done)"),
        Some(Outcome::Refused(why)) => format!("{what} refused: {why}"),
        None => format!("{what}: not executed"),
    }
}

/// Queues a previewed run and executes it as the server's worker does (claimed, with its
/// progress written on a second connection, then the owners' notices); returns the time from
/// "Execute" to the report, and the notices' time after it.
fn run(
    conn: &mut PgConnection,
    db: &custodian::db::Db,
    s: &custodian::access::Subject,
    token: &str,
    what: &str,
) -> anyhow::Result<(Duration, Duration, String)> {
    let t = Instant::now();
    let Queued::Queued(run_id) = bulk::queue(conn, s, token, None)? else { anyhow::bail!("{what}: not queued") };
    let o = bulk::worker::execute(db, run_id)?;
    let took = t.elapsed();
    let t = Instant::now();
    let told = bulk::worker::deliver_notices(db, run_id)?;
    let said = format!("{}, {} owners told", outcome(what, o), told.unwrap_or(0));
    Ok((took, t.elapsed(), said))
}

/// "Add co-owner bench-bulk + 2 tags" on the contacts tagged BULK_TAG as the Administrator,
/// then its undo; the floor of each first; [`ROUNDS`] times.
pub fn hundred_thousand(conn: &mut PgConnection, url: &str) -> anyhow::Result<BulkResult> {
    let s = subject(conn, ADMIN)?;
    let db = custodian::db::Db::new(url, 4, Duration::from_secs(3));
    let mut rounds = Vec::new();
    let mut summary = String::new();
    for _ in 0..ROUNDS {
        let (round, said) = hundred_thousand_once(conn, &db, &s)?;
        rounds.push(round);
        summary = said;
    }
    Ok(BulkResult { rounds, summary })
}

fn hundred_thousand_once(
    conn: &mut PgConnection,
    db: &custodian::db::Db,
    s: &custodian::access::Subject,
) -> anyhow::Result<(Round, String)> {
    let bulk_user = clean(conn)?;
    let (floor, undo_floor) = floor(conn, bulk_user)?;
    clean(conn)?;
    let sel = Selection { filters: Filters { tag: BULK_TAG.into(), ..Filters::default() }, ids: Vec::new() };
    let spec = Spec {
        add_co_owner: Some((bulk_user, BULK.to_string(), false)),
        tags: BULK_NEW_TAGS.iter().map(|t| t.to_string()).collect(),
        ..Spec::default()
    };
    let t = Instant::now();
    let (report, token) = bulk::preview::now(conn, s, &Source::Selection(sel), &spec)?
        .map_err(|why| anyhow::anyhow!("preview: {why}"))?;
    let preview = t.elapsed();
    let mut summary =
        format!("matched {}, editable {}; preview: {:?}", report.matched, report.editable, report.changes);
    settle(conn)?;
    let (execute, notices, done) = run(conn, db, s, &token, "executed")?;
    write!(summary, "; {done}")?;
    let run_id: i64 = custodian::db::schema::bulk_runs::table
        .filter(custodian::db::schema::bulk_runs::token.eq(&token))
        .select(custodian::db::schema::bulk_runs::id)
        .first(conn)?;
    // Same state of the tables as before the floor's undo.
    conn.batch_execute("VACUUM ANALYZE contact_owners_all")?;
    conn.batch_execute("VACUUM ANALYZE contact_tags")?;
    let t = Instant::now();
    let undo = bulk::preview::undo_of(conn, s, run_id)?.map_err(|why| anyhow::anyhow!("undo preview: {why}"))?;
    let (undo_report, undo_token) = bulk::preview::now(conn, s, &Source::Undo(run_id), &undo)?
        .map_err(|why| anyhow::anyhow!("undo preview: {why}"))?;
    let undo_preview = t.elapsed();
    write!(summary, "; undo preview: {:?}", undo_report.changes)?;
    settle(conn)?;
    let (undo_execute, undo_notices, undone) = run(conn, db, s, &undo_token, "undone")?;
    write!(summary, "; {undone}")?;
    clean(conn)?;
    Ok((Round { preview, execute, notices, floor, undo_preview, undo_execute, undo_notices, undo_floor }, summary))
}

/// The report's lines for the bulk measurements.
pub fn report(out: &mut String, b: &BulkResult, m: Option<&Million>) -> std::fmt::Result {
    let ratio = |a: Duration, f: Duration| ms(a) / ms(f).max(1e-9);
    let n = b.rounds.len();
    type Of = fn(&Round) -> Duration;
    let rows: [(&str, Of, &str); 8] = [
        ("bulk Manage preview, 100,000 contacts (Administrator)", |r| r.preview, ""),
        (
            "bulk Manage run, 100,000 contacts: add co-owner + 2 tags (queued, executed by the worker), Execute to report",
            |r| r.execute,
            "≤ 1.3× floor",
        ),
        ("its owners' notices, written after it commits", |r| r.notices, ""),
        ("floor: the same writes as bare SQL", |r| r.floor, ""),
        ("undo preview of that run", |r| r.undo_preview, ""),
        ("undo of that run, Execute to report", |r| r.undo_execute, ""),
        ("its owners' notices", |r| r.undo_notices, ""),
        ("floor: the same deletes as bare SQL", |r| r.undo_floor, ""),
    ];
    for (what, of, target) in rows {
        writeln!(out, "| {what} (median of {n} rounds) | {n} | {:.0} | | | {target} |", ms(b.median(of)))?;
    }
    if let Some(m) = m {
        writeln!(
            out,
            "| bulk Manage preview, 1,000,000 contacts: set main owner: its answer | 1 | {:.0} | | | |",
            ms(m.preview_answer)
        )?;
        writeln!(out, "| that preview, ready (computed by the worker) | 1 | {:.0} | | | |", ms(m.preview))?;
        writeln!(out, "| its Execute answer (queued) | 1 | {:.1} | | | ≤ 100 ms |", ms(m.answer))?;
        writeln!(out, "| its run, Execute to report | 1 | {:.0} | | | completes |", ms(m.run))?;
        writeln!(out, "| its owners' notices, from the report until written | 1 | {:.0} | | | |", ms(m.notices))?;
        writeln!(out, "{}", m.list.row())?;
        writeln!(out, "| its undo preview: its answer | 1 | {:.0} | | | |", ms(m.undo_preview_answer))?;
        writeln!(out, "| that undo preview, ready (computed by the worker) | 1 | {:.0} | | | |", ms(m.undo_preview))?;
        writeln!(out, "| its undo | 1 | {:.0} | | | |", ms(m.undo_run))?;
        writeln!(out, "| its owners' notices | 1 | {:.0} | | | |", ms(m.undo_notices))?;
    }
    let each = |of: fn(&Round) -> (Duration, Duration)| {
        b.rounds.iter().map(|r| format!("{:.2}×", ratio(of(r).0, of(r).1))).collect::<Vec<_>>().join(", ")
    };
    writeln!(
        out,
        "\nBulk run: add co-owner `{BULK}` and tags {} and {} to the contacts tagged `{BULK_TAG}`: {}.\n\
         Run / floor, medians: {:.2}× (each round, the floor first, a checkpoint before each timed part: {}); \
         with the owners' notices written after it: {:.2}× ({}); undo / its floor: {:.2}× ({}).",
        BULK_NEW_TAGS[0],
        BULK_NEW_TAGS[1],
        b.summary,
        ratio(b.median(|r| r.execute), b.median(|r| r.floor)),
        each(|r| (r.execute, r.floor)),
        ratio(b.median(|r| r.execute + r.notices), b.median(|r| r.floor)),
        each(|r| (r.execute + r.notices, r.floor)),
        ratio(b.median(|r| r.undo_execute), b.median(|r| r.undo_floor)),
        each(|r| (r.undo_execute, r.undo_floor)),
    )?;
    if let Some(m) = m {
        writeln!(
            out,
            "\nWhole base: {}. Peak resident memory of the process holding the server (and this tool) during the run: \
             {:.0} MB (resident before it: {:.0} MB).",
            m.summary, m.peak_rss_mb, m.rss_before_mb
        )?;
    }
    Ok(())
}
