//! Save of the user wizard: everything entered commits in the caller's one transaction, after
//! the no-escalation and last-Administrator checks (SPEC 2.3).

use super::draft::{self, UserDraft};
use super::lifecycle::{ensure_not_last_admin, Actor, LifecycleError};
use crate::access::escalation::{self, Escalation, LastAdministrator, Standing};
use crate::access::Subject;
use crate::accounts::{self as model, NewUser, User};
use crate::audit;
use crate::auth::session_store::end_sessions_of;
use crate::db::schema::users;
use crate::db::views::{user_overrides, user_presets};
use crate::permissions::{effective, store, PermSet};
use chrono::Utc;
use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("This email is already used by another account (deleted accounts keep theirs).")]
    EmailTaken,
    #[error("Someone else changed this user while you were editing. Cancel and start again.")]
    Stale,
    #[error("Set a password in step 1.")]
    PasswordMissing,
    #[error("{0}")]
    Escalation(#[from] Escalation),
    #[error("{0}")]
    NoAdministrator(String),
    #[error("Nobody can change their own role, permissions or data settings.")]
    OwnPermissions,
    #[error("{0}")]
    Lifecycle(#[from] LifecycleError),
    /// The actor may not manage users at all (`access::authority::manage_users`).
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<crate::access::Denied> for SaveError {
    fn from(e: crate::access::Denied) -> SaveError {
        match e {
            crate::access::Denied::Db(e) => SaveError::Db(e),
            other => SaveError::NotAllowed(other.to_string()),
        }
    }
}

/// The permissions the wizard would give, after the no-escalation rule of
/// [`crate::access::escalation::account_change`]: whatever the user gains must be held by the actor,
/// and only an Administrator makes, unmakes or re-equips an Administrator. Presets that do not
/// exist are dropped.
pub fn check_escalation(conn: &mut PgConnection, actor: &Subject, state: &UserDraft) -> Result<PermSet, SaveError> {
    let all = draft::all_presets(conn)?;
    let held: Vec<PermSet> = all.iter().filter(|p| state.presets.contains(&p.id)).map(|p| p.keys).collect();
    let after = effective(&held, state.grants(), state.revokes());
    let before = match state.target {
        Some(id) => Some(Standing::of(conn, id)?.ok_or(diesel::result::Error::NotFound)?),
        None => None,
    };
    if let Some(b) = &before {
        escalation::manage_account(actor, b)?;
    }
    let standing = Standing {
        role: state.role(),
        perms: after,
        only_owned: state.only_owned,
        export_disabled: state.disable_export,
    };
    escalation::account_change(actor, before, standing)?;
    Ok(after)
}

/// The audit picture of a user: the record (no password hash) plus presets and overrides.
pub fn audit_json(conn: &mut PgConnection, user: &User) -> QueryResult<serde_json::Value> {
    let s = store::sources(conn, user.id)?;
    let mut v = user.audit_json();
    let ends = crate::users::draft::preset_ends(conn, user.id)?;
    let end_of = |id: &i64| ends.iter().find(|(p, _)| p == id).and_then(|(_, e)| e.at);
    v["presets"] = s
        .presets
        .iter()
        .map(|(id, name, _)| match end_of(id) {
            Some(at) => serde_json::json!({ "id": id, "name": name, "ends_at": at }),
            None => serde_json::json!({ "id": id, "name": name }),
        })
        .collect();
    v["grants"] = serde_json::json!(s.grants.keys());
    v["revokes"] = serde_json::json!(s.revokes.keys());
    Ok(v)
}

fn write_permissions(conn: &mut PgConnection, id: i64, state: &UserDraft) -> QueryResult<()> {
    let existing: Vec<i64> = draft::all_presets(conn)?.iter().map(|p| p.id).collect();
    diesel::delete(user_presets::table.filter(user_presets::user_id.eq(id))).execute(conn)?;
    let rows: Vec<_> = state
        .presets
        .iter()
        .filter(|p| existing.contains(p))
        .map(|p| {
            let end = state.preset_end(*p);
            (
                user_presets::user_id.eq(id),
                user_presets::preset_id.eq(*p),
                user_presets::ends_at.eq(end.at),
                user_presets::ends_set_by.eq(end.set_by),
            )
        })
        .collect();
    diesel::insert_into(user_presets::table).values(&rows).execute(conn)?;
    // An override kept as it was keeps its end (the wizard sets none yet, SQL or a later screen may).
    type Ends = (String, bool, Option<chrono::DateTime<Utc>>, Option<i64>);
    let ends: Vec<Ends> = user_overrides::table
        .filter(user_overrides::user_id.eq(id))
        .filter(user_overrides::ends_at.is_not_null())
        .select((
            user_overrides::perm_key,
            user_overrides::granted,
            user_overrides::ends_at,
            user_overrides::ends_set_by,
        ))
        .load(conn)?;
    diesel::delete(user_overrides::table.filter(user_overrides::user_id.eq(id))).execute(conn)?;
    let grants = state.grants().keys().into_iter().map(|k| (k, true));
    let revokes = state.revokes().keys().into_iter().map(|k| (k, false));
    let rows: Vec<_> = grants
        .chain(revokes)
        .map(|(k, g)| {
            let end = ends.iter().find(|(key, granted, ..)| key == k && *granted == g);
            (
                user_overrides::user_id.eq(id),
                user_overrides::perm_key.eq(k),
                user_overrides::granted.eq(g),
                user_overrides::ends_at.eq(end.and_then(|e| e.2)),
                user_overrides::ends_set_by.eq(end.and_then(|e| e.3)),
            )
        })
        .collect();
    diesel::insert_into(user_overrides::table).values(&rows).execute(conn)?;
    Ok(())
}

fn email_taken(conn: &mut PgConnection, email: &str, except: Option<i64>) -> QueryResult<bool> {
    Ok(model::find_by_email(conn, email)?.is_some_and(|u| Some(u.id) != except))
}

/// Commits the wizard: creates or updates the user, audited. Returns the user's id.
pub fn commit(
    conn: &mut PgConnection,
    actor: &Actor,
    actor_subject: &Subject,
    state: &UserDraft,
    avatar: Option<Vec<u8>>,
) -> Result<i64, SaveError> {
    crate::access::authority::manage_users(actor_subject)?;
    if email_taken(conn, &state.email, state.target)? {
        return Err(SaveError::EmailTaken);
    }
    let own = state.target == Some(actor.id);
    let after = if own { None } else { Some(check_escalation(conn, actor_subject, state)?) };
    let result = match state.target {
        None => {
            let hash = state.password_hash.as_deref().ok_or(SaveError::PasswordMissing)?;
            let role = state.role();
            let user = model::create(
                conn,
                &NewUser {
                    email: state.email.trim(),
                    first_name: state.first_name.trim(),
                    last_name: state.last_name.trim(),
                    phone: state.phone_e164.as_deref(),
                    password_hash: hash,
                    role: role.as_str(),
                },
            )?;
            diesel::update(users::table.find(user.id))
                .set((
                    users::disable_export.eq(state.disable_export),
                    users::only_owned.eq(state.only_owned),
                    users::avatar.eq(avatar),
                ))
                .execute(conn)?;
            write_permissions(conn, user.id, state)?;
            let after = model::find(conn, user.id)?.ok_or(diesel::result::Error::NotFound)?;
            let mut json = audit_json(conn, &after)?;
            json["avatar"] = serde_json::json!(state.new_avatar);
            audit::Entry::by(actor, "user.create", "user", user.id).after(json).record(conn)?;
            Ok(user.id)
        }
        Some(id) => update(conn, actor, actor_subject, id, after, state, avatar),
    };
    // Two saves racing for one email: the unique index decides, and says so plainly.
    match result {
        Err(SaveError::Db(diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)))
            if info.constraint_name() == Some("users_email_lower_key")
                || info.message().contains("users_email_lower_key") =>
        {
            Err(SaveError::EmailTaken)
        }
        other => other,
    }
}

fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    actor_subject: &Subject,
    id: i64,
    // The permissions the user will have; `None` when editing oneself (they do not change).
    after_perms: Option<PermSet>,
    state: &UserDraft,
    avatar: Option<Vec<u8>>,
) -> Result<i64, SaveError> {
    // Administrators first, then the edited row (`escalation::lock_administrators`: one lock order).
    escalation::lock_administrators(conn)?;
    let before_user: User = users::table.find(id).select(User::as_select()).for_update().first(conn)?;
    if before_user.version != state.version || before_user.status == model::DELETED {
        return Err(SaveError::Stale);
    }
    let own = after_perms.is_none();
    // A new password or sign-in email for someone else is a way in to their account.
    let credentials = state.password_hash.is_some() || !crate::accounts::same_email(&before_user.email, &state.email);
    if !own && credentials {
        let account = crate::access::facts::subject(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
        escalation::credentials(conn, actor_subject, &account)?;
    }
    let role_changes = before_user.role != state.role().as_str();
    if own
        && (role_changes
            || before_user.disable_export != state.disable_export
            || before_user.only_owned != state.only_owned)
    {
        return Err(SaveError::OwnPermissions);
    }
    // Taking the role from the last Administrator is a demotion; after the write, a complete
    // Administrator (the role and every permission) must remain.
    if role_changes {
        ensure_not_last_admin(conn, &before_user)?;
    }
    let before = audit_json(conn, &before_user)?;
    diesel::update(users::table.find(id))
        .set((
            users::email.eq(state.email.trim()),
            users::first_name.eq(state.first_name.trim()),
            users::last_name.eq(state.last_name.trim()),
            users::phone.eq(state.phone_e164.as_deref()),
            users::role.eq(state.role().as_str()),
            users::disable_export.eq(state.disable_export),
            users::only_owned.eq(state.only_owned),
            users::version.eq(users::version + 1),
            users::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    if let Some(hash) = &state.password_hash {
        diesel::update(users::table.find(id)).set(users::password_hash.eq(hash)).execute(conn)?;
        // Someone else reset the password: whoever holds the old one is signed out.
        if !own {
            end_sessions_of(conn, id)?;
        }
    }
    if let Some(png) = avatar.filter(|_| state.new_avatar) {
        diesel::update(users::table.find(id)).set(users::avatar.eq(png)).execute(conn)?;
    }
    // Own permissions are never written, whatever the state says.
    if !own {
        write_permissions(conn, id, state)?;
    }
    if before_user.role() == crate::permissions::Role::Administrator {
        escalation::ensure_complete_administrator(conn).map_err(|e| match e {
            LastAdministrator::Db(e) => SaveError::Db(e),
            e => SaveError::NoAdministrator(e.to_string()),
        })?;
    }
    let after_user = model::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    let mut after = audit_json(conn, &after_user)?;
    after["avatar_changed"] = serde_json::json!(state.new_avatar);
    after["password_changed"] = serde_json::json!(state.password_hash.is_some());
    audit::Entry::by(actor, "user.update", "user", id).before(before).after(after).record(conn)?;
    Ok(id)
}
