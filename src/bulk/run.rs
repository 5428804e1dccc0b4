//! Running a bulk Manage spec on a selection with set-based SQL: one statement per action over
//! a temporary table of the selected contacts the user may edit — never a loop per contact.
//!
//! Every statement writes the rows of a `source` query. The preview counts those sources
//! instead of writing them (read-only, a fraction of the cost), and runs the real statements
//! only on its sample of ten contacts, inside a savepoint that is rolled back: its numbers and
//! its before → after sample are what "Execute" will do on unchanged data.

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
    pub sample: Vec<SampleRow>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
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

/// Fills the temporary table `bulk_sel` with the matched contacts the user may edit now;
/// returns (count, sum of ids) to tell later whether that set changed.
pub fn load_editable(conn: &mut PgConnection, s: &Subject, matched: &[i64]) -> QueryResult<(i64, i64)> {
    diesel::sql_query("CREATE TEMP TABLE IF NOT EXISTS bulk_sel (id BIGINT PRIMARY KEY) ON COMMIT DROP")
        .execute(conn)?;
    diesel::sql_query("TRUNCATE bulk_sel").execute(conn)?;
    // A join with the unnested ids: `c.id = ANY(array of 100,000)` costs several times more.
    let mut q = Sql::new("INSERT INTO bulk_sel SELECT c.id FROM unnest(");
    q.bind(Bind::I64s(matched.to_vec()))
        .push("::bigint[]) AS m(id) JOIN contacts c ON c.id = m.id WHERE ")
        .push(&filter::reaches(s, Level::Edit));
    q.query().execute(conn)?;
    diesel::sql_query("ANALYZE bulk_sel").execute(conn)?;
    #[derive(QueryableByName)]
    struct Agg {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = BigInt)]
        total: i64,
    }
    let a: Agg = diesel::sql_query("SELECT count(*) AS n, coalesce(sum(id), 0)::bigint AS total FROM bulk_sel")
        .get_result(conn)?;
    Ok((a.n, a.total))
}

/// How [`apply`] runs the actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Change the data.
    Execute,
    /// Change nothing: count, with the queries `Execute` writes from, what it would change.
    /// Exact for any spec that [`counts_exactly`] accepts, on unchanged data.
    Count,
}

/// Whether [`Mode::Count`] gives exactly what [`Mode::Execute`] would do for `spec`. Each
/// action's rows are counted on the data as it is, except that "add co-owner" sees the main
/// owner "set main owner" gives; "remove owner" after another owner action depends on rows
/// those actions write, so such a spec is previewed by running it in a rolled-back savepoint.
pub fn counts_exactly(spec: &Spec) -> bool {
    spec.remove_owner.is_none() || (spec.set_main_owner.is_none() && spec.add_co_owner.is_none())
}

/// Rows one statement writes. `source` selects them from `bulk_sel` (its column `id` is the
/// contact); `write` is the statement that writes exactly those rows, returning the contact as
/// `id`. Counting reads `source`; executing runs `write`.
struct Part {
    source: String,
    write: String,
    /// Bound as `$1 text[]` when set (the tags).
    tags: Option<Vec<String>>,
}

impl Part {
    fn new(source: String, write: impl FnOnce(&str) -> String) -> Part {
        let write = write(&source);
        Part { source, write, tags: None }
    }

    /// Writes (or, counting, reads) the rows; marks their contacts in `bulk_changed`; returns
    /// how many rows.
    fn run(&self, conn: &mut PgConnection, mode: Mode) -> QueryResult<i64> {
        let rows = match mode {
            Mode::Count => &self.source,
            Mode::Execute => &self.write,
        };
        let q = diesel::sql_query(format!(
            "WITH ch AS ({rows}), mark AS (INSERT INTO bulk_changed SELECT id FROM ch) SELECT count(*) AS n FROM ch"
        ));
        Ok(match &self.tags {
            Some(t) => q.bind::<Array<Text>, _>(t.clone()).get_result::<Count>(conn)?.n,
            None => q.get_result::<Count>(conn)?.n,
        })
    }
}

/// One action: its label, the contacts it skips and why, the parts whose rows it counts as its
/// changes, and parts that touch contacts without counting as changes of their own.
struct Step {
    label: String,
    skipped: Option<(String, String)>,
    parts: Vec<Part>,
    touches: Vec<Part>,
}

