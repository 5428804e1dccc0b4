//! The user wizard's server-side state: one `user_wizards` row per open wizard holding its
//! [`UserDraft`], keyed by a random id carried in the URL, so two wizards in two tabs never mix.
//! Only the user who opened a wizard may continue it. Passwords are kept only as their Argon2
//! hash.

pub use super::draft::{all_presets, base_of, PermissionsChoice, PresetInfo, UserDraft};
use crate::db::schema::user_wizards;
use chrono::{Duration, Utc};
use diesel::prelude::*;

/// A fresh random wizard id.
pub fn new_id() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}

/// Stores a new wizard; also forgets wizards abandoned more than a day ago.
pub fn insert(conn: &mut PgConnection, id: &str, owner: i64, state: &UserDraft) -> QueryResult<()> {
    diesel::delete(user_wizards::table.filter(user_wizards::updated_at.lt(Utc::now() - Duration::days(1))))
        .execute(conn)?;
    diesel::insert_into(user_wizards::table)
        .values((
            user_wizards::id.eq(id),
            user_wizards::owner_id.eq(owner),
            user_wizards::target_id.eq(state.target),
            user_wizards::state.eq(serde_json::to_value(state).unwrap_or_default()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The state of wizard `id`, if it belongs to `owner` and edits `target` (or creates when `None`).
pub fn load(conn: &mut PgConnection, id: &str, owner: i64, target: Option<i64>) -> QueryResult<Option<UserDraft>> {
    let row: Option<(Option<i64>, serde_json::Value)> = user_wizards::table
        .filter(user_wizards::id.eq(id))
        .filter(user_wizards::owner_id.eq(owner))
        .select((user_wizards::target_id, user_wizards::state))
        .first(conn)
        .optional()?;
    Ok(row
        .filter(|(t, _)| *t == target)
        .and_then(|(_, s)| serde_json::from_value::<UserDraft>(s).ok())
        .filter(|s| s.target == target))
}

/// Writes the state back.
pub fn store(conn: &mut PgConnection, id: &str, state: &UserDraft) -> QueryResult<()> {
    diesel::update(user_wizards::table.find(id))
        .set((
            user_wizards::state.eq(serde_json::to_value(state).unwrap_or_default()),
            user_wizards::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Keeps a processed avatar until Save.
pub fn set_avatar(conn: &mut PgConnection, id: &str, png: &[u8]) -> QueryResult<()> {
    diesel::update(user_wizards::table.find(id)).set(user_wizards::avatar.eq(png)).execute(conn)?;
    Ok(())
}

pub fn avatar(conn: &mut PgConnection, id: &str) -> QueryResult<Option<Vec<u8>>> {
    Ok(user_wizards::table.find(id).select(user_wizards::avatar).first(conn).optional()?.flatten())
}

/// Forgets a wizard (Save, Cancel).
pub fn discard(conn: &mut PgConnection, id: &str, owner: i64) -> QueryResult<usize> {
    diesel::delete(user_wizards::table.filter(user_wizards::id.eq(id)).filter(user_wizards::owner_id.eq(owner)))
        .execute(conn)
}
