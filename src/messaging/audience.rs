//! Who a message goes to. An audience (a tag, an access group or the contact-list filters)
//! selects contacts; the access rules then split them into recipients (level act with an
//! address) and the left-out, with reasons. Everything is set-based SQL over `contacts c`
//! using [`crate::access::filter::reaches`]: no per-contact loop.

use super::Channel;
use crate::access::{filter::permits, filter::reaches, Level, Subject};
use crate::db::sql::sql;
use crate::db::sql::{Bind, Sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The contacts a message is addressed to, before access rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Contacts carrying a tag.
    Tag { tag: String },
    /// Contacts in an access group.
    Group { group_id: i64 },
    /// The contact-list filters: name/email fragment, tag, category (empty = any).
    Filter { q: String, tag: String, category: String },
}

impl Audience {
    /// A WHERE condition over `contacts c`.
    fn condition(&self) -> Sql {
        let has_tag = |tag: String| {
            sql!("EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag = ", Bind::Text(tag), ")")
        };
        match self {
            Audience::Tag { tag } => has_tag(tag.clone()),
            Audience::Group { group_id } => sql!(
                "EXISTS (SELECT 1 FROM contact_access_groups g WHERE g.contact_id = c.id AND g.group_id = ",
                *group_id,
                ")"
            ),
            Audience::Filter { q, tag, category } => {
                let mut c = Sql::new("TRUE");
                if !q.trim().is_empty() {
                    c.push(" AND c.search LIKE ")
                        .bind(Bind::Text(crate::db::sql::contains_pattern(&q.trim().to_lowercase())));
                }
                if !tag.trim().is_empty() {
                    c.push(" AND ").append(&has_tag(tag.trim().to_string()));
                }
                if !category.trim().is_empty() {
                    c.push(" AND c.category = ").bind(Bind::Text(category.trim().to_string()));
                }
                c
            }
        }
    }

    /// A short description for pages and the audit log.
    pub fn describe(&self, group_name: Option<&str>) -> String {
        match self {
            Audience::Tag { tag } => format!("contacts tagged \u{201c}{tag}\u{201d}"),
            Audience::Group { group_id } => {
                format!(
                    "contacts in access group \u{201c}{}\u{201d}",
                    group_name.map(str::to_string).unwrap_or(format!("#{group_id}"))
                )
            }
            Audience::Filter { q, tag, category } => {
                let mut p = Vec::new();
                if !q.is_empty() {
                    p.push(format!("name or email contains \u{201c}{q}\u{201d}"));
                }
                if !tag.is_empty() {
                    p.push(format!("tagged \u{201c}{tag}\u{201d}"));
                }
                if !category.is_empty() {
                    p.push(format!("category \u{201c}{category}\u{201d}"));
                }
                if p.is_empty() {
                    "all contacts".into()
                } else {
                    format!("contacts where {}", p.join(", "))
                }
            }
        }
    }
}

/// "This contact has no address on the channel" over `c`.
fn no_address(channel: Channel) -> Sql {
    sql!("coalesce(btrim(", channel.address_column(), "), '') = ''")
}

/// The split of an audience for one user and channel.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Contacts the audience selects among those the user can see. Contacts the user cannot
    /// see are counted nowhere: a count of them would be a search oracle.
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    /// Left out: visible, but read-only or view/edit access (level below act).
    #[diesel(sql_type = BigInt)]
    pub limited: i64,
    /// Left out: level act, but no email (email) or phone (SMS).
    #[diesel(sql_type = BigInt)]
    pub no_address: i64,
    /// Will receive the message.
    #[diesel(sql_type = BigInt)]
    pub recipients: i64,
    /// A fingerprint of the recipients' ids (two order-independent hash aggregates, no sort):
    /// changes when the recipient set changes.
    #[diesel(sql_type = Text)]
    pub ids_hash: String,
}

impl Counts {
    /// The token a preview carries to "Send": recipients and template version together, so a
    /// send goes ahead only if nothing the user was shown has changed.
    pub fn token(&self, template_id: i64, template_version: i32) -> String {
        let raw = format!("{}|{}|{template_id}|{template_version}", self.ids_hash, self.recipients);
        hex::encode(&Sha256::digest(raw.as_bytes())[..16])
    }
}

