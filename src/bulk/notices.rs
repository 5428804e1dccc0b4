//! The owners' notices of an executed run: one notification per owner (other than the one who
//! ran it) of the contacts it changed, with how many of theirs changed.
//!
//! They are written after the run commits, in a transaction of their own: on 100,000 contacts
//! they cost one to four seconds of look-ups, which the run would otherwise spend holding its
//! locks on every contact. So that none is lost or written twice, the run's own transaction
//! records the contacts still owed a notice on the run and queues the job that writes them
//! ([`owe`]); [`deliver`] writes the notices and clears that record in one transaction,
//! claimed like a run (SKIP LOCKED). A run that does not commit owes
//! nothing. The owners told are those the contacts have when the notices are written: after
//! the run and the automation rules it triggered (an owner a rule added is told too), and
//! after whatever changed them since, a moment later. (The owner panel tells owners inside its
//! own change: one contact is cheap.)

use crate::db::schema::bulk_runs;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

/// Records, in the run's transaction, that the owners of `changed` are owed a notice of run
/// `run_id`.
pub(super) fn owe(c: &mut PgConnection, run_id: i64, changed: &[i64]) -> QueryResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    crate::db::query("UPDATE bulk_runs SET notify_ids = $2 WHERE id = $1")
        .bind::<BigInt, _>(run_id)
        .bind::<Array<BigInt>, _>(changed)
        .execute(c)?;
    crate::jobs::enqueue(c, &super::NOTICES, run_id)
}

/// Runs that still owe notices, oldest first (their jobs are queued, or being worked).
pub fn owed(c: &mut PgConnection) -> QueryResult<Vec<i64>> {
    bulk_runs::table.filter(bulk_runs::notify_ids.is_not_null()).order(bulk_runs::id).select(bulk_runs::id).load(c)
}

/// Writes the notices run `run_id` owes, in a transaction of its own; returns how many.
/// `None`: it owes none, or another worker is writing them now.
pub fn deliver(c: &mut PgConnection, run_id: i64) -> QueryResult<Option<usize>> {
    #[derive(QueryableByName)]
    struct Owed {
        #[diesel(sql_type = BigInt)]
        user_id: i64,
        #[diesel(sql_type = Text)]
        email: String,
        #[diesel(sql_type = Array<BigInt>)]
        ids: Vec<i64>,
    }
    c.transaction(|c| {
        let owed: Option<Owed> = crate::db::query(
            "SELECT r.user_id, u.email, r.notify_ids AS ids FROM bulk_runs r JOIN users u ON u.id = r.user_id \
             WHERE r.id = $1 AND r.notify_ids IS NOT NULL FOR NO KEY UPDATE OF r SKIP LOCKED",
        )
        .bind::<BigInt, _>(run_id)
        .get_result(c)
        .optional()?;
        let Some(owed) = owed else { return Ok(None) };
        let n = write(c, owed.user_id, &owed.email, &owed.ids)?;
        diesel::update(bulk_runs::table.find(run_id))
            .set(bulk_runs::notify_ids.eq(None::<Vec<Option<i64>>>))
            .execute(c)?;
        Ok(Some(n))
    })
}

/// One notification per owner (other than the actor) of the changed contacts. Each contact's
/// main owner and co-owners are different users (`contacts::owners`), so each branch counts its
/// own users and the counts add up (no de-duplication of 300,000 pairs for 100,000 contacts).
fn write(conn: &mut PgConnection, actor: i64, actor_email: &str, changed: &[i64]) -> QueryResult<usize> {
    crate::db::query(
        "INSERT INTO notifications (user_id, contact_id, message) \
         SELECT o.user_id, CASE WHEN sum(o.n) = 1 THEN min(o.one) END, \
                $1 || ' changed ' || sum(o.n) || ' of your contacts in a bulk action' \
         FROM (SELECT c.main_owner_id AS user_id, count(*) AS n, min(c.id) AS one \
                 FROM unnest($3::bigint[]) AS b(id) JOIN contacts c ON c.id = b.id \
                 WHERE c.main_owner_id IS NOT NULL GROUP BY 1 \
               UNION ALL SELECT co.user_id, count(*), min(co.contact_id) FROM unnest($3::bigint[]) AS b(id) \
                 JOIN contact_owners co ON co.contact_id = b.id GROUP BY 1) o \
         WHERE o.user_id <> $2 GROUP BY o.user_id",
    )
    .bind::<Text, _>(actor_email)
    .bind::<BigInt, _>(actor)
    .bind::<Array<BigInt>, _>(changed)
    .execute(conn)
}
