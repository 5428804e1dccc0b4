//! Public forms (SPEC screen 12): the stored form and the admin form that edits it.

pub mod submission;

use crate::db::schema::{forms, users};
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
    pub fn parse(pairs: Vec<(String, String)>) -> Input {
        let mut f = Input::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "tags" => f.tags = v,
                "owner" => f.owner = v,
                "enabled" => f.enabled = true,
                "update_existing" => f.update_existing = true,
                "group" => f.groups.extend(v.parse::<i64>().ok()),
                _ => {}
            }
        }
        f
    }

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

/// Public forms are made, changed and deleted by holders of `administration.settings`.
fn may_change(c: &mut PgConnection, by: i64) -> Result<(), crate::access::Denied> {
    crate::access::authority::require_of(c, by, &[crate::permissions::Perm::AdministrationSettings]).map(|_| ())
}

pub fn create(c: &mut PgConnection, d: &Def, by: i64) -> Result<Form, crate::access::Denied> {
    may_change(c, by)?;
    Ok(diesel::insert_into(forms::table)
        .values((
            forms::name.eq(&d.name),
            forms::public_key.eq(new_key()),
            forms::tags.eq(&d.tags),
            forms::group_ids.eq(&d.group_ids),
            forms::main_owner_id.eq(d.main_owner_id),
            forms::enabled.eq(d.enabled),
            forms::update_existing.eq(d.update_existing),
            forms::saved_by.eq(Some(by)),
        ))
        .returning(Form::as_returning())
        .get_result(c)?)
}

/// Saves the definition; from now on the form acts with `by`'s authority.
pub fn update(c: &mut PgConnection, id: i64, d: &Def, by: i64) -> Result<usize, crate::access::Denied> {
    may_change(c, by)?;
    Ok(diesel::update(forms::table.find(id))
        .set((
            forms::name.eq(&d.name),
            forms::tags.eq(&d.tags),
            forms::group_ids.eq(&d.group_ids),
            forms::main_owner_id.eq(d.main_owner_id),
            forms::enabled.eq(d.enabled),
            forms::update_existing.eq(d.update_existing),
            forms::saved_by.eq(Some(by)),
            forms::updated_at.eq(Utc::now()),
        ))
        .execute(c)?)
}

pub fn delete(c: &mut PgConnection, id: i64, by: i64) -> Result<usize, crate::access::Denied> {
    may_change(c, by)?;
    Ok(diesel::delete(forms::table.find(id)).execute(c)?)
}
