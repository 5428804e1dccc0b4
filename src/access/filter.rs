//! SPEC section 3 as SQL: the contacts a user reaches at a given level, as a WHERE predicate
//! over `contacts c`, and how many they are. The paths come from their one description
//! ([`super::paths`]); each is its own indexed look-up, combined with UNION (one OR over
//! EXISTS sub-queries would scan the whole table). The list's pages are [`super::pages`].
//!
//! Every fragment is a [`Sql`]: fixed text from the code, with the user's id, the ids of the
//! paths and the grant levels bound as parameters.

use super::level::Level;
use super::paths::{self, load_ids, Path, Shared};
use super::rules::Subject;
use crate::db::sql::sql;
use crate::db::sql::Sql;
use crate::permissions::Perm;

/// A boolean SQL expression over the alias `c`: true exactly when `ops::permits(subject,
/// decide(subject, c), op)` holds (the permission of the operation table and its level).
pub fn permits(s: &Subject, op: super::Operation) -> Sql {
    if super::ops::permits_at_all(s, op).is_err() {
        return Sql::new("FALSE");
    }
    let (_, level) = op.requirement();
    let reach = reaches(s, level);
    match op {
        // Confidential: the main owner or an Administrator, on top of Assign.
        super::Operation::Confidential if !s.administrator => {
            sql!("((", reach, ") AND c.main_owner_id = ", s.user_id, ")")
        }
        _ => reach,
    }
}

/// [`permits`] for every one of `ops` at once (a bulk run that both tags and reassigns): one
/// reach sub-select at the highest level they need, not one per operation.
pub fn permits_all(s: &Subject, ops: &[super::Operation]) -> Sql {
    use super::Operation;
    if ops.iter().any(|op| super::ops::permits_at_all(s, *op).is_err()) {
        return Sql::new("FALSE");
    }
    if ops.contains(&Operation::Confidential) {
        let each: Vec<Sql> = ops.iter().map(|op| sql!("(", permits(s, *op), ")")).collect();
        return Sql::joined(&each, " AND ");
    }
    let level = ops.iter().map(|op| op.requirement().1).max().unwrap_or(Level::View);
    reaches(s, level)
}

/// A boolean SQL expression over the alias `c` (a row of `contacts`): true exactly when
/// `rules::decide(subject, c).level >= min`.
pub fn reaches(s: &Subject, min: Level) -> Sql {
    let min = min.max(Level::View);
    if !s.active {
        return Sql::new("FALSE");
    }
    if s.perms.contains(Perm::ContactsAll) && !s.only_owned {
        // Rule 1 gives act on everything; only confidentiality can take a contact away.
        return if s.administrator {
            Sql::new("TRUE")
        } else {
            sql!("(NOT c.confidential OR c.id IN (", union(&paths::owned(s.user_id, min), " UNION "), "))")
        };
    }
    let (shared, own): (Vec<Path>, Vec<Path>) =
        paths::of(s, min, Shared::select(s, min)).into_iter().partition(|p| p.shared);
    let own = union(&own, " UNION ");
    if shared.is_empty() {
        sql!("c.id IN (", own, ")")
    } else if s.administrator {
        sql!("c.id IN (", own, " UNION ", union(&shared, " UNION "), ")")
    } else {
        // Confidential contacts are reachable through ownership only.
        sql!(
            "c.id IN (",
            own,
            " UNION ((",
            union(&shared, " UNION "),
            ") EXCEPT SELECT id FROM contacts WHERE confidential))"
        )
    }
}

/// Every contact but the confidential ones `s` does not reach at `min`: what a shared
/// automation rule may change besides access (a confidential contact is changed only by its
/// owners' or Administrators' rules).
pub fn open_or_reached(s: &Subject, min: Level) -> Sql {
    sql!("(NOT c.confidential OR (", reaches(s, min), "))")
}

/// The rows of `paths` as one set.
fn union(paths: &[Path], how: &'static str) -> Sql {
    Sql::joined(&paths.iter().map(Path::rows).collect::<Vec<_>>(), how)
}

/// How many contacts `s` reaches at `min` (property-tested against `decide`): each path an
/// index scan over the link tables with the keys [`Shared::of`] looked up, counted distinct.
/// Confidential contacts leave the shared paths through one hashed `NOT IN` over their partial
/// index, not a look-up per contact (at 1M contacts: 11 ms for a salesperson in three
/// 12,000-contact groups, against 150 ms for the generic [`reaches`] sub-select).
pub fn count(conn: &mut diesel::PgConnection, s: &Subject, min: Level) -> diesel::QueryResult<i64> {
    let min = min.max(Level::View);
    if !s.active {
        return Ok(0);
    }
    if s.perms.contains(Perm::ContactsAll) && !s.only_owned {
        let q = sql!("SELECT count(*) AS id FROM contacts c WHERE ", reaches(s, min));
        return Ok(load_ids(conn, &q)?.first().copied().unwrap_or(0));
    }
    let (shared, own): (Vec<Path>, Vec<Path>) =
        paths::of(s, min, Shared::of(conn, s, min)?).into_iter().partition(|p| p.shared);
    let own = union(&own, " UNION ALL ");
    let set = if shared.is_empty() {
        own
    } else {
        let conf = if s.administrator { "" } else { " WHERE id NOT IN (SELECT id FROM contacts WHERE confidential)" };
        sql!(own, " UNION ALL SELECT id FROM (", union(&shared, " UNION ALL "), ") AS shared (id)", conf)
    };
    let q = sql!("SELECT count(DISTINCT id) AS id FROM (", set, ") AS reached (id)");
    Ok(load_ids(conn, &q)?.first().copied().unwrap_or(0))
}
