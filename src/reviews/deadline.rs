//! A review's deadline: a reminder a day before to each reviewer with items left; at the
//! deadline, what nobody decided is kept or removed as the review says (removals as the
//! review's starter, via the review), and the review closes. A recurring review starts again
//! its number of months after it started, once it has closed.

use super::decide::{record, By, Choice, Decided};
use super::{Item, Review};
use crate::access::Denied;
use crate::audit::{Actor, Entry};
use crate::db::schema::{access_review_items as i, access_reviews as r};
use chrono::{Duration, Utc};
use diesel::prelude::*;

/// Reminds, closes what is due and starts again what recurs (each review in its own
/// transaction); returns how many reviews it closed.
pub fn sweep_once(c: &mut PgConnection) -> QueryResult<usize> {
    let remind: Vec<Review> = r::table
        .filter(r::closed_at.is_null())
        .filter(r::reminded_at.is_null())
        .filter(r::deadline.le(Utc::now() + Duration::days(1)))
        .filter(r::deadline.gt(Utc::now()))
        .select(Review::as_select())
        .load(c)?;
    for rv in remind {
        c.transaction(|c| {
            let first = diesel::update(r::table.find(rv.id).filter(r::reminded_at.is_null()))
                .set(r::reminded_at.eq(Utc::now()))
                .execute(c)?;
            if first > 0 {
                let opening = format!("Access review “{}” closes within a day; you still have", rv.name);
                super::tell_reviewers(c, rv.id, &opening)?;
            }
            QueryResult::Ok(())
        })?;
    }
    let due: Vec<i64> = r::table
        .filter(r::closed_at.is_null())
        .filter(r::deadline.le(Utc::now()))
        .select(r::id)
        .order(r::deadline)
        .limit(20)
        .load(c)?;
    let mut closed = 0;
    for id in due {
        closed += c.transaction(|c| close(c, id))?;
    }
    let recurring: Vec<i64> = crate::db::query(
        "SELECT rv.id AS id FROM access_reviews rv WHERE rv.every_months IS NOT NULL AND rv.closed_at IS NOT NULL \
           AND rv.started_at + make_interval(months => rv.every_months) <= now() \
           AND NOT EXISTS (SELECT 1 FROM access_reviews n WHERE n.follows = rv.id) ORDER BY rv.id LIMIT 20",
    )
    .load::<Id>(c)?
    .into_iter()
    .map(|x| x.id)
    .collect();
    for id in recurring {
        c.transaction(|c| again(c, id))?;
    }
    Ok(closed)
}

/// Closes review `id` if it is still open and due (locked, so two instances never both do);
/// returns 1 when it did.
fn close(c: &mut PgConnection, id: i64) -> QueryResult<usize> {
    let Some(rv) = r::table
        .find(id)
        .filter(r::closed_at.is_null())
        .select(Review::as_select())
        .for_update()
        .skip_locked()
        .first(c)
        .optional()?
    else {
        return Ok(0);
    };
    let undecided: Vec<Item> =
        i::table.filter(i::review_id.eq(id)).filter(i::decision.is_null()).select(Item::as_select()).load(c)?;
    let policy = if rv.unanswered == "remove" { Choice::Remove } else { Choice::Keep };
    // (With no starter left, `remove` refuses and the item is kept with the reason: the id is
    // then written nowhere.)
    let actor =
        Actor { id: rv.started_by.unwrap_or_default(), ip: None, via: Some(format!("access review #{id} (deadline)")) };
    let mut done = Decided::default();
    for item in &undecided {
        // A removal the starter may no longer make (or that would leave no complete
        // Administrator) is kept, with the reason; the review still closes.
        let outcome = c.transaction::<_, Denied, _>(|c| {
            record(c, &rv, By::Policy(&actor), item, policy, "no decision by the deadline", &mut done)
        });
        match outcome {
            Ok(()) => {}
            Err(Denied::Db(e)) => return Err(e),
            Err(refused) => {
                // (Keeping takes nothing away: only the database can refuse it.)
                let why = format!("kept at the deadline: {refused}");
                c.transaction::<_, Denied, _>(|c| {
                    record(c, &rv, By::Policy(&actor), item, Choice::Keep, &why, &mut done)
                })
                .map_err(|e| match e {
                    Denied::Db(e) => e,
                    other => diesel::result::Error::QueryBuilderError(other.to_string().into()),
                })?;
            }
        }
    }
    diesel::update(r::table.find(id)).set(r::closed_at.eq(Utc::now())).execute(c)?;
    Entry::new(None, "review.close", "access_review", id)
        .after(serde_json::json!({
            "name": rv.name, "undecided": undecided.len(), "unanswered": rv.unanswered,
            "kept": done.kept, "removed": done.removed, "gone": done.gone,
        }))
        .record(c)?;
    Ok(1)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Starts review `id` again: as long as it ran, looking back to when it started. (The unique
/// index on `follows` keeps two instances from both doing it.)
fn again(c: &mut PgConnection, id: i64) -> QueryResult<()> {
    let Some(rv) = super::find(c, id)? else { return Ok(()) };
    // Only while its starter may still start reviews; else it stops repeating, and says so.
    let starter = match rv.started_by {
        Some(s) => crate::access::facts::subject(c, s)?,
        None => None,
    };
    if starter.is_none_or(|s| crate::access::authority::reviews(&s).is_err()) {
        diesel::update(r::table.find(id)).set(r::every_months.eq(None::<i32>)).execute(c)?;
        return Entry::new(None, "review.repeat_stopped", "access_review", id)
            .after(serde_json::json!({ "name": rv.name, "reason": "its starter may no longer start reviews" }))
            .record(c);
    }
    let deadline = Utc::now() + (rv.deadline - rv.started_at);
    let next: Option<i64> = diesel::insert_into(r::table)
        .values((
            r::name.eq(&rv.name),
            r::scope.eq(&rv.scope),
            r::scope_value.eq(&rv.scope_value),
            r::reviewers.eq(&rv.reviewers),
            r::reviewer_id.eq(rv.reviewer_id),
            r::deadline.eq(deadline),
            r::unanswered.eq(&rv.unanswered),
            r::every_months.eq(rv.every_months),
            r::used_since.eq(rv.started_at),
            r::started_by.eq(rv.started_by),
            r::follows.eq(rv.id),
        ))
        .on_conflict_do_nothing()
        .returning(r::id)
        .get_result(c)
        .optional()?;
    let Some(next) = next else { return Ok(()) };
    let items = super::snapshot::take(c, next)?;
    super::tell_reviewers(c, next, &format!("Access review “{}” (again) asks you to confirm", rv.name))?;
    Entry::new(None, "review.start", "access_review", next)
        .after(serde_json::json!({ "name": rv.name, "follows": rv.id, "deadline": deadline, "items": items }))
        .record(c)
}

/// The background sweep of reviews (with the other periodic work).
pub fn sweep(workers: &crate::jobs::Workers) -> Result<(), crate::error::AppError> {
    let closed = sweep_once(&mut *workers.db.get_blocking()?)?;
    if closed > 0 {
        tracing::info!(closed, "access reviews closed at their deadline");
    }
    Ok(())
}
