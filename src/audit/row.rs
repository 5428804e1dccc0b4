//! One audit entry as the screens show it: who, when, what, and a readable before/after.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One audit entry with its actor's email, and (once told) the sentence that says it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
    pub via: Option<String>,
    /// The entry as a sentence ([`super::sentence::tell`]); empty until told.
    pub told: Vec<Part>,
}

/// A piece of an entry's sentence: words, or a name linked to its page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Link(String, String),
}

/// The columns of an entry as stored (see `query::columns`).
type Stored = (
    i64,
    DateTime<Utc>,
    Option<i64>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<Value>,
    Option<Value>,
    Option<String>,
    Option<String>,
);

impl<ST, DB> Queryable<ST, DB> for Row
where
    DB: diesel::backend::Backend,
    Stored: diesel::deserialize::FromStaticSqlRow<ST, DB>,
{
    type Row = Stored;

    fn build(
        (id, at, actor_id, actor_email, action, object_type, object_id, before, after, ip, via): Stored,
    ) -> diesel::deserialize::Result<Row> {
        Ok(Row {
            id,
            at,
            actor_id,
            actor_email,
            action,
            object_type,
            object_id,
            before,
            after,
            ip,
            via,
            told: Vec::new(),
        })
    }
}

/// Fields that only keep the row's books (edit conflicts, timestamps): left out of the table
/// of changes, still in the JSON behind it.
const INTERNAL: [&str; 3] = ["version", "updated_at", "created_at"];

/// A field that differs between before and after.
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

fn show(v: Option<&&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl Row {
    pub fn at_display(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// The time for `<time datetime>`: whole seconds (HTML allows at most three digits of
    /// fraction; PostgreSQL keeps six).
    pub fn at_machine(&self) -> String {
        self.at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    pub fn actor_display(&self) -> String {
        let who = match (&self.actor_email, self.actor_id) {
            (Some(e), _) => e.clone(),
            (None, Some(id)) => format!("user #{id}"),
            (None, None) => "system".to_string(),
        };
        match &self.via {
            Some(via) => format!("{via} (acting for {who})"),
            None => who,
        }
    }

    /// Where the object lives, when it has a page.
    pub fn object_href(&self) -> Option<String> {
        let (kind, id) = self.object()?;
        let base = match kind {
            "user" => "/users",
            "contact" => "/contacts",
            "team" => "/teams",
            "access_group" => "/access-groups",
            "preset" => "/presets",
            "automation_rule" => "/automation",
            "template" => "/templates",
            "segment" => "/segments",
            // The run's report, where it can be undone.
            "bulk_run" => "/contacts/manage/runs",
            _ => return None,
        };
        Some(format!("{base}/{id}"))
    }

    /// The entry's object as a kind of page ("user", "contact", "team", "access_group",
    /// "preset", "automation_rule", "template", "segment", "form", "api_token", "bulk_run",
    /// "import_job") and its number, when it is one of those.
    pub fn object(&self) -> Option<(&'static str, i64)> {
        let id = self.object_id.as_deref().filter(|id| id.chars().all(|c| c.is_ascii_digit()))?.parse::<i64>().ok()?;
        let kind = match self.object_type.as_str() {
            "user" => "user",
            "contact" => "contact",
            "team" => "team",
            "access_group" => "access_group",
            "preset" => "preset",
            "automation_rule" => "automation_rule",
            "template" | "message_template" => "template",
            "segment" => "segment",
            "form" => "form",
            "api_token" => "api_token",
            "bulk_run" => "bulk_run",
            "import_job" => "import_job",
            _ => return None,
        };
        Some((kind, id))
    }

    /// Whether the entry was hidden from its reader (a contact they may not see).
    pub fn redacted(&self) -> bool {
        self.after.as_ref().is_some_and(|a| a.get("redacted").is_some())
    }

    /// A member of the entry's after state, else of its before state (null counts as absent).
    pub fn field(&self, key: &str) -> Option<&Value> {
        fn pick<'a>(v: &'a Option<Value>, key: &str) -> Option<&'a Value> {
            v.as_ref().and_then(|v| v.get(key)).filter(|x| !x.is_null())
        }
        pick(&self.after, key).or_else(|| pick(&self.before, key))
    }

    /// The action in words: "team.member_add" → "team: member add".
    pub fn action_words(&self) -> String {
        words(&self.action)
    }

    pub fn object_display(&self) -> String {
        match &self.object_id {
            Some(id) => format!("{} #{id}", self.object_type),
            None => self.object_type.clone(),
        }
    }

    /// Pretty-printed JSON of the before state ("" when none).
    pub fn before_pretty(&self) -> String {
        self.before.as_ref().and_then(|v| serde_json::to_string_pretty(v).ok()).unwrap_or_default()
    }

    /// Pretty-printed JSON of the after state ("" when none).
    pub fn after_pretty(&self) -> String {
        self.after.as_ref().and_then(|v| serde_json::to_string_pretty(v).ok()).unwrap_or_default()
    }

    /// Field-by-field differences, nested objects flattened to dotted names: what a reader
    /// wants first; the full JSON stays available below it. A missing side (creation,
    /// deletion) reads as empty. Nothing when neither side is an object.
    pub fn changes(&self) -> Vec<Change> {
        let (mut b, mut a) = (BTreeMap::new(), BTreeMap::new());
        flatten("", self.before.as_ref(), &mut b);
        flatten("", self.after.as_ref(), &mut a);
        if b.is_empty() && a.is_empty() {
            return Vec::new();
        }
        let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        keys.into_iter()
            // The row's bookkeeping says nothing a reader wants.
            .filter(|k| !INTERNAL.contains(&k.rsplit('.').next().unwrap_or(k)))
            .map(|k| Change { field: k.clone(), before: show(b.get(k)), after: show(a.get(k)) })
            // Missing and null read the same.
            .filter(|c| c.before != c.after)
            .collect()
    }
}

/// An action key in words: "team.member_add" → "team: member add".
pub fn words(action: &str) -> String {
    match action.split_once('.') {
        Some((object, verb)) => format!("{}: {}", object.replace('_', " "), verb.replace('_', " ")),
        None => action.replace('_', " "),
    }
}

static NULL: Value = Value::Null;

/// Flattens objects into `dotted.name → value`; anything else under `prefix` stays whole.
fn flatten<'a>(prefix: &str, v: Option<&'a Value>, out: &mut BTreeMap<String, &'a Value>) {
    match v {
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&name, Some(v), out);
            }
        }
        Some(Value::Null) | None if !prefix.is_empty() => {
            out.insert(prefix.to_string(), &NULL);
        }
        Some(other) if !prefix.is_empty() => {
            out.insert(prefix.to_string(), other);
        }
        _ => {}
    }
}
