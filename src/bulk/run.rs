//! Running a bulk Manage spec on a selection with set-based SQL: one statement per action over
//! a temporary table of the selected contacts the user may edit — never a loop per contact.
//!
//! Every statement writes the rows of a `source` query. The preview counts those sources
//! instead of writing them (read-only, a fraction of the cost), and runs the real statements
//! only on its sample of ten contacts, inside a savepoint that is rolled back: its numbers and
//! its before → after sample are what "Execute" will do on unchanged data.

pub use super::actions::{counts_exactly, Mode};
use super::actions::{steps, Count};
use super::spec::Spec;
use crate::access::{filter, Level, Subject};
use crate::contacts::selection::Filters;
use crate::db::sql::{Bind, Sql};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use std::collections::BTreeMap;

/// Which contacts: the ticked rows when any, otherwise everything the list filters match.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    pub filters: Filters,
    pub ids: Vec<i64>,
}

/// An owner/tags/groups snapshot of one contact, for the before → after sample.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub main_owner: Option<String>,
    pub co_owners: Vec<String>,
    pub tags: Vec<String>,
    pub groups: Vec<String>,
}

pub struct SampleRow {
    pub id: i64,
    pub name: String,
    pub before: State,
    pub after: State,
}

impl SampleRow {
    /// Which lines of the sample differ, to highlight them: (main owner, co-owners, tags, groups).
    pub fn changed(&self) -> (bool, bool, bool, bool) {
        let (b, a) = (&self.before, &self.after);
        (b.main_owner != a.main_owner, b.co_owners != a.co_owners, b.tags != a.tags, b.groups != a.groups)
    }
}

/// What a run did (or, for a preview, would do).
#[derive(Default)]
pub struct Report {
    pub matched: i64,
    pub editable: i64,
    /// (reason, contacts) of everything left alone.
    pub skipped: Vec<(String, i64)>,
    /// (action, rows changed).
    pub changes: Vec<(String, i64)>,
    /// Distinct contacts changed.
    pub changed: i64,
    /// Their ids (after an execution; a preview only counts them).
    pub changed_ids: Vec<i64>,
    /// Changed contacts the user no longer sees once the run is done (the run removed the
    /// owner or group that gave them access): said before the run and after it.
    pub lost_sight: i64,
    pub sample: Vec<SampleRow>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> QueryResult<i64> {
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n)
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
            .push(&filter::reaches(s, Level::View))
            .push(" AND c.id = ANY(")
            .bind(Bind::I64s(sel.ids.clone()))
            .push(")");
    }
    q.push(" ORDER BY c.id");
    ids(conn, &q)
}

