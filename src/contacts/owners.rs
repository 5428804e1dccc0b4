//! Main owners and co-owners: the one home of the statements that change them (an architecture
//! test keeps it so), used by the owner panel (one contact), bulk Manage and its undo (a
//! selection, each statement logged for the undo), automation rules (as parts of one
//! statement), public forms (a first owner) and a deleted user's successor ([`hand_over`]).
//! They behave the same everywhere:
//! - a new main owner's co-ownership is folded into it ([`fold_into_main`]);
//! - the main owner it displaces stays a writable co-owner ([`keep_displaced`]): nobody loses
//!   access without being removed explicitly;
//! - a co-owner is never the main owner too (callers leave the main owner out: the panel
//!   refuses, bulk counts it as skipped, a rule skips it);
//! - adding a co-owner who already is one follows [`Existing`].
//!
//! The set-based statements take the contacts as a query (`ids`: one column `id`; `locked`:
//! columns `id` and `was`, the current main owner, of rows the caller has locked) and return
//! the rows they write, for the bulk undo's record.

use crate::access::ends::End;
use crate::db::schema::{contacts, users};
use crate::db::sql::sql;
use crate::db::sql::{Bind, Sql};
use crate::db::views::contact_owners;
use diesel::prelude::*;

/// What adding a co-owner does to a user who already co-owns the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// A person chose the flag for these contacts just now (the owner panel; bulk Manage,
    /// whose preview says how many it changes): the flag asked for is set.
    SetFlag,
    /// A rule firing by itself on a later event adds missing co-owners and never changes the
    /// access a person has set since (no silent up- or downgrade).
    Keep,
    /// There is none: the caller has made sure the user has no row on these contacts (a bulk
    /// run, under its lock on every contact, which a write of their owner rows waits for
    /// through the foreign key; [`set_co_owner_flag`] does the others). A plain insert: no
    /// conflict check per row, and a row there after all fails the statement rather than
    /// being skipped.
    Absent,
}

/// Makes the main owners of `locked` (none of them `user_id` already) `user_id`; returns
/// `id`, `was`, `now`.
pub fn replace_main_owner(locked: &Sql, user_id: i64) -> Sql {
    sql!(
        "UPDATE contacts c SET main_owner_id = ",
        user_id,
        ", updated_at = now() FROM (",
        locked,
        ") p WHERE c.id = p.id RETURNING c.id AS id, p.was AS was, c.main_owner_id AS now"
    )
}

/// Keeps the main owners `locked` had (`was`) as writable co-owners, where they are not
/// co-owners already; returns `id`, `u`, `ro`.
pub fn keep_displaced(locked: &Sql) -> Sql {
    sql!(
        "INSERT INTO contact_owners (contact_id, user_id, read_only) SELECT p.id, p.was, FALSE FROM (",
        locked,
        ") p WHERE p.was IS NOT NULL ON CONFLICT (contact_id, user_id) DO NOTHING \
         RETURNING contact_id AS id, user_id AS u, read_only AS ro"
    )
}

/// Removes `user_id`'s co-ownership of `ids`, now that they are its main owner; returns `id`,
/// `u`, `ro`.
pub fn fold_into_main(ids: &Sql, user_id: i64) -> Sql {
    remove_co_owners(ids, user_id)
}

/// Removes `user_id` as a co-owner of `ids`; returns `id`, `u`, `ro`.
pub fn remove_co_owners(ids: &Sql, user_id: i64) -> Sql {
    sql!(
        "DELETE FROM contact_owners WHERE user_id = ",
        user_id,
        " AND contact_id IN (",
        ids,
        ") RETURNING contact_id AS id, user_id AS u, read_only AS ro"
    )
}

/// Makes `user_id` a co-owner of `ids` (of which they are not the main owner), read-only or
/// not, until `end`; returns `id`, `u`, `ro` and whether the row is new (`inserted`) for every
/// row it inserted or changed. (`Existing::SetFlag` sets the end asked for too; `Keep` leaves a
/// co-ownership as it is.)
pub fn add_co_owners(ids: &Sql, user_id: i64, read_only: bool, existing: Existing, end: End) -> Sql {
    let conflict = match existing {
        Existing::SetFlag => {
            " ON CONFLICT (contact_id, user_id) DO UPDATE SET read_only = EXCLUDED.read_only, \
             ends_at = EXCLUDED.ends_at, ends_set_by = EXCLUDED.ends_set_by \
             WHERE (contact_owners.read_only, contact_owners.ends_at) \
                   IS DISTINCT FROM (EXCLUDED.read_only, EXCLUDED.ends_at)"
        }
        Existing::Keep => " ON CONFLICT (contact_id, user_id) DO NOTHING",
        Existing::Absent => "",
    };
    // Into the table rather than its view: `xmax` tells an insert from an update, and a view has
    // no system columns. The same rows either way: the table's trigger first clears an ended
    // co-ownership of the same key, so a conflict is always with one in force.
    sql!(
        "INSERT INTO contact_owners_all AS contact_owners (contact_id, user_id, read_only, ends_at, ends_set_by) \
         SELECT id, ",
        user_id,
        ", ",
        read_only,
        ", ",
        Bind::OptTimestamp(end.at),
        "::timestamptz, ",
        Bind::OptI64(end.set_by),
        "::bigint FROM (",
        ids,
        ") src",
        conflict,
        " RETURNING contact_id AS id, user_id AS u, read_only AS ro, (xmax = 0) AS inserted"
    )
}

