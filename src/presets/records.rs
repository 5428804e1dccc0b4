//! Presets in the database: reading, creating, renaming, editing and deleting them, each
//! audited and inside the caller's transaction.

use super::{check_no_escalation, Impact, PresetError};
use crate::audit;
use crate::db::schema::presets;
use crate::permissions::{store, Perm, PermSet};
use diesel::prelude::*;

/// Whether a preset name (case-insensitive) is taken, other than by `except`.
pub fn name_taken(conn: &mut PgConnection, name: &str, except: Option<i64>) -> QueryResult<bool> {
    let mut q = presets::table
        .filter(crate::db::lower(presets::name).eq(crate::db::lower(name.trim())))
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
    // From the presets screens (presets_manage) or the wizard's "save as new preset"
    // (users_manage); either way only keys the author holds.
    may_change(conn, author_id, &[Perm::AdministrationPresetsManage, Perm::AdministrationUsersManage])?;
    let name = super::PresetName::parse(name)?;
    let name = name.as_str();
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

// ---- Reading, editing, renaming and deleting presets (screen 4) ----

/// A preset row as the screens need it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = presets)]
pub struct Preset {
    pub id: i64,
    pub name: String,
    /// Set for system presets (one per role), which are read-only.
    pub system_role: Option<String>,
    /// Bumped by every change of the keys (optimistic locking of edits).
    pub version: i32,
}

impl Preset {
    pub fn is_system(&self) -> bool {
        self.system_role.is_some()
    }

    /// What the audit log keeps of a preset.
    pub fn audit_json(&self, keys: PermSet) -> serde_json::Value {
        serde_json::json!({ "name": self.name, "keys": keys.keys(), "version": self.version })
    }
}

/// One preset (diesel `NotFound` when missing, which the web layer turns into 404).
pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Preset> {
    presets::table.find(id).select(Preset::as_select()).first(conn)
}

/// One preset, its row locked until the transaction ends, so that edits, renames and deletes of
/// the same preset run one after another.
pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Preset> {
    presets::table.find(id).select(Preset::as_select()).for_update().first(conn)
}

/// Every preset: system presets first, then custom ones, each by name.
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Preset>> {
    presets::table.select(Preset::as_select()).order((presets::system_role.is_null(), presets::name)).load(conn)
}

/// The names of the presets each of `user_ids` holds, by name.
pub fn held_names(
    conn: &mut PgConnection,
    user_ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Vec<String>>> {
    use crate::db::views::user_presets;
    let rows: Vec<(i64, String)> = user_presets::table
        .inner_join(presets::table)
        .filter(user_presets::user_id.eq_any(user_ids))
        .order((user_presets::user_id, presets::name))
        .select((user_presets::user_id, presets::name))
        .load(conn)?;
    let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for (u, name) in rows {
        out.entry(u).or_default().push(name);
    }
    Ok(out)
}

/// The ids of the presets named `names` (case-insensitively), or the first name no preset has.
pub fn ids_by_names(conn: &mut PgConnection, names: &[String]) -> QueryResult<Result<Vec<i64>, String>> {
    let all = all(conn)?;
    let mut ids = Vec::new();
    for n in names {
        match all.iter().find(|p| p.name.to_lowercase() == n.trim().to_lowercase()) {
            Some(p) if !ids.contains(&p.id) => ids.push(p.id),
            Some(_) => {}
            None => return Ok(Err(n.clone())),
        }
    }
    Ok(Ok(ids))
}

/// One row of the presets list.
#[derive(QueryableByName, Debug, Clone)]
pub struct Summary {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub system_role: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub keys: i64,
    /// Users (not deleted) holding the preset.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub holders: i64,
}

/// Every preset with its number of keys and of holders, in one grouped query.
pub fn list_with_counts(conn: &mut PgConnection) -> QueryResult<Vec<Summary>> {
    crate::db::query(
        "SELECT p.id, p.name, p.system_role, \
                (SELECT count(*) FROM preset_permissions pp WHERE pp.preset_id = p.id) AS keys, \
                count(u.id) AS holders \
         FROM presets p \
         LEFT JOIN user_presets up ON up.preset_id = p.id \
         LEFT JOIN users u ON u.id = up.user_id AND u.status <> 'deleted' \
         GROUP BY p.id \
         ORDER BY p.system_role IS NULL, lower(p.name)",
    )
    .load(conn)
}

/// A user holding a preset.
#[derive(Queryable, Debug, Clone)]
pub struct Holder {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: String,
    pub role: String,
}

impl Holder {
    pub fn role(&self) -> crate::permissions::Role {
        self.role.parse().unwrap_or(crate::permissions::Role::User)
    }

    /// "First Last", or the email when no name was given.
    pub fn display_name(&self) -> String {
        let n = format!("{} {}", self.first_name.trim(), self.last_name.trim());
        if n.trim().is_empty() {
            self.email.clone()
        } else {
            n.trim().to_string()
        }
    }
}

/// The users (deleted accounts aside) who hold a preset, by email.
pub fn holders(conn: &mut PgConnection, preset_id: i64) -> QueryResult<Vec<Holder>> {
    use crate::db::schema::users;
    use crate::db::views::user_presets;
    user_presets::table
        .inner_join(users::table)
        .filter(user_presets::preset_id.eq(preset_id))
        .filter(users::status.ne(crate::accounts::DELETED))
        .select((users::id, users::email, users::first_name, users::last_name, users::status, users::role))
        .order(users::email)
        .load(conn)
}

/// Replaces the keys of a custom preset (locked by the caller), bumps its version and audits
/// the change with every holder's gains and losses. Call inside the caller's transaction.
pub fn save_keys(
    conn: &mut PgConnection,
    actor: i64,
    ip: Option<String>,
    preset: &Preset,
    before: PermSet,
    after: PermSet,
    impact: &[Impact],
) -> Result<(), PresetError> {
    may_change(conn, actor, &[Perm::AdministrationPresetsManage])?;
    store::write_keys(conn, preset.id, after)?;
    diesel::update(presets::table.find(preset.id))
        .set((presets::version.eq(presets::version + 1), presets::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    let affected: Vec<_> = impact
        .iter()
        .filter(|i| i.changes())
        .map(|i| serde_json::json!({ "user_id": i.holder.id, "gains": i.gains.keys(), "losses": i.losses.keys() }))
        .collect();
    let mut after_json = preset.audit_json(after);
    after_json["version"] = serde_json::json!(preset.version + 1);
    after_json["affected_users"] = serde_json::json!(affected);
    audit::Entry::new(Some(actor), "preset.update", "preset", preset.id)
        .before(preset.audit_json(before))
        .after(after_json)
        .ip(ip)
        .record(conn)?;
    Ok(())
}

/// The author as they stand now must hold one of `keys` to change presets.
fn may_change(conn: &mut PgConnection, author: i64, keys: &[Perm]) -> Result<(), PresetError> {
    crate::access::authority::require_of(conn, author, keys)?;
    Ok(())
}

/// Whether an error is a unique-index violation (two writers racing for one preset name).
pub fn unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

/// Renames a custom preset (names are unique, case-insensitive), audited. Call inside the
/// caller's transaction, with the row locked.
pub fn rename(
    conn: &mut PgConnection,
    actor: i64,
    ip: Option<String>,
    preset: &Preset,
    name: &str,
) -> Result<(), PresetError> {
    may_change(conn, actor, &[Perm::AdministrationPresetsManage])?;
    let name = super::PresetName::parse(name)?;
    let name = name.as_str();
    if name_taken(conn, name, Some(preset.id))? {
        return Err(PresetError::NameTaken);
    }
    // A savepoint: if a concurrent creation took the name, the caller's transaction stays usable.
    conn.transaction(|c| {
        diesel::update(presets::table.find(preset.id))
            .set((presets::name.eq(name), presets::updated_at.eq(diesel::dsl::now)))
            .execute(c)
    })
    .map_err(|e| if unique_violation(&e) { PresetError::NameTaken } else { e.into() })?;
    audit::Entry::new(Some(actor), "preset.rename", "preset", preset.id)
        .before(serde_json::json!({ "name": preset.name }))
        .after(serde_json::json!({ "name": name }))
        .ip(ip)
        .record(conn)?;
    Ok(())
}

/// Deletes a custom preset (locked by the caller). Every user holding it gets `replacement`
/// instead (users who already hold it simply lose the deleted one); each move and the deletion
/// are audited. Without a replacement, only rows of deleted accounts may remain: the caller
/// checks that no active or deactivated user holds the preset. Returns how many users moved.
pub fn delete(
    conn: &mut PgConnection,
    actor: i64,
    ip: Option<String>,
    preset: &Preset,
    keys: PermSet,
    replacement: Option<&Preset>,
) -> Result<usize, PresetError> {
    may_change(conn, actor, &[Perm::AdministrationPresetsManage])?;
    use crate::db::schema::audit_log;
    use crate::db::views::user_presets;
    use diesel::sql_types::BigInt;
    let holder_ids: Vec<i64> =
        user_presets::table.filter(user_presets::preset_id.eq(preset.id)).select(user_presets::user_id).load(conn)?;
    let before = store::sources_many(conn, &holder_ids)?;
    if let Some(r) = replacement {
        crate::db::query(
            "INSERT INTO user_presets (user_id, preset_id, ends_at, ends_set_by) \
             SELECT user_id, $2, ends_at, ends_set_by FROM user_presets WHERE preset_id = $1 ON CONFLICT DO NOTHING",
        )
        .bind::<BigInt, _>(preset.id)
        .bind::<BigInt, _>(r.id)
        .execute(conn)?;
    }
    // Every holding, ended ones not yet swept included (the table, not its view): the preset
    // goes, and its rows with it.
    diesel::delete(
        crate::db::schema::user_presets_all::table.filter(crate::db::schema::user_presets_all::preset_id.eq(preset.id)),
    )
    .execute(conn)?;
    diesel::delete(presets::table.find(preset.id)).execute(conn)?;
    let entries: Vec<audit::Entry> = holder_ids
        .iter()
        .map(|uid| {
            let held: Vec<i64> = before.get(uid).map(|s| s.presets.iter().map(|p| p.0).collect()).unwrap_or_default();
            let mut now: Vec<i64> = held.iter().copied().filter(|id| *id != preset.id).collect();
            if let Some(r) = replacement.filter(|r| !now.contains(&r.id)) {
                now.push(r.id);
                now.sort_unstable();
            }
            audit::Entry::new(Some(actor), "user.presets", "user", uid)
                .before(serde_json::json!({ "preset_ids": held }))
                .after(serde_json::json!({ "preset_ids": now, "reason": format!("preset {} deleted", preset.id) }))
                .ip(ip.clone())
        })
        .collect();
    if !entries.is_empty() {
        diesel::insert_into(audit_log::table).values(&entries).execute(conn)?;
    }
    audit::Entry::new(Some(actor), "preset.delete", "preset", preset.id)
        .before(serde_json::json!({ "name": preset.name, "keys": keys.keys(), "holders": holder_ids }))
        .after(serde_json::json!({ "replacement": replacement.map(|r| serde_json::json!({ "id": r.id, "name": r.name })) }))
        .ip(ip)
        .record(conn)?;
    Ok(holder_ids.len())
}
