//! The contact list's pages under SPEC 3 without building the whole visible set: the newest
//! contacts a user reaches (each path an index scan in id order that stops early), or a page
//! in any sort order (walking the sort index and probing each row, or, where visible contacts
//! are rare, collecting them path by path). The paths come from [`super::paths`]; every shape
//! agrees with [`reaches`] (property-tested).

use super::filter::reaches;
use super::level::Level;
use super::paths::{self, load_ids, Path, Shared};
use super::rules::Subject;
use crate::db::sql::sql;
use crate::db::sql::{Bind, Sql};
use crate::permissions::Perm;

/// The ids, newest first, of at most `n` contacts that `s` reaches at `min` and that satisfy
/// `conditions` (`AND …` over `c`), without building the whole visible set: every access path
/// becomes an index scan in id order that stops after `n` rows, and the union of each path's
/// newest `n` holds the newest `n` of the union. Agrees with [`reaches`] (property-tested).
pub fn newest_ids(
    conn: &mut diesel::PgConnection,
    s: &Subject,
    min: Level,
    conditions: &Sql,
    n: i64,
) -> diesel::QueryResult<Vec<i64>> {
    let min = min.max(Level::View);
    if !s.active || n <= 0 {
        return Ok(Vec::new());
    }
    if s.perms.contains(Perm::ContactsAll) && !s.only_owned {
        let q =
            sql!("SELECT c.id FROM contacts c WHERE ", reaches(s, min), conditions, " ORDER BY c.id DESC LIMIT ", n);
        return load_ids(conn, &q);
    }
    let all = paths::of(s, min, Shared::of(conn, s, min)?);
    let branches: Vec<Sql> = path_scans(s, &all)
        .into_iter()
        .map(|(from_where, order)| {
            sql!("(SELECT c.id FROM ", from_where, conditions, " ORDER BY ", order, " DESC LIMIT ", n, ")")
        })
        .collect();
    let q = sql!("SELECT DISTINCT id FROM (", Sql::joined(&branches, " UNION ALL "), ") x ORDER BY id DESC LIMIT ", n);
    load_ids(conn, &q)
}

/// One index scan per access path and key of a user without `contacts.all`: (`FROM … WHERE …`
/// over `c`, the column that orders the scan by contact id).
fn path_scans(s: &Subject, all: &[Path]) -> Vec<(Sql, &'static str)> {
    let closed = if s.administrator { "" } else { " AND NOT c.confidential" };
    all.iter().flat_map(|p| p.scans(closed)).collect()
}

/// [`reaches`] for a user without `contacts.all` as a per-row test over `c`, for walking a
/// sort index and stopping after a page: each path is an index probe for this one contact.
fn per_row(s: &Subject, all: &[Path]) -> Sql {
    let probes = |shared: bool| -> Vec<Sql> { all.iter().filter(|p| p.shared == shared).map(Path::probe).collect() };
    let (own, shared) = (sql!("(", Sql::joined(&probes(false), " OR "), ")"), probes(true));
    if shared.is_empty() {
        return own;
    }
    let conf = if s.administrator { "" } else { "NOT c.confidential AND " };
    sql!("(", own, " OR (", conf, "(", Sql::joined(&shared, " OR "), ")))")
}

/// How many rows of the sort order a page may test, per row it shows, before it gives up
/// walking and sorts everything the user may see instead (see [`sorted_ids`]).
pub const WALK_PER_ROW: i64 = 50;

/// The ids of the contacts `s` reaches at `min` satisfying `conditions`, in the order of
/// `order_by` (an `ORDER BY` over `c`), rows `offset..offset + n`. Agrees with [`reaches`]
/// (property-tested, with both strategies):
/// - walk the sort order's index, testing each row ([`per_row`]), at most
///   [`WALK_PER_ROW`] × (`offset + n`) rows: fast while visible contacts are not rare;
/// - otherwise they are rare: collect them path by path and sort them.
///
/// `walk_per_row` is [`WALK_PER_ROW`] but for tests (0: never walk).
#[allow(clippy::too_many_arguments)]
pub fn sorted_ids(
    conn: &mut diesel::PgConnection,
    s: &Subject,
    min: Level,
    conditions: &Sql,
    // A fixed fragment from code (the list's sort enum).
    order_by: &'static str,
    offset: i64,
    n: i64,
    walk_per_row: i64,
) -> diesel::QueryResult<Vec<i64>> {
    let min = min.max(Level::View);
    let offset = offset.max(0);
    if !s.active || n <= 0 {
        return Ok(Vec::new());
    }
    if s.perms.contains(Perm::ContactsAll) && !s.only_owned {
        // Nearly everything is visible: walk.
        let q = sql!(
            "SELECT c.id FROM contacts c WHERE ",
            reaches(s, min),
            conditions,
            order_by,
            " LIMIT ",
            n,
            " OFFSET ",
            offset
        );
        return load_ids(conn, &q);
    }
    let all = paths::of(s, min, Shared::of(conn, s, min)?);
    let wanted = offset + n;
    let budget = wanted.saturating_mul(walk_per_row);
    if budget > 0 {
        // The first `budget` rows in sort order (with the filters), flagged visible or not;
        // the outer LIMIT stops the walk as soon as the page is complete.
        let q = sql!(
            "SELECT id FROM (SELECT c.id, ",
            per_row(s, &all),
            " AS visible FROM contacts c WHERE TRUE",
            conditions,
            order_by,
            " LIMIT ",
            budget,
            ") w WHERE visible LIMIT ",
            wanted
        );
        let visible = load_ids(conn, &q)?;
        let scanned_all = (visible.len() as i64) < wanted && {
            // Fewer rows than the budget exist at all: the walk saw everything.
            let all = sql!(
                "SELECT count(*) AS id FROM (SELECT 1 FROM contacts c WHERE TRUE",
                conditions,
                " LIMIT ",
                budget,
                ") x"
            );
            load_ids(conn, &all)?.first().copied().unwrap_or(0) < budget
        };
        if visible.len() as i64 >= wanted || scanned_all {
            return Ok(visible.into_iter().skip(offset as usize).take(n as usize).collect());
        }
    }
    // Visible contacts are rare here: collect them all, path by path, and sort them.
    let branches: Vec<Sql> = path_scans(s, &all)
        .into_iter()
        .map(|(from_where, _)| sql!("SELECT c.id FROM ", from_where, conditions))
        .collect();
    let ids = load_ids(conn, &sql!("SELECT DISTINCT id FROM (", Sql::joined(&branches, " UNION ALL "), ") x"))?;
    let q = sql!(
        "SELECT c.id FROM contacts c WHERE c.id = ANY(",
        Bind::I64s(ids),
        ")",
        order_by,
        " LIMIT ",
        n,
        " OFFSET ",
        offset
    );
    load_ids(conn, &q)
}