/// Counts who receives a message and who is left out and why, in one statement.
pub fn count(conn: &mut PgConnection, s: &Subject, channel: Channel, audience: &Audience) -> QueryResult<Counts> {
    // Counted among the contacts the user reaches (level view, whatever their screen
    // permissions: a sending operator need not open cards); sent to those the Send operation
    // permits.
    let view = reaches(s, Level::View);
    let act = permits(s, channel.operation());
    // Each predicate is evaluated once per contact in the inner query and each access
    // sub-query is hashed once; the outer query only counts. OFFSET 0 keeps PostgreSQL from
    // pulling the inner query up, which would copy the predicates into every FILTER (about
    // twice as slow on a million contacts).
    sql!(
        "SELECT count(*) AS total, \
           count(*) FILTER (WHERE NOT a) AS limited, \
           count(*) FILTER (WHERE a AND m) AS no_address, \
           count(*) FILTER (WHERE a AND NOT m) AS recipients, \
           coalesce(sum(hashint8(id)::bigint) FILTER (WHERE a AND NOT m), 0)::text || ':' || \
             coalesce(bit_xor(hashint8extended(id, 7)) FILTER (WHERE a AND NOT m), 0)::text AS ids_hash \
         FROM (SELECT c.id, (",
        act,
        ") AS a, ",
        no_address(channel),
        " AS m FROM contacts c WHERE (",
        audience.condition(),
        ") AND (",
        view,
        ") OFFSET 0) x"
    )
    .query()
    .get_result(conn)
}

/// A recipient shown on the preview (only to users who may view contacts).
#[derive(QueryableByName, Debug, Clone)]
pub struct SampleRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub first_name: String,
    #[diesel(sql_type = Text)]
    pub last_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub address: Option<String>,
}

/// The first `limit` recipients. Call only for users holding contacts.view: every recipient is
/// at level act, so visible to them.
pub fn sample(
    conn: &mut PgConnection,
    s: &Subject,
    channel: Channel,
    audience: &Audience,
    limit: i64,
) -> QueryResult<Vec<SampleRow>> {
    sql!(
        "SELECT c.id, c.first_name, c.last_name, ",
        channel.address_column(),
        " AS address FROM contacts c WHERE ",
        audience.condition(),
        " AND (",
        permits(s, channel.operation()),
        ") AND NOT ",
        no_address(channel),
        " ORDER BY c.id LIMIT ",
        limit.clamp(0, 100)
    )
    .query()
    .load(conn)
}

/// What is written for each recipient.
pub struct Message<'a> {
    pub batch_id: i64,
    pub channel: Channel,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub created_by: i64,
}

/// Queues one message per recipient in ONE `INSERT … SELECT`. `{first_name}` and
/// `{last_name}` in subject and body are replaced with the contact's fields.
pub fn enqueue(conn: &mut PgConnection, s: &Subject, audience: &Audience, m: &Message) -> QueryResult<usize> {
    let personal =
        |text: Bind| sql!("replace(replace(", text, ", '{first_name}', c.first_name), '{last_name}', c.last_name)");
    sql!(
        "INSERT INTO outbox_messages (batch_id, contact_id, channel, to_address, subject, body, created_by) SELECT ",
        m.batch_id,
        ", c.id, ",
        Bind::Text(m.channel.as_str().to_string()),
        ", btrim(",
        m.channel.address_column(),
        "), ",
        personal(Bind::OptText(m.subject.map(str::to_string))),
        ", ",
        personal(Bind::Text(m.body.to_string())),
        ", ",
        m.created_by,
        " FROM contacts c WHERE ",
        audience.condition(),
        " AND (",
        permits(s, m.channel.operation()),
        ") AND NOT ",
        no_address(m.channel),
        " ORDER BY c.id"
    )
    .query()
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_binds_each_value_it_uses() {
        let a = Audience::Filter { q: "x".into(), tag: "".into(), category: "vip".into() };
        assert_eq!(a.condition().text(), "TRUE AND c.search LIKE $1 AND c.category = $2");
    }
}
