//! Custom presets: creation with the no-escalation rule (SPEC 2.3). Shared by the preset
//! screens and the user wizard's "Save as new".

use super::{store, PermSet};
use crate::audit;
use crate::db::schema::presets;
use diesel::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    #[error("Give the preset a name.")]
    NameMissing,
    #[error("A preset with this name already exists.")]
    NameTaken,
    #[error("You can only include permissions you hold yourself: {0}.")]
    Escalation(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<PresetError> for crate::error::AppError {
    fn from(e: PresetError) -> Self {
        match e {
            PresetError::Db(e) => e.into(),
            other => crate::error::AppError::BadRequest(other.to_string()),
        }
    }
}

/// Refuses keys the author does not hold (no escalation).
pub fn check_no_escalation(author_perms: PermSet, keys: PermSet) -> Result<(), PresetError> {
    let extra = keys.difference(author_perms);
    if extra.is_empty() {
        Ok(())
    } else {
        Err(PresetError::Escalation(extra.keys().join(", ")))
    }
}

/// Whether a preset name (case-insensitive) is taken, other than by `except`.
pub fn name_taken(conn: &mut PgConnection, name: &str, except: Option<i64>) -> QueryResult<bool> {
    let mut q = presets::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) = lower(")
            .bind::<diesel::sql_types::Text, _>(name.trim())
            .sql(")"))
        .select(presets::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(presets::id.ne(id));
    }
    Ok(q.first::<i64>(conn).optional()?.is_some())
}

/// Creates a custom preset holding exactly `keys`, audited. Call inside the caller's
/// transaction.
pub fn create_custom(
    conn: &mut PgConnection,
    author_id: i64,
    author_perms: PermSet,
    name: &str,
    keys: PermSet,
) -> Result<i64, PresetError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(PresetError::NameMissing);
    }
    check_no_escalation(author_perms, keys)?;
    if name_taken(conn, name, None)? {
        return Err(PresetError::NameTaken);
    }
    let id: i64 = diesel::insert_into(presets::table)
        .values((presets::name.eq(name), presets::created_by.eq(author_id)))
        .returning(presets::id)
        .get_result(conn)?;
    store::write_keys(conn, id, keys)?;
    audit::Entry::new(Some(author_id), "preset.create", "preset", id)
        .after(serde_json::json!({ "name": name, "keys": keys.keys() }))
        .record(conn)?;
    Ok(id)
}
