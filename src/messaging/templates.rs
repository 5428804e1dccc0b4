//! Message templates: owned by their creator; a shared template can be viewed, used and copied
//! by others; only the owner or an Administrator edits or deletes (SPEC screen 13).

use super::{Channel, SMS_MAX_CHARS};
use crate::db::schema::{message_templates, users};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// A stored template.
#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = message_templates)]
pub struct MessageTemplate {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub channel: String,
    pub subject: Option<String>,
    pub body: String,
    pub shared: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl MessageTemplate {
    pub fn channel(&self) -> Channel {
        Channel::parse(&self.channel).unwrap_or(Channel::Email)
    }

    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name, "channel": self.channel, "subject": self.subject,
            "body": self.body, "shared": self.shared, "owner_id": self.owner_id,
        })
    }
}

/// A template with its owner's name, for lists.
pub struct Listed {
    pub template: MessageTemplate,
    pub owner_name: String,
}

/// Who is asking: templates are visible to their owner, to everyone when shared, and to
/// Administrators (who may edit and delete any template, so must be able to open it).
#[derive(Clone, Copy, Debug)]
pub struct Reader {
    pub user_id: i64,
    pub administrator: bool,
}

impl Reader {
    /// Owner or Administrator: may edit and delete.
    pub fn may_modify(&self, t: &MessageTemplate) -> bool {
        self.administrator || t.owner_id == self.user_id
    }
}

/// The templates `reader` may see (own first, then others'), optionally of one channel.
pub fn visible(conn: &mut PgConnection, reader: Reader, channel: Option<Channel>) -> QueryResult<Vec<Listed>> {
    let mut q = message_templates::table
        .inner_join(users::table)
        .select((MessageTemplate::as_select(), users::first_name, users::last_name, users::email))
        .into_boxed();
    if !reader.administrator {
        q = q.filter(message_templates::owner_id.eq(reader.user_id).or(message_templates::shared.eq(true)));
    }
    if let Some(ch) = channel {
        q = q.filter(message_templates::channel.eq(ch.as_str()));
    }
    let rows: Vec<(MessageTemplate, String, String, String)> = q
        .order((message_templates::owner_id.ne(reader.user_id), message_templates::name, message_templates::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(template, first, last, email)| {
            let n = format!("{} {}", first.trim(), last.trim()).trim().to_string();
            Listed { template, owner_name: if n.is_empty() { email } else { n } }
        })
        .collect())
}

/// One template if `reader` may see it; `None` otherwise (shown as "not found", so the
/// existence of someone else's private template is not revealed).
pub fn find_visible(conn: &mut PgConnection, reader: Reader, id: i64) -> QueryResult<Option<MessageTemplate>> {
    let t = message_templates::table.find(id).select(MessageTemplate::as_select()).first(conn).optional()?;
    Ok(t.filter(|t| reader.administrator || t.owner_id == reader.user_id || t.shared))
}

/// The fields of the template form, as typed.
#[derive(Deserialize, Default, Debug, Clone)]
pub struct TemplateForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// The version the edit form was opened at (optimistic locking).
    #[serde(default)]
    pub version: i32,
}

impl TemplateForm {
    pub fn from_template(t: &MessageTemplate) -> TemplateForm {
        TemplateForm {
            name: t.name.clone(),
            channel: t.channel.clone(),
            subject: t.subject.clone().unwrap_or_default(),
            body: t.body.clone(),
            version: t.version,
        }
    }
}

/// A validated template.
#[derive(Debug, Clone)]
pub struct ValidTemplate {
    pub name: String,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
}

impl ValidTemplate {
    /// Checks the form; on failure, the messages for each field.
    pub fn parse(f: &TemplateForm) -> Result<ValidTemplate, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = f.name.trim();
        if name.is_empty() {
            e.add("name", "Give the template a name.");
        } else if name.chars().count() > 200 {
            e.add("name", "The name can be at most 200 characters.");
        }
        let channel = Channel::parse(f.channel.trim());
        if channel.is_none() {
            e.add("channel", "Choose email or SMS.");
        }
        let subject = f.subject.trim();
        if channel == Some(Channel::Email) {
            if subject.is_empty() {
                e.add("subject", "An email needs a subject.");
            } else if subject.contains(['\r', '\n']) {
                e.add("subject", "The subject must be a single line.");
            } else if subject.chars().count() > 300 {
                e.add("subject", "The subject can be at most 300 characters.");
            }
        }
        let body = f.body.trim_end();
        if body.trim().is_empty() {
            e.add("body", "Write the message.");
        } else if channel == Some(Channel::Sms) && body.chars().count() > SMS_MAX_CHARS {
            e.add(
                "body",
                format!("An SMS can be at most {SMS_MAX_CHARS} characters; this one has {}.", body.chars().count()),
            );
        } else if body.len() > 200_000 {
            e.add("body", "The message is too long.");
        }
        match channel {
            Some(channel) if e.is_empty() => Ok(ValidTemplate {
                name: name.to_string(),
                channel,
                subject: (channel == Channel::Email).then(|| subject.to_string()),
                body: body.to_string(),
            }),
            _ => Err(e),
        }
    }
}

/// Creates a template owned by `owner_id` (not shared).
pub fn create(conn: &mut PgConnection, owner_id: i64, v: &ValidTemplate) -> QueryResult<MessageTemplate> {
    diesel::insert_into(message_templates::table)
        .values((
            message_templates::owner_id.eq(owner_id),
            message_templates::name.eq(&v.name),
            message_templates::channel.eq(v.channel.as_str()),
            message_templates::subject.eq(&v.subject),
            message_templates::body.eq(&v.body),
        ))
        .returning(MessageTemplate::as_returning())
        .get_result(conn)
}

/// Updates a template if it is still at `version`; `None` when someone changed it meanwhile.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    version: i32,
    v: &ValidTemplate,
) -> QueryResult<Option<MessageTemplate>> {
    diesel::update(
        message_templates::table.filter(message_templates::id.eq(id)).filter(message_templates::version.eq(version)),
    )
    .set((
        message_templates::name.eq(&v.name),
        message_templates::channel.eq(v.channel.as_str()),
        message_templates::subject.eq(&v.subject),
        message_templates::body.eq(&v.body),
        message_templates::updated_at.eq(Utc::now()),
        message_templates::version.eq(version + 1),
    ))
    .returning(MessageTemplate::as_returning())
    .get_result(conn)
    .optional()
}

/// Sets the shared flag.
pub fn set_shared(conn: &mut PgConnection, id: i64, shared: bool) -> QueryResult<MessageTemplate> {
    diesel::update(message_templates::table.find(id))
        .set((
            message_templates::shared.eq(shared),
            message_templates::updated_at.eq(Utc::now()),
            message_templates::version.eq(message_templates::version + 1),
        ))
        .returning(MessageTemplate::as_returning())
        .get_result(conn)
}

/// Deletes a template (past batches keep their messages; their template link becomes empty).
pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(message_templates::table.find(id)).execute(conn)
}

/// "Copy of …": a private copy owned by `owner_id`.
pub fn copy(conn: &mut PgConnection, source: &MessageTemplate, owner_id: i64) -> QueryResult<MessageTemplate> {
    let name: String = format!("Copy of {}", source.name).chars().take(200).collect();
    create(
        conn,
        owner_id,
        &ValidTemplate { name, channel: source.channel(), subject: source.subject.clone(), body: source.body.clone() },
    )
}
