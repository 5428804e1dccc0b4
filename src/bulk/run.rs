//! Running a bulk Manage spec on a selection with set-based SQL: one statement per action over
//! a temporary table of the selected contacts the user may edit — never a loop per contact.
//!
//! The preview runs exactly the same statements inside a savepoint that is rolled back, so its
//! numbers and its before → after sample are what "Execute" will do on unchanged data.

use super::spec::Spec;
use crate::access::{filter, Level, Subject};
use crate::contacts::selection::Filters;
use crate::db::sql::{Bind, Sql};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use std::collections::{BTreeMap, BTreeSet};

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
    let mut q = Sql::new("INSERT INTO bulk_sel SELECT c.id FROM contacts c WHERE c.id = ANY(");
    q.bind(Bind::I64s(matched.to_vec())).push(") AND ").push(&filter::reaches(s, Level::Edit));
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

fn changed(conn: &mut PgConnection, sql: &str, tags: Option<&[String]>, all: &mut BTreeSet<i64>) -> QueryResult<i64> {
    let rows: Vec<Id> = match tags {
        Some(t) => diesel::sql_query(sql).bind::<Array<Text>, _>(t.to_vec()).load(conn)?,
        None => diesel::sql_query(sql).load(conn)?,
    };
    all.extend(rows.iter().map(|r| r.id));
    Ok(rows.len() as i64)
}

/// Applies the spec to `bulk_sel`, one statement per action; fills `report.changes`,
/// `report.skipped` (reasons found along the way) and `report.changed_ids`.
pub fn apply(conn: &mut PgConnection, spec: &Spec, report: &mut Report) -> QueryResult<()> {
    let mut all = BTreeSet::new();
    if let Some((u, email)) = &spec.set_main_owner {
        let n = changed(conn, &format!("UPDATE contacts c SET main_owner_id = {u}, updated_at = now() FROM bulk_sel s WHERE c.id = s.id AND c.main_owner_id IS DISTINCT FROM {u} RETURNING c.id AS id"), None, &mut all)?;
        changed(conn, &format!("DELETE FROM contact_owners co USING bulk_sel s WHERE co.contact_id = s.id AND co.user_id = {u} RETURNING co.contact_id AS id"), None, &mut all)?;
        report.changes.push((format!("Main owner set to {email}"), n));
    }
    if let Some((u, email, ro)) = &spec.add_co_owner {
        let skipped = count(
            conn,
            &format!("SELECT count(*) AS n FROM bulk_sel s JOIN contacts c ON c.id = s.id WHERE c.main_owner_id = {u}"),
        )?;
        if skipped > 0 {
            report.skipped.push((format!("{email} is already the main owner"), skipped));
        }
        let n = changed(
            conn,
            &format!(
                "INSERT INTO contact_owners (contact_id, user_id, read_only) \
                 SELECT s.id, {u}, {ro} FROM bulk_sel s JOIN contacts c ON c.id = s.id WHERE c.main_owner_id IS DISTINCT FROM {u} \
                 ON CONFLICT (contact_id, user_id) DO UPDATE SET read_only = EXCLUDED.read_only \
                 WHERE contact_owners.read_only IS DISTINCT FROM EXCLUDED.read_only RETURNING contact_id AS id"
            ),
            None,
            &mut all,
        )?;
        report.changes.push((format!("Co-owner {email} added{}", if *ro { " (read-only)" } else { "" }), n));
    }
    if let Some((x, email)) = &spec.remove_owner {
        let keeps_other = format!(
            "((c.main_owner_id IS NOT NULL AND c.main_owner_id <> {x}) \
              OR EXISTS (SELECT 1 FROM contact_owners o2 WHERE o2.contact_id = c.id AND o2.user_id <> {x}))"
        );
        let skipped = count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM bulk_sel s JOIN contacts c ON c.id = s.id \
                 WHERE (c.main_owner_id = {x} OR EXISTS (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = {x})) \
                 AND NOT {keeps_other}"
            ),
        )?;
        if skipped > 0 {
            report.skipped.push((format!("removing {email} would leave no owner"), skipped));
        }
        let n = changed(
            conn,
            &format!(
                "DELETE FROM contact_owners co USING bulk_sel s, contacts c \
                 WHERE co.contact_id = s.id AND c.id = s.id AND co.user_id = {x} AND {keeps_other} RETURNING co.contact_id AS id"
            ),
            None,
            &mut all,
        )? + changed(
            conn,
            &format!(
                "UPDATE contacts c SET main_owner_id = NULL, updated_at = now() FROM bulk_sel s WHERE c.id = s.id AND c.main_owner_id = {x} \
                 AND EXISTS (SELECT 1 FROM contact_owners o2 WHERE o2.contact_id = c.id AND o2.user_id <> {x}) RETURNING c.id AS id"
            ),
            None,
            &mut all,
        )?;
        report.changes.push((format!("Owner {email} removed"), n));
    }
    if !spec.tags.is_empty() {
        let n = changed(
            conn,
            "INSERT INTO contact_tags (contact_id, tag) SELECT s.id, t FROM bulk_sel s CROSS JOIN unnest($1::text[]) AS t \
             ON CONFLICT DO NOTHING RETURNING contact_id AS id",
            Some(&spec.tags),
            &mut all,
        )?;
        report.changes.push((format!("Tags {} added", spec.tags.join(", ")), n));
    }
    if let Some((g, name)) = &spec.add_group {
        let n = changed(conn, &format!("INSERT INTO contact_access_groups (contact_id, group_id) SELECT s.id, {g} FROM bulk_sel s ON CONFLICT DO NOTHING RETURNING contact_id AS id"), None, &mut all)?;
        report.changes.push((format!("Added to access group {name}"), n));
    }
    if let Some((g, name)) = &spec.remove_group {
        let n = changed(conn, &format!("DELETE FROM contact_access_groups a USING bulk_sel s WHERE a.contact_id = s.id AND a.group_id = {g} RETURNING a.contact_id AS id"), None, &mut all)?;
        report.changes.push((format!("Removed from access group {name}"), n));
    }
    report.changed_ids = all.into_iter().collect();
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