/// The steps of `spec`, in the order they run. `mode` matters only where one action reads what
/// an earlier one writes: counted, "add co-owner" sees the main owner "set main owner" sets.
fn steps(spec: &Spec, mode: Mode) -> Vec<Step> {
    let sel = "FROM bulk_sel s JOIN contacts c ON c.id = s.id";
    let mut out = Vec::new();
    if let Some((u, email)) = &spec.set_main_owner {
        // Nobody is silently removed: the main owner it displaces stays a (writable) co-owner
        // (runs first, while the old main owner is still on the row).
        out.push(Step {
            label: "Displaced main owners kept as co-owners".into(),
            skipped: None,
            parts: vec![Part::new(
                format!(
                    "SELECT c.id {sel} WHERE c.main_owner_id IS NOT NULL AND c.main_owner_id <> {u} AND NOT EXISTS \
                     (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = c.main_owner_id)"
                ),
                |src| {
                    format!(
                        "INSERT INTO contact_owners (contact_id, user_id, read_only) \
                         SELECT c.id, c.main_owner_id, FALSE FROM contacts c WHERE c.id IN ({src}) \
                         ON CONFLICT (contact_id, user_id) DO NOTHING RETURNING contact_id AS id"
                    )
                },
            )],
            touches: vec![],
        });
        out.push(Step {
            label: format!("Main owner set to {email}"),
            skipped: None,
            parts: vec![Part::new(format!("SELECT c.id {sel} WHERE c.main_owner_id IS DISTINCT FROM {u}"), |src| {
                format!("UPDATE contacts SET main_owner_id = {u}, updated_at = now() WHERE id IN ({src}) RETURNING id")
            })],
            // The new main owner stops being a co-owner.
            touches: vec![Part::new(
                format!("SELECT co.contact_id AS id FROM contact_owners co JOIN bulk_sel s ON s.id = co.contact_id WHERE co.user_id = {u}"),
                |src| format!("DELETE FROM contact_owners WHERE user_id = {u} AND contact_id IN ({src}) RETURNING contact_id AS id"),
            )],
        });
    }
    if let Some((v, email, ro)) = &spec.add_co_owner {
        // "The contact's main owner is {v}", as the statement will find it. (An EXISTS on the
        // main-owner index, not a join: that would read every contact to find a few.)
        let is_main = match (&spec.set_main_owner, mode) {
            (Some((u, _)), Mode::Count) => format!("({u} = {v})"),
            _ => format!("EXISTS (SELECT 1 FROM contacts m WHERE m.id = s.id AND m.main_owner_id = {v})"),
        };
        // Counted, a main owner {v} that "set main owner" displaces is already the writable
        // co-owner it will be kept as (executed, the statement finds that row).
        let kept_as_writable = match (&spec.set_main_owner, mode) {
            (Some((u, _)), Mode::Count) if u != v && !*ro => {
                format!(" AND NOT EXISTS (SELECT 1 FROM contacts m WHERE m.id = s.id AND m.main_owner_id = {v})")
            }
            _ => String::new(),
        };
        out.push(Step {
            label: format!("Co-owner {email} added{}", if *ro { " (read-only)" } else { "" }),
            skipped: Some((
                format!("{email} is already the main owner"),
                format!("SELECT count(*) AS n FROM bulk_sel s WHERE {is_main}"),
            )),
            parts: vec![Part::new(
                format!(
                    "SELECT s.id FROM bulk_sel s WHERE NOT {is_main} AND NOT EXISTS \
                     (SELECT 1 FROM contact_owners o WHERE o.contact_id = s.id AND o.user_id = {v} AND o.read_only = {ro}){kept_as_writable}"
                ),
                |src| {
                    format!(
                        "INSERT INTO contact_owners (contact_id, user_id, read_only) SELECT id, {v}, {ro} FROM ({src}) src \
                         ON CONFLICT (contact_id, user_id) DO UPDATE SET read_only = EXCLUDED.read_only \
                         WHERE contact_owners.read_only IS DISTINCT FROM EXCLUDED.read_only RETURNING contact_id AS id"
                    )
                },
            )],
            touches: vec![],
        });
    }
    if let Some((x, email)) = &spec.remove_owner {
        let keeps_other = format!(
            "((c.main_owner_id IS NOT NULL AND c.main_owner_id <> {x}) \
              OR EXISTS (SELECT 1 FROM contact_owners o2 WHERE o2.contact_id = c.id AND o2.user_id <> {x}))"
        );
        out.push(Step {
            label: format!("Owner {email} removed"),
            skipped: Some((
                format!("removing {email} would leave no owner"),
                format!(
                    "SELECT count(*) AS n {sel} WHERE (c.main_owner_id = {x} OR EXISTS \
                     (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = {x})) AND NOT {keeps_other}"
                ),
            )),
            parts: vec![
                Part::new(
                    format!(
                        "SELECT c.id {sel} WHERE EXISTS (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id \
                         AND o.user_id = {x}) AND {keeps_other}"
                    ),
                    |src| {
                        format!(
                            "DELETE FROM contact_owners WHERE user_id = {x} AND contact_id IN ({src}) RETURNING contact_id AS id"
                        )
                    },
                ),
                // Runs after the co-owner rows of {x} are gone, which this condition ignores.
                Part::new(
                    format!(
                        "SELECT c.id {sel} WHERE c.main_owner_id = {x} AND EXISTS \
                         (SELECT 1 FROM contact_owners o2 WHERE o2.contact_id = c.id AND o2.user_id <> {x})"
                    ),
                    |src| {
                        format!("UPDATE contacts SET main_owner_id = NULL, updated_at = now() WHERE id IN ({src}) RETURNING id")
                    },
                ),
            ],
            touches: vec![],
        });
    }
    if !spec.tags.is_empty() {
        let mut part = Part::new(
            // `x.tag = ANY($1)` says nothing new, but lets the planner read only these tags'
            // rows (tag index) instead of hashing the whole table.
            "SELECT s.id, t.tag FROM bulk_sel s CROSS JOIN unnest($1::text[]) AS t(tag) WHERE NOT EXISTS \
             (SELECT 1 FROM contact_tags x WHERE x.contact_id = s.id AND x.tag = t.tag AND x.tag = ANY($1::text[]))"
                .to_string(),
            |src| {
                format!(
                    "INSERT INTO contact_tags (contact_id, tag) SELECT id, tag FROM ({src}) src \
                     ON CONFLICT DO NOTHING RETURNING contact_id AS id"
                )
            },
        );
        part.tags = Some(spec.tags.clone());
        out.push(Step {
            label: format!("Tags {} added", spec.tags.join(", ")),
            skipped: None,
            parts: vec![part],
            touches: vec![],
        });
    }
    if let Some((g, name)) = &spec.add_group {
        out.push(Step {
            label: format!("Added to access group {name}"),
            skipped: None,
            parts: vec![Part::new(
                format!(
                    "SELECT s.id FROM bulk_sel s WHERE NOT EXISTS \
                     (SELECT 1 FROM contact_access_groups a WHERE a.contact_id = s.id AND a.group_id = {g})"
                ),
                |src| {
                    format!(
                        "INSERT INTO contact_access_groups (contact_id, group_id) SELECT id, {g} FROM ({src}) src \
                         ON CONFLICT DO NOTHING RETURNING contact_id AS id"
                    )
                },
            )],
            touches: vec![],
        });
    }
    if let Some((g, name)) = &spec.remove_group {
        out.push(Step {
            label: format!("Removed from access group {name}"),
            skipped: None,
            parts: vec![Part::new(
                format!(
                    "SELECT a.contact_id AS id FROM contact_access_groups a JOIN bulk_sel s ON s.id = a.contact_id \
                     WHERE a.group_id = {g}"
                ),
                |src| {
                    format!(
                        "DELETE FROM contact_access_groups WHERE group_id = {g} AND contact_id IN ({src}) \
                         RETURNING contact_id AS id"
                    )
                },
            )],
            touches: vec![],
        });
    }
    out
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
        if let Some((why, sql)) = &step.skipped {
            let n = count(conn, sql)?;
            if n > 0 {
                report.skipped.push((why.clone(), n));
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
