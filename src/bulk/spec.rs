//! What a bulk Manage run does: any combination of actions, parsed and checked from the form.

use crate::access::ends::End;
use crate::contacts::model::parse_tags;
use crate::contacts::owners;
use crate::permissions::{Perm, PermSet};
use crate::validation::FieldErrors;
use diesel::PgConnection;
use serde::{Deserialize, Serialize};

/// The actions form, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ActionsForm {
    #[serde(default)]
    pub add_co_owner: String,
    #[serde(default)]
    pub add_co_owner_read_only: Option<String>,
    /// Until when the co-owners added stay (empty: no end).
    #[serde(default)]
    pub add_co_owner_until: String,
    #[serde(default)]
    pub remove_owner: String,
    #[serde(default)]
    pub set_main_owner: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub add_group: String,
    #[serde(default)]
    pub remove_group: String,
}

/// The checked actions, with users resolved to ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Spec {
    pub set_main_owner: Option<(i64, String)>,
    pub add_co_owner: Option<(i64, String, bool)>,
    /// The end of the co-ownerships "add co-owner" creates (those that exist keep theirs).
    #[serde(default)]
    pub add_co_owner_end: End,
    pub remove_owner: Option<(i64, String)>,
    pub tags: Vec<String>,
    pub add_group: Option<(i64, String)>,
    pub remove_group: Option<(i64, String)>,
    /// Set for the undo of an earlier run (then every other action is empty).
    #[serde(default)]
    pub undo: Option<Undo>,
}

/// An undo: of which run, and the recorded (statement, kind) pairs it reverses, last first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    pub run_id: i64,
    /// The actions of the run undone (for the permissions they need, and their description).
    pub of: Box<Spec>,
    pub records: Vec<(i32, String)>,
}

impl Spec {
    pub fn is_empty(&self) -> bool {
        self == &Spec::default()
    }

    /// The actions whose permissions apply: an undo needs what the run it undoes needed.
    fn acting(&self) -> &Spec {
        self.undo.as_ref().map_or(self, |u| &u.of)
    }

    /// Whether any action changes owners or groups (needs contacts.assign).
    pub fn assigns(&self) -> bool {
        let s = self.acting();
        s.set_main_owner.is_some()
            || s.add_co_owner.is_some()
            || s.remove_owner.is_some()
            || s.add_group.is_some()
            || s.remove_group.is_some()
    }

    fn tags_something(&self) -> bool {
        !self.acting().tags.is_empty()
    }

    /// Whether `perms` allow these actions: owners and groups need contacts.assign, tags
    /// contacts.edit (checked at the preview and again at execution).
    pub fn permitted(&self, perms: PermSet) -> Result<(), &'static str> {
        if self.assigns() && !perms.contains(Perm::ContactsAssign) {
            return Err("Changing owners or access groups needs the contacts.assign permission.");
        }
        if self.tags_something() && !perms.contains(Perm::ContactsEdit) {
            return Err("Assigning tags needs the contacts.edit permission.");
        }
        Ok(())
    }

    /// The operations of SPEC 3 the actions are: Assign for owners and groups, Edit for tags.
    pub fn operations(&self) -> Vec<crate::access::Operation> {
        use crate::access::Operation;
        let mut ops = Vec::new();
        if self.assigns() {
            ops.push(Operation::Assign);
        }
        if self.tags_something() {
            ops.push(Operation::Edit);
        }
        ops
    }

    /// One line per action, for pages and the audit log.
    pub fn describe(&self) -> Vec<String> {
        if let Some(u) = &self.undo {
            return u.of.describe().into_iter().map(|a| format!("Undo run #{}: {a}", u.run_id)).collect();
        }
        let mut out = Vec::new();
        if let Some((_, e)) = &self.set_main_owner {
            out.push(format!("Set main owner to {e}"));
        }
        if let Some((_, e, ro)) = &self.add_co_owner {
            let until = crate::access::ends::until_suffix(self.add_co_owner_end.at);
            out.push(format!("Add co-owner {e}{}{until}", if *ro { " (read-only)" } else { "" }));
        }
        if let Some((_, e)) = &self.remove_owner {
            out.push(format!("Remove owner {e} (only where another owner remains)"));
        }
        if !self.tags.is_empty() {
            out.push(format!("Assign tags: {}", self.tags.join(", ")));
        }
        if let Some((_, g)) = &self.add_group {
            out.push(format!("Add to access group {g}"));
        }
        if let Some((_, g)) = &self.remove_group {
            out.push(format!("Remove from access group {g}"));
        }
        out
    }
}

fn user(
    conn: &mut PgConnection,
    field: &'static str,
    email: &str,
    errors: &mut FieldErrors,
) -> diesel::QueryResult<Option<(i64, String)>> {
    let email = email.trim();
    if email.is_empty() {
        return Ok(None);
    }
    match owners::active_user_by_email(conn, email)? {
        Some(id) => Ok(Some((id, email.to_lowercase()))),
        None => {
            errors.add(field, format!("There is no active user with the email “{email}”."));
            Ok(None)
        }
    }
}

fn group(
    conn: &mut PgConnection,
    field: &'static str,
    id: &str,
    errors: &mut FieldErrors,
) -> diesel::QueryResult<Option<(i64, String)>> {
    use crate::db::schema::access_groups;
    use diesel::prelude::*;
    let Ok(id) = id.trim().parse::<i64>() else { return Ok(None) };
    match access_groups::table.find(id).select(access_groups::name).first::<String>(conn).optional()? {
        Some(name) => Ok(Some((id, name))),
        None => {
            errors.add(field, "This access group no longer exists.");
            Ok(None)
        }
    }
}

/// Parses the form of `actor`; field errors for unknown users, a wrong end, missing permissions
/// or no action at all.
pub fn parse(
    conn: &mut PgConnection,
    f: &ActionsForm,
    perms: PermSet,
    actor: i64,
) -> diesel::QueryResult<Result<Spec, FieldErrors>> {
    let mut errors = FieldErrors::default();
    let until =
        crate::access::ends::parse_field(&f.add_co_owner_until, chrono::Utc::now(), "add_co_owner_until", &mut errors);
    if until.is_some() && f.add_co_owner.trim().is_empty() {
        errors.add("add_co_owner_until", "An end applies to the co-owner added: enter their email too.");
    }
    let spec = Spec {
        set_main_owner: user(conn, "set_main_owner", &f.set_main_owner, &mut errors)?,
        add_co_owner: user(conn, "add_co_owner", &f.add_co_owner, &mut errors)?
            .map(|(id, e)| (id, e, matches!(f.add_co_owner_read_only.as_deref(), Some("true") | Some("on")))),
        add_co_owner_end: End::set(until, actor),
        remove_owner: user(conn, "remove_owner", &f.remove_owner, &mut errors)?,
        tags: parse_tags(&f.tags),
        add_group: group(conn, "add_group", &f.add_group, &mut errors)?,
        remove_group: group(conn, "remove_group", &f.remove_group, &mut errors)?,
        undo: None,
    };
    if errors.is_empty() && spec.is_empty() {
        errors.add("actions", "Choose at least one action.");
    }
    if let Err(why) = spec.permitted(perms) {
        errors.add(if spec.assigns() && !perms.contains(Perm::ContactsAssign) { "actions" } else { "tags" }, why);
    }
    if let (Some(a), Some(b)) = (&spec.add_group, &spec.remove_group) {
        if a.0 == b.0 {
            errors.add("remove_group", "Adding and removing the same group in one run cancels out; choose one.");
        }
    }
    Ok(if errors.is_empty() { Ok(spec) } else { Err(errors) })
}
