//! Undoing an executed bulk run, as a new run that is previewed and executed like any other.
//!
//! Executing a run records what each of its statements changed (`bulk_run_changes`, one row
//! per statement, kind and value, with the contacts: a few rows even for a million contacts).
//! Its undo runs those records backwards, each statement restoring only contacts that are still
//! as the run left them; a contact a later change touched is left alone and counted, with the
//! reason, in the undo's preview and report.

use super::spec::Spec;
pub use super::spec::Undo;
use super::step::{Part, Step, Tally};
use crate::contacts::owners;
use crate::db::sql::sql;
use crate::db::sql::{Bind, Sql};
use diesel::prelude::*;

/// How one recorded kind is undone: the label, the reason a contact is left alone, the
/// columns of the record rows `l` the write reads, and the write itself over those rows `x`.
/// A write restores only rows still as the run left them: a delete or an update says so in its
/// own WHERE (one look-up per row, not a check and then the write); an insert is given only
/// the rows that pass `still`. (So a step's source is not its count of changes: an undo is
/// always previewed by running it in a savepoint that is rolled back, `actions::counts_exactly`.)
struct Reverse {
    /// Whether `still` reads the contact row `c`.
    contact: bool,
    label: &'static str,
    skip: &'static str,
    /// "Still as the run left it" over `l` (and `c`), for the inserts.
    still: Option<&'static str>,
    cols: &'static str,
    /// The write, over the rows it reads.
    write: fn(&Sql) -> Sql,
}

fn reverse(kind: &str) -> Option<Reverse> {
    Some(match kind {
        "co_owner_added" => Reverse {
            contact: false,
            label: "Co-owners the run added removed",
            skip: "the co-owner it added is gone or their access changed since; left as it is",
            still: None,
            cols: "l.id, l.user_id, l.read_only",
            write: owners::undo_co_owner_added,
        },
        "co_owner_flag" => Reverse {
            contact: false,
            label: "Co-owners' read-only flag the run changed set back",
            skip: "the co-owner's access changed again since; left as it is",
            still: None,
            cols: "l.id, l.user_id, l.read_only",
            write: owners::undo_co_owner_flag,
        },
        "co_owner_removed" => Reverse {
            contact: true,
            label: "Owners the run removed restored as co-owners (with their read-only flag)",
            skip: "the owner it removed is an owner again, or no longer an active user; left as it is",
            still: Some(
                "NOT EXISTS (SELECT 1 FROM contact_owners o WHERE o.contact_id = l.id AND o.user_id = l.user_id) \
                 AND c.main_owner_id IS DISTINCT FROM l.user_id \
                 AND EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id AND u.status = 'active')",
            ),
            cols: "l.id, l.user_id, l.read_only",
            write: owners::undo_co_owner_removed,
        },
        "main_owner" => Reverse {
            contact: false,
            label: "Main owners the run replaced brought back",
            skip: "the main owner changed since the run, or the one it replaced is no longer an active user; left as it is",
            still: None,
            cols: "l.id, l.user_id, l.after_user_id",
            write: owners::undo_main_owner,
        },
        "tag_added" => Reverse {
            contact: false,
            label: "Tags the run added removed",
            skip: "the tag it added was removed since",
            still: None,
            cols: "l.id, l.tag",
            write: |rows| {
                sql!(
                    "DELETE FROM contact_tags t USING (",
                    rows,
                    ") x WHERE t.contact_id = x.id AND t.tag = x.tag RETURNING t.contact_id AS id"
                )
            },
        },
        "group_added" => Reverse {
            contact: false,
            label: "Taken out of the access groups the run added",
            skip: "no longer in the access group it added",
            still: None,
            cols: "l.id, l.group_id",
            write: |rows| {
                sql!(
                    "DELETE FROM contact_access_groups a USING (",
                    rows,
                    ") x WHERE a.contact_id = x.id AND a.group_id = x.group_id RETURNING a.contact_id AS id"
                )
            },
        },
        "group_removed" => Reverse {
            contact: false,
            label: "Put back in the access groups the run removed",
            skip: "back in the access group already, or the group was deleted",
            still: Some(
                "NOT EXISTS (SELECT 1 FROM contact_access_groups a WHERE a.contact_id = l.id AND a.group_id = l.group_id) \
                 AND EXISTS (SELECT 1 FROM access_groups g WHERE g.id = l.group_id)",
            ),
            cols: "l.id, l.group_id",
            write: |rows| {
                sql!(
                    "INSERT INTO contact_access_groups (contact_id, group_id) SELECT id, group_id FROM (",
                    rows,
                    ") x ON CONFLICT DO NOTHING RETURNING contact_id AS id"
                )
            },
        },
        _ => return None,
    })
}

