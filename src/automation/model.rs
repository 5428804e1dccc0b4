//! The rule record, its form, validation and storage.

use crate::db::schema::{access_groups, automation_rules, users};
use crate::permissions::{Perm, PermSet};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// Triggers: (stored value, label).
pub const TRIGGERS: &[(&str, &str)] = &[
    ("contact_created", "Contact created"),
    ("tag_added", "Tag added"),
    ("form_submitted", "Form submitted"),
    ("imported", "Contacts imported"),
];

/// Actions: (stored value, label).
pub const ACTIONS: &[(&str, &str)] = &[
    ("set_main_owner", "Set main owner"),
    ("add_co_owner", "Add co-owner"),
    ("add_tag", "Add tag"),
    ("add_access_group", "Add to access group"),
];

fn label_of(list: &[(&'static str, &'static str)], key: &str) -> &'static str {
    list.iter().find(|(k, _)| *k == key).map(|(_, l)| *l).unwrap_or("?")
}

/// One automation rule.
#[derive(Queryable, Selectable, Identifiable, Debug, Clone, Serialize)]
#[diesel(table_name = automation_rules)]
pub struct Rule {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub trigger: String,
    pub trigger_tag: Option<String>,
    pub has_tag: Option<String>,
    pub category: Option<String>,
    pub no_main_owner: bool,
    pub action: String,
    pub action_user_id: Option<i64>,
    pub action_read_only: bool,
    pub action_tag: Option<String>,
    pub action_group_id: Option<i64>,
    pub enabled: bool,
    pub shared: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Rule {
    pub fn trigger_label(&self) -> &'static str {
        label_of(TRIGGERS, &self.trigger)
    }

    pub fn action_label(&self) -> &'static str {
        label_of(ACTIONS, &self.action)
    }

    /// Owner or Administrator: may edit, enable/disable and delete the rule.
    pub fn manageable_by(&self, user_id: i64, administrator: bool) -> bool {
        administrator || self.owner_id == user_id
    }
}

/// The rule form as typed (also what an edit form starts from).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RuleForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub trigger: String,
    #[serde(default)]
    pub trigger_tag: String,
    #[serde(default)]
    pub has_tag: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub no_main_owner: bool,
    #[serde(default)]
    pub action: String,
    /// Email of the user for set_main_owner / add_co_owner.
    #[serde(default)]
    pub action_user: String,
    #[serde(default)]
    pub action_read_only: bool,
    #[serde(default)]
    pub action_tag: String,
    /// Access group id as typed (a select); empty when none chosen.
    #[serde(default)]
    pub action_group_id: String,
    #[serde(default)]
    pub enabled: bool,
    /// The version the edit form was loaded at (optimistic locking); 0 on create.
    #[serde(default)]
    pub version: i32,
}

/// A form that passed validation: the values to store (the rule's own columns, written as
/// they are by create and update; a `None` clears its column).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = automation_rules, treat_none_as_null = true)]
pub struct Valid {
    pub name: String,
    pub trigger: String,
    pub trigger_tag: Option<String>,
    pub has_tag: Option<String>,
    pub category: Option<String>,
    pub no_main_owner: bool,
    pub action: String,
    pub action_user_id: Option<i64>,
    pub action_read_only: bool,
    pub action_tag: Option<String>,
    pub action_group_id: Option<i64>,
    pub enabled: bool,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn tag_error(tag: &str) -> Option<&'static str> {
    if tag.contains(',') {
        Some("One tag only, without commas.")
    } else if tag.chars().count() > 100 {
        Some("Keep tags under 100 characters.")
    } else {
        None
    }
}

impl RuleForm {
    /// The form showing a stored rule.
    pub fn from_rule(conn: &mut PgConnection, r: &Rule) -> QueryResult<RuleForm> {
        let action_user = match r.action_user_id {
            Some(u) => users::table.find(u).select(users::email).first::<String>(conn).optional()?.unwrap_or_default(),
            None => String::new(),
        };
        Ok(RuleForm {
            name: r.name.clone(),
            trigger: r.trigger.clone(),
            trigger_tag: r.trigger_tag.clone().unwrap_or_default(),
            has_tag: r.has_tag.clone().unwrap_or_default(),
            category: r.category.clone().unwrap_or_default(),
            no_main_owner: r.no_main_owner,
            action: r.action.clone(),
            action_user,
            action_read_only: r.action_read_only,
            action_tag: r.action_tag.clone().unwrap_or_default(),
            action_group_id: r.action_group_id.map(|g| g.to_string()).unwrap_or_default(),
            enabled: r.enabled,
            version: r.version,
        })
    }