/// Fills the temporary table `bulk_sel` with the matched contacts on which the user may do
/// every one of `ops` now; returns (count, hash of the ids) to tell later whether that set
/// changed.
pub fn load_editable(
    conn: &mut PgConnection,
    s: &Subject,
    ops: &[crate::access::Operation],
    matched: &[i64],
) -> QueryResult<(i64, i64)> {
    diesel::sql_query("CREATE TEMP TABLE IF NOT EXISTS bulk_sel (id BIGINT PRIMARY KEY) ON COMMIT DROP")
        .execute(conn)?;
    diesel::sql_query("TRUNCATE bulk_sel").execute(conn)?;
    // A join with the unnested ids: `c.id = ANY(array of 100,000)` costs several times more.
    let mut q = Sql::new("INSERT INTO bulk_sel SELECT c.id FROM unnest(");
    q.bind(Bind::I64s(matched.to_vec()))
        .push("::bigint[]) AS m(id) JOIN contacts c ON c.id = m.id WHERE ")
        .push(&filter::permits_all(s, ops));
    q.query().execute(conn)?;
    diesel::sql_query("ANALYZE bulk_sel").execute(conn)?;
    #[derive(QueryableByName)]
    struct Agg {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = BigInt)]
        hash: i64,
    }
    // The set itself, by the first 64 bits of an MD5 of its ids in order: a different set with
    // the same count (and sum) has a different hash. (Change detection, not security.)
    let a: Agg = diesel::sql_query(
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
pub fn apply(conn: &mut PgConnection, spec: &Spec, mode: Mode, report: &mut Report) -> QueryResult<()> {
    // No key: marking a row is an append; duplicates go at the end ([`changed_ids`]).
    diesel::sql_query("CREATE TEMP TABLE IF NOT EXISTS bulk_changed (id BIGINT NOT NULL) ON COMMIT DROP")
        .execute(conn)?;
    diesel::sql_query("TRUNCATE bulk_changed").execute(conn)?;
    let steps = steps(spec, mode);
    for step in &steps {
        for tally in &step.skipped {
            let n = tally.count(conn)?;
            if n > 0 {
                report.skipped.push((tally.why.clone(), n));
            }
        }
        let mut n = 0;
        for part in &step.parts {
            n += part.run(conn, mode)?;
        }
        for part in &step.touches {
            part.run(conn, mode)?;
        }
        report.changes.push((step.label.clone(), n));
    }
    report.changed = count(conn, "SELECT count(DISTINCT id) AS n FROM bulk_changed")?;
    Ok(())
}

/// How many contacts the last executed [`apply`] changed that `s` no longer sees.
pub fn lost_sight(conn: &mut PgConnection, s: &Subject) -> QueryResult<i64> {
    count(
        conn,
        &format!(
            "SELECT count(*) AS n FROM (SELECT DISTINCT id FROM bulk_changed) ch JOIN contacts c ON c.id = ch.id \
             WHERE NOT ({})",
            filter::reaches(s, Level::View)
        ),
    )
}

/// The contacts the last [`apply`] changed (or would change), ascending.
pub fn changed_ids(conn: &mut PgConnection) -> QueryResult<Vec<i64>> {
    Ok(diesel::sql_query("SELECT DISTINCT id FROM bulk_changed ORDER BY id")
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Keeps only `keep` in `bulk_sel` (to run the actions on a sample inside a savepoint).
pub fn narrow_to(conn: &mut PgConnection, keep: &[i64]) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM bulk_sel WHERE id <> ALL($1)")
        .bind::<Array<BigInt>, _>(keep.to_vec())
        .execute(conn)?;
    // Fresh statistics, or the planner keeps planning for the whole selection.
    diesel::sql_query("ANALYZE bulk_sel").execute(conn)?;
    Ok(())
}

/// Owner/tag/group state of a few contacts (four queries).
pub fn states(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<BTreeMap<i64, (String, State)>> {
    #[derive(QueryableByName)]
    struct KV {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        v: String,
    }
    let load = |conn: &mut PgConnection, sql: &str| -> QueryResult<Vec<KV>> {
        diesel::sql_query(sql).bind::<Array<BigInt>, _>(ids.to_vec()).load(conn)
    };
    let mut out: BTreeMap<i64, (String, State)> = BTreeMap::new();
    for r in load(conn, "SELECT id, trim(first_name || ' ' || last_name || ' ' || coalesce('<' || email || '>', '')) AS v FROM contacts WHERE id = ANY($1)")? {
        out.insert(r.id, (r.v, State::default()));
    }
    for r in load(
        conn,
        "SELECT c.id, u.email AS v FROM contacts c JOIN users u ON u.id = c.main_owner_id WHERE c.id = ANY($1)",
    )? {
        if let Some(e) = out.get_mut(&r.id) {
            e.1.main_owner = Some(r.v)
        }
    }
    for r in load(conn, "SELECT o.contact_id AS id, u.email || CASE WHEN o.read_only THEN ' (read-only)' ELSE '' END AS v FROM contact_owners o JOIN users u ON u.id = o.user_id WHERE o.contact_id = ANY($1) ORDER BY 2")? {
        if let Some(e) = out.get_mut(&r.id) { e.1.co_owners.push(r.v) }
    }
    for r in load(conn, "SELECT contact_id AS id, tag AS v FROM contact_tags WHERE contact_id = ANY($1) ORDER BY tag")?
    {
        if let Some(e) = out.get_mut(&r.id) {
            e.1.tags.push(r.v)
        }
    }
    for r in load(conn, "SELECT a.contact_id AS id, g.name AS v FROM contact_access_groups a JOIN access_groups g ON g.id = a.group_id WHERE a.contact_id = ANY($1) ORDER BY g.name")? {
        if let Some(e) = out.get_mut(&r.id) { e.1.groups.push(r.v) }
    }
    Ok(out)
}

/// The first `n` contacts of `bulk_sel`.
pub fn sample_ids(conn: &mut PgConnection, n: i64) -> QueryResult<Vec<i64>> {
    Ok(diesel::sql_query(format!("SELECT id FROM bulk_sel ORDER BY id LIMIT {n}"))
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}
