//! A user's executed runs, newest first, for "Your bulk runs": what each did or why it did
//! nothing, and a link to its page (progress, report, undo); and, apart, their recent
//! previews, which a worker computes and which wait on their page to be executed.

use super::report::Report;
use super::spec::Spec;
use super::status;
use crate::db::schema::{bulk_runs, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// One run of the list.
pub struct Listed {
    pub id: i64,
    /// Whose run it is: their id and email.
    pub by_id: i64,
    pub by: String,
    pub actions: Vec<String>,
    /// The run this one undid.
    pub undoes: Option<i64>,
    pub status: &'static str,
    /// Contacts changed (done runs).
    pub changed: Option<i64>,
    pub queued_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

type Row = (
    i64,
    i64,
    String,
    String,
    serde_json::Value,
    Option<serde_json::Value>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// At most `n` executed runs older than run `before` (all when `None`), newest first: those of
/// `user_id`, or everyone's when `None` (one index range scan either way). Who may see
/// everyone's is the caller's to check (they may read the audit log).
pub fn executed(c: &mut PgConnection, user_id: Option<i64>, before: Option<i64>, n: i64) -> QueryResult<Vec<Listed>> {
    let mut q = bulk_runs::table
        .inner_join(users::table)
        .filter(bulk_runs::queued_at.is_not_null())
        .filter(bulk_runs::id.lt(before.unwrap_or(i64::MAX)))
        .into_boxed();
    if let Some(u) = user_id {
        q = q.filter(bulk_runs::user_id.eq(u));
    }
    let rows: Vec<Row> = q
        .order(bulk_runs::id.desc())
        .limit(n)
        .select((
            bulk_runs::id,
            bulk_runs::user_id,
            users::email,
            bulk_runs::status,
            bulk_runs::spec,
            bulk_runs::report,
            bulk_runs::queued_at,
            bulk_runs::finished_at,
        ))
        .load(c)?;
    let done: Vec<i64> = rows.iter().filter(|r| r.3 == status::DONE).map(|r| r.0).collect();
    let undone = super::undo::undone_among(c, &done)?;
    Ok(rows
        .into_iter()
        .map(|(id, by_id, by, st, spec, report, queued_at, finished_at)| {
            let spec = serde_json::from_value::<Spec>(spec).ok();
            let report = report.and_then(|r| serde_json::from_value::<Report>(r).ok());
            Listed {
                id,
                by_id,
                by,
                undoes: spec.as_ref().and_then(|s| s.undo.as_ref().map(|u| u.run_id)),
                actions: spec.map(|s| s.describe()).unwrap_or_default(),
                status: match st.as_str() {
                    status::QUEUED => "Waiting or running",
                    status::DONE if undone.contains(&id) => "Done, then undone",
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

/// A preview of the list: not executed (yet).
pub struct Preview {
    pub id: i64,
    pub actions: Vec<String>,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
}

/// How far back the list shows previews not executed.
pub const PREVIEWS_SINCE_HOURS: i64 = 24;

/// At most `n` of `user_id`'s previews from the last [`PREVIEWS_SINCE_HOURS`] not executed,
/// newest first (one index range scan).
pub fn previews_of_user(c: &mut PgConnection, user_id: i64, n: i64) -> QueryResult<Vec<Preview>> {
    let since = Utc::now() - chrono::Duration::hours(PREVIEWS_SINCE_HOURS);
    let rows: Vec<(i64, String, serde_json::Value, DateTime<Utc>)> = bulk_runs::table
        .filter(bulk_runs::user_id.eq(user_id))
        .filter(bulk_runs::queued_at.is_null())
        .filter(bulk_runs::created_at.gt(since))
        .order(bulk_runs::id.desc())
        .limit(n)
        .select((bulk_runs::id, bulk_runs::status, bulk_runs::spec, bulk_runs::created_at))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(id, st, spec, created_at)| Preview {
            id,
            actions: serde_json::from_value::<Spec>(spec).map(|s| s.describe()).unwrap_or_default(),
            status: match st.as_str() {
                status::PREVIEWING => "Being prepared",
                status::PREVIEWED => "Ready to execute",
                _ => "Failed",
            },
            created_at,
        })
        .collect())
}