    /// Checks the form. `perms` are the editor's: a rule may only do what its editor could do
    /// by hand (owners and groups need contacts.assign, tags contacts.edit), so automation is
    /// no way around a missing permission.
    pub fn validate(&self, conn: &mut PgConnection, perms: &PermSet) -> QueryResult<Result<Valid, FieldErrors>> {
        let mut e = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            e.add("name", "Give the rule a name.");
        } else if name.chars().count() > 200 {
            e.add("name", "Keep the name under 200 characters.");
        }
        if !TRIGGERS.iter().any(|(k, _)| *k == self.trigger) {
            e.add("trigger", "Choose what starts the rule.");
        }
        // Only a tag_added rule has a trigger tag; other triggers ignore the field.
        let trigger_tag = if self.trigger == "tag_added" { opt(&self.trigger_tag) } else { None };
        for (field, v) in [("trigger_tag", &trigger_tag), ("has_tag", &opt(&self.has_tag))] {
            if let Some(msg) = v.as_deref().and_then(tag_error) {
                e.add(field, msg);
            }
        }
        if self.category.trim().chars().count() > 100 {
            e.add("category", "Keep the category under 100 characters.");
        }
        let (mut user, mut tag, mut group) = (None, None, None);
        match self.action.as_str() {
            "set_main_owner" | "add_co_owner" => {
                if !perms.contains(Perm::ContactsAssign) {
                    e.add("action", "Changing owners needs the contacts.assign permission, which you do not have.");
                }
                if self.action_user.trim().is_empty() {
                    e.add("action_user", "Enter the email of the user to make owner.");
                } else {
                    user = crate::contacts::owners::active_user_by_email(conn, &self.action_user)?;
                    if user.is_none() {
                        e.add("action_user", "No active user has this email address.");
                    }
                }
            }
            "add_tag" => {
                if !perms.contains(Perm::ContactsEdit) {
                    e.add("action", "Adding tags needs the contacts.edit permission, which you do not have.");
                }
                tag = opt(&self.action_tag);
                match tag.as_deref() {
                    None => e.add("action_tag", "Enter the tag to add."),
                    Some(t) => {
                        if let Some(msg) = tag_error(t) {
                            e.add("action_tag", msg);
                        }
                    }
                }
            }
            "add_access_group" => {
                if !perms.contains(Perm::ContactsAssign) {
                    e.add(
                        "action",
                        "Changing access groups needs the contacts.assign permission, which you do not have.",
                    );
                }
                group = match self.action_group_id.trim().parse::<i64>() {
                    Ok(g) => access_groups::table.find(g).select(access_groups::id).first::<i64>(conn).optional()?,
                    Err(_) => None,
                };
                if group.is_none() {
                    e.add("action_group_id", "Choose an existing access group.");
                }
            }
            _ => e.add("action", "Choose what the rule does."),
        }
        if !e.is_empty() {
            return Ok(Err(e));
        }
        Ok(Ok(Valid {
            name: name.to_string(),
            trigger: self.trigger.clone(),
            trigger_tag,
            has_tag: opt(&self.has_tag),
            category: opt(&self.category),
            no_main_owner: self.no_main_owner,
            action: self.action.clone(),
            action_user_id: user,
            action_read_only: self.action == "add_co_owner" && self.action_read_only,
            action_tag: tag,
            action_group_id: group,
            enabled: self.enabled,
        }))
    }
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Rule> {
    automation_rules::table.find(id).select(Rule::as_select()).first(conn)
}

/// Locks the rule row for a change in this transaction.
pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Rule> {
    automation_rules::table.find(id).select(Rule::as_select()).for_update().first(conn)
}

pub fn create(conn: &mut PgConnection, owner: i64, v: &Valid) -> QueryResult<Rule> {
    diesel::insert_into(automation_rules::table)
        .values((automation_rules::owner_id.eq(owner), v))
        .returning(Rule::as_returning())
        .get_result(conn)
}

/// Saves an edit if the rule is still at `version`; `Ok(None)` when someone saved first.
pub fn update(conn: &mut PgConnection, id: i64, version: i32, v: &Valid) -> QueryResult<Option<Rule>> {
    diesel::update(
        automation_rules::table.filter(automation_rules::id.eq(id)).filter(automation_rules::version.eq(version)),
    )
    .set((v, automation_rules::version.eq(automation_rules::version + 1), automation_rules::updated_at.eq(Utc::now())))
    .returning(Rule::as_returning())
    .get_result(conn)
    .optional()
}

/// Sets the enabled or shared flag; returns the rule after the change.
pub fn set_flag(conn: &mut PgConnection, id: i64, shared: bool, on: bool) -> QueryResult<Rule> {
    let target = automation_rules::table.find(id);
    let now = Utc::now();
    let bump = (automation_rules::version.eq(automation_rules::version + 1), automation_rules::updated_at.eq(now));
    if shared {
        diesel::update(target)
            .set((automation_rules::shared.eq(on), bump))
            .returning(Rule::as_returning())
            .get_result(conn)
    } else {
        diesel::update(target)
            .set((automation_rules::enabled.eq(on), bump))
            .returning(Rule::as_returning())
            .get_result(conn)
    }
}

pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(automation_rules::table.find(id)).execute(conn)
}