/// Gives `user_id`'s co-ownership of `ids` the flag `read_only` where it has the other one;
/// returns `id`, `u`, `ro` (the flag now). With `Existing::Absent` for the others, what
/// `Existing::SetFlag` does in one statement.
pub fn set_co_owner_flag(ids: &Sql, user_id: i64, read_only: bool) -> Sql {
    sql!(
        "UPDATE contact_owners SET read_only = ",
        read_only,
        " WHERE user_id = ",
        user_id,
        " AND read_only <> ",
        read_only,
        " AND contact_id IN (",
        ids,
        ") RETURNING contact_id AS id, user_id AS u, read_only AS ro"
    )
}

/// Removes up to `limit` co-ownerships whose end has come (the expiry sweep, `crate::expiry`;
/// the view already leaves them out), the rows it can lock; returns `a` (contact), `b` (user),
/// `c` and `t` (none), `f` (read-only) and `set_by` (who set the end).
pub fn remove_ended(limit: i64) -> Sql {
    sql!(
        "DELETE FROM contact_owners_all x USING (SELECT contact_id, user_id FROM contact_owners_all \
         WHERE ends_at <= now() ORDER BY ends_at LIMIT ",
        limit,
        " FOR UPDATE SKIP LOCKED) e WHERE x.contact_id = e.contact_id AND x.user_id = e.user_id \
         RETURNING x.contact_id AS a, x.user_id AS b, NULL::bigint AS c, NULL::text AS t, \
                   x.read_only AS f, x.ends_set_by AS set_by"
    )
}

/// Takes `user_id` off as the main owner of `ids` (contacts they are the main owner of, which
/// keep a co-owner); returns `id`, `was`, `now`.
pub fn clear_main_owner(ids: &Sql, user_id: i64) -> Sql {
    sql!(
        "UPDATE contacts SET main_owner_id = NULL, updated_at = now() WHERE id IN (",
        ids,
        ") RETURNING id, ",
        user_id,
        "::bigint AS was, NULL::bigint AS now"
    )
}

// Undoing a bulk run's owner changes, over its recorded rows `rows` (columns `id`, `user_id`
// and `read_only` or `after_user_id`). Each restores only what is still as the run left it and
// returns the contacts it restored (`id`).

/// Removes the co-owners the run added, where they still have the flag it gave.
pub fn undo_co_owner_added(rows: &Sql) -> Sql {
    sql!(
        "DELETE FROM contact_owners o USING (",
        rows,
        ") x WHERE o.contact_id = x.id AND o.user_id = x.user_id AND o.read_only = x.read_only \
         RETURNING o.contact_id AS id"
    )
}

/// Sets back the read-only flag the run changed (`read_only`: the flag before), where it has
/// not changed again.
pub fn undo_co_owner_flag(rows: &Sql) -> Sql {
    sql!(
        "UPDATE contact_owners o SET read_only = x.read_only FROM (",
        rows,
        ") x WHERE o.contact_id = x.id AND o.user_id = x.user_id AND o.read_only = NOT x.read_only \
         RETURNING o.contact_id AS id"
    )
}

/// Restores the co-owners the run removed, with their flag (`rows` holds only those still
/// absent and active).
pub fn undo_co_owner_removed(rows: &Sql) -> Sql {
    sql!(
        "INSERT INTO contact_owners (contact_id, user_id, read_only) SELECT id, user_id, read_only FROM (",
        rows,
        ") x ON CONFLICT DO NOTHING RETURNING contact_id AS id"
    )
}

/// Brings back the main owners the run replaced (`user_id`, the one before; `after_user_id`,
/// the run's), where the run's is still there and the one before is still active.
pub fn undo_main_owner(rows: &Sql) -> Sql {
    sql!(
        "UPDATE contacts c SET main_owner_id = x.user_id, updated_at = now() FROM (",
        rows,
        ") x WHERE c.id = x.id AND c.main_owner_id IS NOT DISTINCT FROM x.after_user_id \
         AND (x.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = x.user_id AND u.status = 'active')) \
         RETURNING c.id AS id"
    )
}