/// The steps of an undo: one per record, last applied first.
pub(super) fn steps(undo: &Undo) -> Vec<Step> {
    let run = undo.run_id;
    undo.records
        .iter()
        .filter_map(|(seq, kind)| {
            let r = reverse(kind)?;
            // The record's contacts in the selection, each with its contact row only where the
            // condition reads it (`c.`): a join per row otherwise.
            let contact = if r.contact { " JOIN contacts c ON c.id = l.id" } else { "" };
            let record = sql!(
                "FROM (SELECT unnest(contact_ids) AS id, user_id, read_only, tag, group_id, after_user_id \
                   FROM bulk_run_changes WHERE run_id = ",
                run,
                " AND seq = ",
                *seq,
                " AND kind = ",
                Bind::Text(kind.clone()),
                " AND lo <= (SELECT max(id) FROM bulk_sel) AND hi >= (SELECT min(id) FROM bulk_sel)) l \
                 JOIN bulk_sel s ON s.id = l.id"
            );
            let source = match r.still {
                Some(still) => sql!("SELECT ", r.cols, " ", &record, contact, " WHERE ", still),
                None => sql!("SELECT ", r.cols, " ", &record),
            };
            Some(Step {
                label: r.label.to_string(),
                // Each recorded row is restored or left alone: what is not restored is left.
                skipped: vec![Tally::rest(r.skip.to_string(), sql!("SELECT count(*) AS n ", record))],
                parts: vec![Part::new(source, |src| (r.write)(src))],
                touches: vec![],
            })
        })
        .collect()
}

/// The undo of executed run `run_id`. `None` when there is nothing to undo: not done, an undo
/// itself, or it recorded no change.
pub fn of_run(c: &mut PgConnection, run_id: i64) -> QueryResult<Option<Spec>> {
    use crate::db::schema::{bulk_run_changes as ch, bulk_runs};
    let spec: Option<serde_json::Value> = bulk_runs::table
        .filter(bulk_runs::id.eq(run_id))
        .filter(bulk_runs::status.eq(super::status::DONE))
        .select(bulk_runs::spec)
        .first(c)
        .optional()?;
    let Some(Ok(of)) = spec.map(serde_json::from_value::<Spec>) else { return Ok(None) };
    if of.undo.is_some() {
        return Ok(None);
    }
    let mut records: Vec<(i32, String)> =
        ch::table.filter(ch::run_id.eq(run_id)).select((ch::seq, ch::kind)).distinct().load(c)?;
    if records.is_empty() {
        return Ok(None);
    }
    // Last applied, first undone.
    records.sort_by(|a, b| b.cmp(a));
    let undo = Undo { run_id, of: Box::new(of), records };
    Ok(Some(Spec { undo: Some(undo), ..Spec::default() }))
}

/// The executed run that undid run `run_id`, if one did (the first).
pub fn undone_by(c: &mut PgConnection, run_id: i64) -> QueryResult<Option<i64>> {
    Ok(undos_of(c, &[run_id])?.first().map(|u| u.by))
}

/// Of `run_ids`, those an executed run undid (one query, for a list of runs).
pub fn undone_among(c: &mut PgConnection, run_ids: &[i64]) -> QueryResult<Vec<i64>> {
    Ok(undos_of(c, run_ids)?.into_iter().map(|u| u.undone).collect())
}

#[derive(QueryableByName)]
struct UndoneBy {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    undone: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    by: i64,
}

/// Each of `run_ids` an executed run undid, with the first run that did (index of migration
/// 000310).
fn undos_of(c: &mut PgConnection, run_ids: &[i64]) -> QueryResult<Vec<UndoneBy>> {
    crate::db::query(
        "SELECT DISTINCT ON (undone) (spec -> 'undo' ->> 'run_id')::bigint AS undone, id AS by FROM bulk_runs \
         WHERE status = 'done' AND (spec -> 'undo' ->> 'run_id')::bigint = ANY($1) ORDER BY undone, id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(run_ids)
    .load(c)
}

/// The contacts run `run_id` recorded changes of (ascending): those its undo matches.
pub fn changed_ids(c: &mut PgConnection, run_id: i64) -> QueryResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    Ok(crate::db::query("SELECT DISTINCT unnest(contact_ids) AS id FROM bulk_run_changes WHERE run_id = $1 ORDER BY 1")
        .bind::<diesel::sql_types::BigInt, _>(run_id)
        .load::<Id>(c)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}
