//! Send batches and their outbox messages: creation and the read models of the Outbox screen.

use super::Channel;
use crate::db::schema::{message_templates, outbox_messages, send_batches, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

/// A batch row.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = send_batches)]
pub struct Batch {
    pub id: i64,
    pub created_by: i64,
    pub channel: String,
    pub template_id: Option<i64>,
    pub audience: serde_json::Value,
    pub recipients: i32,
    pub created_at: DateTime<Utc>,
}

/// A batch with its sender, template name and message counts by status.
pub struct BatchView {
    pub batch: Batch,
    pub sender: String,
    pub template_name: Option<String>,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

impl BatchView {
    pub fn channel_label(&self) -> &'static str {
        Channel::parse(&self.batch.channel).map(Channel::label).unwrap_or("?")
    }

    /// The audience as a sentence.
    pub fn audience(&self) -> String {
        serde_json::from_value::<super::audience::Audience>(
            self.batch.audience.get("selection").cloned().unwrap_or_default(),
        )
        .map(|a| a.describe(self.batch.audience.get("group_name").and_then(|v| v.as_str())))
        .unwrap_or_default()
    }
}

/// Creates a batch row (its recipient count is set once the messages are queued).
pub fn create_batch(
    conn: &mut PgConnection,
    created_by: i64,
    channel: Channel,
    template_id: i64,
    audience: serde_json::Value,
) -> QueryResult<i64> {
    diesel::insert_into(send_batches::table)
        .values((
            send_batches::created_by.eq(created_by),
            send_batches::channel.eq(channel.as_str()),
            send_batches::template_id.eq(template_id),
            send_batches::audience.eq(audience),
            send_batches::recipients.eq(0),
        ))
        .returning(send_batches::id)
        .get_result(conn)
}

/// Records how many messages a batch queued.
pub fn set_recipients(conn: &mut PgConnection, batch_id: i64, n: usize) -> QueryResult<()> {
    diesel::update(send_batches::table.find(batch_id))
        .set(send_batches::recipients.eq(i32::try_from(n).unwrap_or(i32::MAX)))
        .execute(conn)
        .map(|_| ())
}

/// Batches newest first: the user's own, or everyone's for `all`. Returns a page and whether
/// more follow. Counts by status come from one grouped query for the whole page.
pub fn list(
    conn: &mut PgConnection,
    user_id: i64,
    all: bool,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<BatchView>, bool)> {
    let mut q = send_batches::table
        .inner_join(users::table)
        .left_join(message_templates::table)
        .select((
            Batch::as_select(),
            users::first_name,
            users::last_name,
            users::email,
            message_templates::name.nullable(),
        ))
        .order(send_batches::id.desc())
        .limit(per_page + 1)
        .offset((page - 1).max(0) * per_page)
        .into_boxed();
    if !all {
        q = q.filter(send_batches::created_by.eq(user_id));
    }
    let mut rows: Vec<(Batch, String, String, String, Option<String>)> = q.load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
    let views = with_counts(conn, &ids, rows)?;
    Ok((views, more))
}

/// One batch, if `user_id` may see it (its sender, or anyone for `all`).
pub fn find(conn: &mut PgConnection, user_id: i64, all: bool, batch_id: i64) -> QueryResult<Option<BatchView>> {
    let row: Option<(Batch, String, String, String, Option<String>)> = send_batches::table
        .inner_join(users::table)
        .left_join(message_templates::table)
        .filter(send_batches::id.eq(batch_id))
        .select((
            Batch::as_select(),
            users::first_name,
            users::last_name,
            users::email,
            message_templates::name.nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some(row) = row.filter(|r| all || r.0.created_by == user_id) else {
        return Ok(None);
    };
    Ok(with_counts(conn, &[batch_id], vec![row])?.pop())
}

fn with_counts(
    conn: &mut PgConnection,
    ids: &[i64],
    rows: Vec<(Batch, String, String, String, Option<String>)>,
) -> QueryResult<Vec<BatchView>> {
    let counts: Vec<(i64, String, i64)> = outbox_messages::table
        .filter(outbox_messages::batch_id.eq_any(ids))
        .group_by((outbox_messages::batch_id, outbox_messages::status))
        .select((outbox_messages::batch_id, outbox_messages::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut by: HashMap<(i64, String), i64> = HashMap::new();
    for (b, s, n) in counts {
        by.insert((b, s), n);
    }
    let get = |b: i64, s: &str| by.get(&(b, s.to_string())).copied().unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|(batch, first, last, email, template_name)| {
            let n = format!("{} {}", first.trim(), last.trim()).trim().to_string();
            BatchView {
                // Being sent right now still counts as queued.
                queued: get(batch.id, "queued") + get(batch.id, "sending"),
                sent: get(batch.id, "sent"),
                failed: get(batch.id, "failed"),
                sender: if n.is_empty() { email } else { n },
                template_name,
                batch,
            }
        })
        .collect())
}

/// One message as the Outbox shows it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = outbox_messages)]
pub struct MessageRow {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub to_address: String,
    pub status: String,
    pub error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A page of a batch's messages, in the order they were queued.
pub fn messages(
    conn: &mut PgConnection,
    batch_id: i64,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<MessageRow>, bool)> {
    let mut rows: Vec<MessageRow> = outbox_messages::table
        .filter(outbox_messages::batch_id.eq(batch_id))
        .order(outbox_messages::id)
        .limit(per_page + 1)
        .offset((page - 1).max(0) * per_page)
        .select(MessageRow::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}