/// A public form's contact without a main owner gets the form's (`user_id`).
pub fn fill_main_owner(conn: &mut PgConnection, contact_id: i64, user_id: Option<i64>) -> QueryResult<usize> {
    diesel::update(contacts::table.find(contact_id).filter(contacts::main_owner_id.is_null()))
        .set(contacts::main_owner_id.eq(user_id))
        .execute(conn)
}

/// Hands what `from` owns to `to` (a deleted user's successor): `from`'s contacts get `to` as
/// main owner (and `to`'s co-ownership of them is folded in); `from`'s co-ownerships end.
/// Returns (contacts moved, co-ownerships ended).
pub fn hand_over(conn: &mut PgConnection, from: i64, to: i64) -> QueryResult<(i64, i64)> {
    let moved: Vec<i64> = diesel::update(contacts::table.filter(contacts::main_owner_id.eq(from)))
        .set((contacts::main_owner_id.eq(to), contacts::updated_at.eq(chrono::Utc::now())))
        .returning(contacts::id)
        .get_results(conn)?;
    diesel::delete(
        contact_owners::table.filter(contact_owners::user_id.eq(to)).filter(contact_owners::contact_id.eq_any(&moved)),
    )
    .execute(conn)?;
    let ended = diesel::delete(contact_owners::table.filter(contact_owners::user_id.eq(from))).execute(conn)?;
    Ok((moved.len() as i64, ended as i64))
}

/// A co-owner as the panel shows it.
#[derive(Queryable, Debug, Clone)]
pub struct CoOwner {
    pub user_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub read_only: bool,
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl CoOwner {
    /// "until 31 Dec 2026, 17:00 UTC", or nothing when it does not end.
    pub fn until(&self) -> String {
        crate::access::ends::until_opt(self.ends_at)
    }
}

/// Co-owners of a contact with their names (one query).
pub fn co_owners(conn: &mut PgConnection, contact_id: i64) -> QueryResult<Vec<CoOwner>> {
    contact_owners::table
        .inner_join(users::table)
        .filter(contact_owners::contact_id.eq(contact_id))
        .select((
            users::id,
            users::email,
            users::first_name,
            users::last_name,
            contact_owners::read_only,
            contact_owners::ends_at,
        ))
        .order(users::email)
        .load(conn)
}

/// Resolves an email to an active user id.
pub fn active_user_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<i64>> {
    Ok(crate::accounts::active_by_email(conn, email)?.ok().map(|u| u.id))
}

/// The owner panel's "set main owner" on one contact: locks it, then the statements above.
/// Returns the previous main owner.
pub fn set_main_owner(conn: &mut PgConnection, contact_id: i64, user_id: i64) -> QueryResult<Option<i64>> {
    let previous: Option<i64> =
        contacts::table.find(contact_id).select(contacts::main_owner_id).for_update().first(conn)?;
    if previous != Some(user_id) {
        let locked = sql!("SELECT id, main_owner_id AS was FROM contacts WHERE id = ", contact_id);
        // The displaced owner first: `locked` reads the main owner the next statement replaces.
        keep_displaced(&locked).query().execute(conn)?;
        replace_main_owner(&locked, user_id).query().execute(conn)?;
        fold_into_main(&sql!("SELECT ", contact_id, "::bigint AS id"), user_id).query().execute(conn)?;
    }
    Ok(previous)
}

/// The owner panel's "add co-owner" (the user is not the main owner): adds them, or sets the
/// read-only flag and the end of an existing co-owner.
pub fn add_co_owner(
    conn: &mut PgConnection,
    contact_id: i64,
    user_id: i64,
    read_only: bool,
    end: End,
) -> QueryResult<()> {
    add_co_owners(&sql!("SELECT ", contact_id, "::bigint AS id"), user_id, read_only, Existing::SetFlag, end)
        .query()
        .execute(conn)?;
    Ok(())
}

pub fn set_read_only(conn: &mut PgConnection, contact_id: i64, user_id: i64, read_only: bool) -> QueryResult<usize> {
    diesel::update(
        contact_owners::table
            .filter(contact_owners::contact_id.eq(contact_id))
            .filter(contact_owners::user_id.eq(user_id)),
    )
    .set(contact_owners::read_only.eq(read_only))
    .execute(conn)
}

pub fn remove_co_owner(conn: &mut PgConnection, contact_id: i64, user_id: i64) -> QueryResult<usize> {
    diesel::delete(
        contact_owners::table
            .filter(contact_owners::contact_id.eq(contact_id))
            .filter(contact_owners::user_id.eq(user_id)),
    )
    .execute(conn)
}
