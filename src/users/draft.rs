//! A user as it will be saved: everything the wizard's steps, SCIM or provisioning have said
//! about the account (details, role, presets, per-user overrides, data settings) before
//! `users::save` checks and writes it.

use crate::access::ends::End;
use crate::accounts::User;
use crate::db::schema::{preset_permissions, presets};
use crate::db::views::user_presets;
use crate::permissions::{store, PermSet, Role};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// Everything said about the account so far.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct UserDraft {
    /// The user being edited; `None` when creating.
    pub target: Option<i64>,
    /// The edited user's `version` when the wizard opened (a concurrent change is refused).
    pub version: i32,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// The phone as typed, and its E.164 form once valid.
    pub phone: String,
    pub phone_e164: Option<String>,
    /// Argon2 hash of the password entered in step 1 (never the password itself).
    pub password_hash: Option<String>,
    /// A new avatar waits in the row's `avatar` column.
    pub new_avatar: bool,
    pub role: String,
    pub presets: Vec<i64>,
    pub grants: Vec<String>,
    pub revokes: Vec<String>,
    pub disable_export: bool,
    pub only_owned: bool,
    /// Step 1 passed validation.
    pub details_done: bool,
    /// Presets made with "Save as new" in this wizard: they exist at once, so Cancel says so.
    #[serde(default)]
    pub saved_presets: Vec<String>,
    /// The held presets that end, with their end (`access::ends`).
    #[serde(default)]
    pub preset_ends: Vec<(i64, End)>,
    /// An end typed for a preset that could not be read, kept to be shown beside its error.
    #[serde(default)]
    pub preset_until_typed: Vec<(i64, String)>,
}

impl UserDraft {
    /// A new user: role User with its system preset.
    pub fn for_create(conn: &mut PgConnection) -> QueryResult<UserDraft> {
        let role = Role::User;
        Ok(UserDraft {
            role: role.as_str().into(),
            presets: vec![store::system_preset_id(conn, role)?],
            ..UserDraft::default()
        })
    }

    /// An existing user as stored now.
    pub fn for_edit(conn: &mut PgConnection, user: &User) -> QueryResult<UserDraft> {
        let sources = store::sources(conn, user.id)?;
        Ok(UserDraft {
            target: Some(user.id),
            version: user.version,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            phone: user.phone.clone().unwrap_or_default(),
            phone_e164: user.phone.clone(),
            role: user.role.clone(),
            presets: sources.presets.iter().map(|(id, _, _)| *id).collect(),
            grants: sources.grants.keys().into_iter().map(String::from).collect(),
            revokes: sources.revokes.keys().into_iter().map(String::from).collect(),
            disable_export: user.disable_export,
            only_owned: user.only_owned,
            preset_ends: preset_ends(conn, user.id)?,
            ..UserDraft::default()
        })
    }

    /// The end of held preset `id` (none: it does not end).
    pub fn preset_end(&self, id: i64) -> End {
        self.preset_ends.iter().find(|(p, _)| *p == id).map(|(_, e)| *e).unwrap_or_default()
    }

    /// The value of preset `id`'s end field: as typed when it could not be read, else the end.
    pub fn preset_until(&self, id: &i64) -> String {
        match self.preset_until_typed.iter().find(|(p, _)| p == id) {
            Some((_, typed)) => typed.clone(),
            None => crate::access::ends::field_value(self.preset_end(*id).at),
        }
    }

    /// Reads the ends typed for the presets (`typed`: preset id and text), by `actor` at `now`:
    /// an unchanged end keeps who set it. Returns the presets whose end could not be read, each
    /// with the reason; their typed text is kept for the page.
    pub fn choose_ends(
        &mut self,
        typed: &[(i64, String)],
        actor: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<(i64, String)> {
        let mut ends = Vec::new();
        let mut wrong = Vec::new();
        self.preset_until_typed.clear();
        for (id, text) in typed.iter().filter(|(id, _)| self.presets.contains(id)) {
            let before = self.preset_end(*id);
            // Unchanged as shown: kept as it is (even once it is in the past: it then ends).
            if text.trim() == crate::access::ends::field_value(before.at) {
                if before.at.is_some() {
                    ends.push((*id, before));
                }
                continue;
            }
            match crate::access::ends::parse(text, now) {
                Ok(Some(at)) => ends.push((*id, End::set(Some(at), actor))),
                Ok(None) => {}
                Err(why) => {
                    wrong.push((*id, why));
                    self.preset_until_typed.push((*id, text.clone()));
                    if before.at.is_some() {
                        ends.push((*id, before));
                    }
                }
            }
        }
        self.preset_ends = ends;
        wrong
    }

    /// Whether preset `id` is held (for templates).
    pub fn holds(&self, id: &i64) -> bool {
        self.presets.contains(id)
    }

    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::User)
    }

    pub fn grants(&self) -> PermSet {
        PermSet::from_keys(self.grants.iter().map(String::as_str))
    }

    pub fn revokes(&self) -> PermSet {
        PermSet::from_keys(self.revokes.iter().map(String::as_str))
    }

    /// Sets the overrides from what is ticked against what the presets give.
    pub fn set_overrides(&mut self, checked: PermSet, base: PermSet) {
        self.grants = checked.difference(base).keys().into_iter().map(String::from).collect();
        self.revokes = base.difference(checked).keys().into_iter().map(String::from).collect();
    }
}

