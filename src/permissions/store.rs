//! Presets and overrides in the database, and loading a user's effective permissions.

use super::{effective, PermSet, Role};
use crate::db::schema::{preset_permissions, presets};
use crate::db::views::{user_overrides, user_presets};
use diesel::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// Makes the system preset of every role exist and hold exactly the role's defaults from code.
/// Runs after migrations; idempotent.
pub fn sync_system_presets(conn: &mut PgConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        for role in Role::ALL {
            let id: i64 = match presets::table
                .filter(presets::system_role.eq(role.as_str()))
                .select(presets::id)
                .first(conn)
                .optional()?
            {
                Some(id) => id,
                None => diesel::insert_into(presets::table)
                    .values((presets::name.eq(role.label()), presets::system_role.eq(role.as_str())))
                    .returning(presets::id)
                    .get_result(conn)?,
            };
            write_keys(conn, id, role.default_permissions())?;
        }
        Ok(())
    })
}

/// Replaces the keys of a preset.
pub fn write_keys(conn: &mut PgConnection, preset_id: i64, keys: PermSet) -> QueryResult<()> {
    diesel::delete(preset_permissions::table.filter(preset_permissions::preset_id.eq(preset_id))).execute(conn)?;
    let rows: Vec<_> = keys
        .iter()
        .map(|p| (preset_permissions::preset_id.eq(preset_id), preset_permissions::perm_key.eq(p.key())))
        .collect();
    diesel::insert_into(preset_permissions::table).values(&rows).execute(conn)?;
    Ok(())
}

/// The id of a role's system preset.
pub fn system_preset_id(conn: &mut PgConnection, role: Role) -> QueryResult<i64> {
    presets::table.filter(presets::system_role.eq(role.as_str())).select(presets::id).first(conn)
}

/// Makes a user hold their role's system preset (a new user's starting point).
pub fn hold_system_preset(conn: &mut PgConnection, user_id: i64, role: Role) -> QueryResult<()> {
    let preset_id = system_preset_id(conn, role)?;
    diesel::insert_into(user_presets::table)
        .values((user_presets::user_id.eq(user_id), user_presets::preset_id.eq(preset_id)))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// Everything a user's permissions are made of.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// (preset id, preset name, keys) of every held preset.
    pub presets: Vec<(i64, String, PermSet)>,
    pub grants: PermSet,
    pub revokes: PermSet,
}

impl Sources {
    pub fn effective(&self) -> PermSet {
        let sets: Vec<PermSet> = self.presets.iter().map(|(_, _, s)| *s).collect();
        effective(&sets, self.grants, self.revokes)
    }
}

/// Loads the presets and overrides of a user (two queries).
pub fn sources(conn: &mut PgConnection, user_id: i64) -> QueryResult<Sources> {
    let rows: Vec<(i64, String, Option<String>)> = user_presets::table
        .inner_join(presets::table)
        .left_join(preset_permissions::table.on(preset_permissions::preset_id.eq(presets::id)))
        .filter(user_presets::user_id.eq(user_id))
        .select((presets::id, presets::name, preset_permissions::perm_key.nullable()))
        .order(presets::id)
        .load(conn)?;
    let mut by_preset: BTreeMap<i64, (String, PermSet)> = BTreeMap::new();
    for (id, name, key) in rows {
        let entry = by_preset.entry(id).or_insert_with(|| (name, PermSet::EMPTY));
        if let Some(p) = key.as_deref().and_then(super::Perm::from_key) {
            entry.1.insert(p);
        }
    }
    let overrides: Vec<(String, bool)> = user_overrides::table
        .filter(user_overrides::user_id.eq(user_id))
        .select((user_overrides::perm_key, user_overrides::granted))
        .load(conn)?;
    let grants = PermSet::from_keys(overrides.iter().filter(|(_, g)| *g).map(|(k, _)| k.as_str()));
    let revokes = PermSet::from_keys(overrides.iter().filter(|(_, g)| !*g).map(|(k, _)| k.as_str()));
    Ok(Sources { presets: by_preset.into_iter().map(|(id, (name, set))| (id, name, set)).collect(), grants, revokes })
}

/// A user's effective permissions: the value every permission check of the app uses.
pub fn effective_of(conn: &mut PgConnection, user_id: i64) -> QueryResult<PermSet> {
    Ok(sources(conn, user_id)?.effective())
}

/// Loads the presets and overrides of many users at once (two queries, whatever their number).
/// Every id asked for is in the result; a user holding nothing gets empty [`Sources`].
pub fn sources_many(conn: &mut PgConnection, user_ids: &[i64]) -> QueryResult<HashMap<i64, Sources>> {
    let rows: Vec<(i64, i64, String, Option<String>)> = user_presets::table
        .inner_join(presets::table)
        .left_join(preset_permissions::table.on(preset_permissions::preset_id.eq(presets::id)))
        .filter(user_presets::user_id.eq_any(user_ids))
        .select((user_presets::user_id, presets::id, presets::name, preset_permissions::perm_key.nullable()))
        .order((user_presets::user_id, presets::id))
        .load(conn)?;
    let mut by_user: HashMap<i64, BTreeMap<i64, (String, PermSet)>> = HashMap::new();
    for (uid, pid, name, key) in rows {
        let entry = by_user.entry(uid).or_default().entry(pid).or_insert_with(|| (name, PermSet::EMPTY));
        if let Some(p) = key.as_deref().and_then(super::Perm::from_key) {
            entry.1.insert(p);
        }
    }
    let overrides: Vec<(i64, String, bool)> = user_overrides::table
        .filter(user_overrides::user_id.eq_any(user_ids))
        .select((user_overrides::user_id, user_overrides::perm_key, user_overrides::granted))
        .load(conn)?;
    let mut out: HashMap<i64, Sources> = user_ids.iter().map(|id| (*id, Sources::default())).collect();
    for (uid, presets) in by_user {
        out.entry(uid).or_default().presets = presets.into_iter().map(|(id, (name, set))| (id, name, set)).collect();
    }
    for (uid, key, granted) in overrides {
        let (Some(p), Some(s)) = (super::Perm::from_key(&key), out.get_mut(&uid)) else { continue };
        if granted {
            s.grants.insert(p);
        } else {
            s.revokes.insert(p);
        }
    }
    Ok(out)
}

/// The keys of one preset.
pub fn keys_of(conn: &mut PgConnection, preset_id: i64) -> QueryResult<PermSet> {
    let keys: Vec<String> = preset_permissions::table
        .filter(preset_permissions::preset_id.eq(preset_id))
        .select(preset_permissions::perm_key)
        .load(conn)?;
    Ok(PermSet::from_keys(keys.iter().map(String::as_str)))
}

/// The keys of every preset, by preset id (one query).
pub fn all_preset_keys(conn: &mut PgConnection) -> QueryResult<HashMap<i64, PermSet>> {
    let rows: Vec<(i64, String)> =
        preset_permissions::table.select((preset_permissions::preset_id, preset_permissions::perm_key)).load(conn)?;
    let mut out: HashMap<i64, PermSet> = HashMap::new();
    for (id, key) in rows {
        if let Some(p) = super::Perm::from_key(&key) {
            out.entry(id).or_default().insert(p);
        }
    }
    Ok(out)
}
