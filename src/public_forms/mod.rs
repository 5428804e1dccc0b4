//! Public forms (SPEC screen 12): the stored form and the admin form that edits it.

pub mod submission;

use crate::access::{authority, Denied, Subject};
use crate::audit::{self, Actor};
use crate::db::schema::{forms, users};
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = forms)]
pub struct Form {
    pub id: i64,
    pub name: String,
    pub public_key: String,
    pub tags: Vec<String>,
    pub group_ids: Vec<i64>,
    pub main_owner_id: Option<i64>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A submission matching an existing contact updates its fields, tags, groups and owner
    /// (off by default: anonymous input never widens access unless an administrator says so).
    pub update_existing: bool,
    /// Whose authority the form's access changes (groups, main owner) use: the last saver.
    pub saved_by: Option<i64>,
}

/// The admin form as typed (groups are repeated `group` fields).
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub name: String,
    pub tags: String,
    pub groups: Vec<i64>,
    pub owner: String,
    pub enabled: bool,
    pub update_existing: bool,
}

/// A checked form definition.
#[derive(Debug, Clone, Serialize)]
pub struct Def {
    pub name: String,
    pub tags: Vec<String>,
    pub group_ids: Vec<i64>,
    pub main_owner_id: Option<i64>,
    pub enabled: bool,
    pub update_existing: bool,
}

impl Input {
    pub fn of(form: &Form, owner_email: Option<String>) -> Input {
        Input {
            name: form.name.clone(),
            tags: form.tags.join(", "),
            groups: form.group_ids.clone(),
            owner: owner_email.unwrap_or_default(),
            enabled: form.enabled,
            update_existing: form.update_existing,
        }
    }

    /// Checks the input; looks up the owner's email.
    pub fn check(&self, c: &mut PgConnection, groups: &[(i64, String)]) -> QueryResult<Result<Def, FieldErrors>> {
        let mut e = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            e.add("name", "Give the form a name (up to 200 characters).");
        }
        if self.groups.iter().any(|g| !groups.iter().any(|(id, _)| id == g)) {
            e.add("groups", "One of the chosen access groups no longer exists.");
        }
        let owner = self.owner.trim();
        let main_owner_id = if owner.is_empty() {
            None
        } else {
            let id = crate::contacts::owners::active_user_by_email(c, owner)?;
            if id.is_none() {
                e.add("owner", "No active user has this email.");
            }
            id
        };
        if !e.is_empty() {
            return Ok(Err(e));
        }
        let mut group_ids = self.groups.clone();
        group_ids.sort_unstable();
        group_ids.dedup();
        Ok(Ok(Def {
            name: name.to_string(),
            tags: crate::contacts::model::parse_tags(&self.tags),
            group_ids,
            main_owner_id,
            enabled: self.enabled,
            update_existing: self.update_existing,
        }))
    }
}

/// A random public key: 24 hex characters (96 bits), unguessable.
pub fn new_key() -> String {
    hex::encode(rand::random::<[u8; 12]>())
}

pub fn all(c: &mut PgConnection) -> QueryResult<Vec<Form>> {
    forms::table.order(forms::name).select(Form::as_select()).load(c)
}

pub fn find(c: &mut PgConnection, id: i64) -> QueryResult<Form> {
    forms::table.find(id).select(Form::as_select()).first(c)
}

pub fn by_key(c: &mut PgConnection, key: &str) -> QueryResult<Option<Form>> {
    forms::table.filter(forms::public_key.eq(key)).select(Form::as_select()).first(c).optional()
}

pub fn owner_email(c: &mut PgConnection, form: &Form) -> QueryResult<Option<String>> {
    match form.main_owner_id {
        Some(id) => users::table.find(id).select(users::email).first(c).optional(),
        None => Ok(None),
    }
}

/// Saves form `id` (a new one when `None`) as `input` says, for `who` (`actor` in the log): forms
/// are made, changed and deleted by holders of `administration.settings`, and the form then
/// changes who has access with its saver's authority, so choosing access groups or a main
/// owner needs `contacts.assign`, as it would by hand. Choices to correct come back beside
/// their fields. Call it in one transaction.
pub fn save(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    id: Option<i64>,
    input: &Input,
) -> Result<Result<i64, FieldErrors>, Denied> {
    authority::require(who, Perm::AdministrationSettings)?;
    let before = id.map(|id| find(c, id)).transpose()?;
    let groups = crate::access_groups::choices(c)?;
    let def = match input.check(c, &groups)? {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    if (!def.group_ids.is_empty() || def.main_owner_id.is_some()) && !who.perms.contains(Perm::ContactsAssign) {
        let mut e = FieldErrors::default();
        e.add("groups", "Access groups and a main owner need the contacts.assign permission.");
        return Ok(Err(e));
    }
    let id = match id {
        Some(id) => {
            update(c, id, &def, who.user_id)?;
            id
        }
        None => create(c, &def, who.user_id)?.id,
    };
    let verb = if before.is_some() { "form.update" } else { "form.create" };
    let mut entry = audit::Entry::by(actor, verb, "form", id).after(serde_json::json!(def));
    if let Some(b) = before {
        entry = entry.before(serde_json::json!(b));
    }
    entry.record(c)?;
    Ok(Ok(id))
}

/// A definition as its row stores it, with who saved it (the form acts with their authority).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = forms, treat_none_as_null = true)]
struct Row<'a> {
    name: &'a str,
    tags: &'a [String],
    group_ids: &'a [i64],
    main_owner_id: Option<i64>,
    enabled: bool,
    update_existing: bool,
    saved_by: Option<i64>,
}

impl<'a> Row<'a> {
    fn of(d: &'a Def, by: i64) -> Row<'a> {
        Row {
            name: &d.name,
            tags: &d.tags,
            group_ids: &d.group_ids,
            main_owner_id: d.main_owner_id,
            enabled: d.enabled,
            update_existing: d.update_existing,
            saved_by: Some(by),
        }
    }
}

fn create(c: &mut PgConnection, d: &Def, by: i64) -> QueryResult<Form> {
    diesel::insert_into(forms::table)
        .values((Row::of(d, by), forms::public_key.eq(new_key())))
        .returning(Form::as_returning())
        .get_result(c)
}

/// Saves the definition; from now on the form acts with `by`'s authority.
fn update(c: &mut PgConnection, id: i64, d: &Def, by: i64) -> QueryResult<usize> {
    diesel::update(forms::table.find(id)).set((Row::of(d, by), forms::updated_at.eq(Utc::now()))).execute(c)
}

/// Deletes form `id` (its public address stops answering), for a holder of
/// `administration.settings`.
pub fn delete(c: &mut PgConnection, actor: &Actor, who: &Subject, id: i64) -> Result<(), Denied> {
    authority::require(who, Perm::AdministrationSettings)?;
    let f = find(c, id)?;
    diesel::delete(forms::table.find(id)).execute(c)?;
    audit::Entry::by(actor, "form.delete", "form", id).before(serde_json::json!(f)).record(c)?;
    Ok(())
}
