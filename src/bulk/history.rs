//! A user's executed runs, newest first, for "Your bulk runs": what each did or why it did
//! nothing, and a link to its page (progress, report, undo).

use super::report::Report;
use super::spec::Spec;
use super::status;
use crate::db::schema::bulk_runs;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// One run of the list.
pub struct Listed {
    pub id: i64,
    pub actions: Vec<String>,
    /// The run this one undid.
    pub undoes: Option<i64>,
    pub status: &'static str,
    /// Contacts changed (done runs).
    pub changed: Option<i64>,
    pub queued_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

type Row = (i64, String, serde_json::Value, Option<serde_json::Value>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// At most `n` of `user_id`'s executed runs older than run `before` (all when `None`), newest
/// first (one index range scan).
pub fn of_user(c: &mut PgConnection, user_id: i64, before: Option<i64>, n: i64) -> QueryResult<Vec<Listed>> {
    let rows: Vec<Row> = bulk_runs::table
        .filter(bulk_runs::user_id.eq(user_id))
        .filter(bulk_runs::status.ne(status::PREVIEWED))
        .filter(bulk_runs::id.lt(before.unwrap_or(i64::MAX)))
        .order(bulk_runs::id.desc())
        .limit(n)
        .select((
            bulk_runs::id,
            bulk_runs::status,
            bulk_runs::spec,
            bulk_runs::report,
            bulk_runs::queued_at,
            bulk_runs::finished_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(id, st, spec, report, queued_at, finished_at)| {
            let spec = serde_json::from_value::<Spec>(spec).ok();
            let report = report.and_then(|r| serde_json::from_value::<Report>(r).ok());
            Listed {
                id,
                undoes: spec.as_ref().and_then(|s| s.undo.as_ref().map(|u| u.run_id)),
                actions: spec.map(|s| s.describe()).unwrap_or_default(),
                status: match st.as_str() {
                    status::QUEUED => "Waiting or running",
                    status::DONE => "Done",
                    status::CHANGED => "Not applied: the data changed since the preview",
                    _ => "Not applied",
                },
                changed: report.filter(|_| st == status::DONE).map(|r| r.changed),
                queued_at,
                finished_at,
            }
        })
        .collect())
}