/// Step 2 as submitted: the role, the presets ticked, the checklist as ticked, the data
/// settings, and whether to re-base on the role's preset ("Use the role's preset").
#[derive(Debug, Clone, Default)]
pub struct PermissionsChoice {
    /// `None`: unchanged (or not a role).
    pub role: Option<Role>,
    pub presets: Vec<i64>,
    pub checked: PermSet,
    pub disable_export: bool,
    pub only_owned: bool,
    pub rebase: bool,
}

impl UserDraft {
    /// Applies step 2 as submitted (`all`: every preset). Returns whether role or presets
    /// changed, in which case the checklist was re-based and the user should see it again.
    pub fn choose_permissions(&mut self, choice: &PermissionsChoice, all: &[PresetInfo], creating: bool) -> bool {
        let s = self;
        let old_base = base_of(all, &s.presets);
        // Overrides are what the shown checklist differs from the presets it was built on.
        s.set_overrides(choice.checked, old_base);
        s.disable_export = choice.disable_export;
        s.only_owned = choice.only_owned;
        let mut held: Vec<i64> = choice.presets.iter().copied().filter(|id| all.iter().any(|p| p.id == *id)).collect();
        held.sort_unstable();
        held.dedup();
        let role: Role = choice.role.unwrap_or(s.role());
        let role_changed = role != s.role();
        // Creating: a new role re-bases at once. Editing: only when asked ("Use the role's preset").
        if (role_changed && creating) || choice.rebase {
            // Drop every system preset, hold the role's one; custom presets stay.
            held.retain(|id| all.iter().any(|p| p.id == *id && p.system_role.is_none()));
            if let Some(p) = all.iter().find(|p| p.system_role.as_deref() == Some(role.as_str())) {
                held.push(p.id);
                held.sort_unstable();
            }
        }
        s.role = role.as_str().into();
        let mut before = s.presets.clone();
        before.sort_unstable();
        // Creating: the role's preset held alone is the default, not a choice: the custom
        // presets first ticked replace it (ticked again, it is held beside them).
        if creating && !role_changed && !choice.rebase {
            let system = |id: &i64| all.iter().any(|p| p.id == *id && p.system_role.is_some());
            if before.len() == 1 && system(&before[0]) && held.contains(&before[0]) && held.iter().any(|id| !system(id))
            {
                held.retain(|id| *id != before[0]);
            }
        }
        let changed = role_changed || before != held;
        if before != held {
            // Keep the overrides, minus those the new presets make pointless.
            let base = base_of(all, &held);
            let (g, r) = (s.grants().difference(base), s.revokes().difference(s.revokes().difference(base)));
            s.set_overrides(base.union(g).difference(r), base);
        }
        s.presets = held;
        changed
    }
}

/// The presets `user_id` holds until a time: (preset id, its end and who set it).
pub fn preset_ends(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<(i64, End)>> {
    let rows: Vec<(i64, Option<chrono::DateTime<chrono::Utc>>, Option<i64>)> = user_presets::table
        .filter(user_presets::user_id.eq(user_id))
        .filter(user_presets::ends_at.is_not_null())
        .select((user_presets::preset_id, user_presets::ends_at, user_presets::ends_set_by))
        .order(user_presets::preset_id)
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, at, set_by)| (id, End { at, set_by })).collect())
}

/// A preset as the wizard lists it.
#[derive(Debug, Clone)]
pub struct PresetInfo {
    pub id: i64,
    pub name: String,
    pub system_role: Option<String>,
    pub keys: PermSet,
}

/// Every preset with its keys (one query; presets are few).
pub fn all_presets(conn: &mut PgConnection) -> QueryResult<Vec<PresetInfo>> {
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = presets::table
        .left_join(preset_permissions::table)
        .select((presets::id, presets::name, presets::system_role, preset_permissions::perm_key.nullable()))
        .order((presets::system_role.is_null(), presets::name, presets::id))
        .load(conn)?;
    let mut out: Vec<PresetInfo> = Vec::new();
    for (id, name, system_role, key) in rows {
        if out.last().map(|p| p.id) != Some(id) {
            out.push(PresetInfo { id, name, system_role, keys: PermSet::EMPTY });
        }
        if let (Some(p), Some(k)) = (out.last_mut(), key.as_deref().and_then(crate::permissions::Perm::from_key)) {
            p.keys.insert(k);
        }
    }
    Ok(out)
}

/// The union of the keys of `held` presets.
pub fn base_of(all: &[PresetInfo], held: &[i64]) -> PermSet {
    all.iter().filter(|p| held.contains(&p.id)).fold(PermSet::EMPTY, |acc, p| acc.union(p.keys))
}
