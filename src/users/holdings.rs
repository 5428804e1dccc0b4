//! One preset or per-user grant taken from a user (an access review's removal): the rules of
//! the wizard's save — `users_manage`, an account within the actor's own standing, nobody's own
//! permissions, a complete Administrator kept — for a change that only takes away.

use super::save::{audit_json, SaveError};
use crate::access::escalation::{self, LastAdministrator, Standing};
use crate::access::{authority, Subject};
use crate::accounts::{self as model};
use crate::audit::{Actor, Entry};
use crate::db::views::{user_overrides, user_presets};
use crate::permissions::Role;
use diesel::prelude::*;

/// What to take.
#[derive(Debug, Clone)]
pub enum Holding {
    Preset(i64),
    /// A per-user grant of this key (a revoke only takes away: it is never removed here).
    Grant(String),
}

/// Takes `what` from user `user_id`, audited as a change of their presets or overrides.
/// `Ok(false)` when they no longer hold it.
pub fn remove(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    user_id: i64,
    what: &Holding,
) -> Result<bool, SaveError> {
    authority::manage_users(who)?;
    if user_id == actor.id {
        return Err(SaveError::OwnPermissions);
    }
    escalation::lock_administrators(c)?;
    let Some(user) = model::find(c, user_id)? else { return Ok(false) };
    let standing = Standing::of(c, user_id)?.ok_or(diesel::result::Error::NotFound)?;
    escalation::manage_account(who, &standing)?;
    let before = audit_json(c, &user)?;
    let taken = match what {
        Holding::Preset(p) => diesel::delete(
            user_presets::table.filter(user_presets::user_id.eq(user_id)).filter(user_presets::preset_id.eq(p)),
        )
        .execute(c)?,
        Holding::Grant(key) => diesel::delete(
            user_overrides::table
                .filter(user_overrides::user_id.eq(user_id))
                .filter(user_overrides::perm_key.eq(key))
                .filter(user_overrides::granted.eq(true)),
        )
        .execute(c)?,
    };
    if taken == 0 {
        return Ok(false);
    }
    if user.role() == Role::Administrator {
        escalation::ensure_complete_administrator(c).map_err(|e| match e {
            LastAdministrator::Db(e) => SaveError::Db(e),
            e => SaveError::NoAdministrator(e.to_string()),
        })?;
    }
    let after = audit_json(c, &user)?;
    Entry::by(actor, "user.presets", "user", user_id).before(before).after(after).record(c)?;
    Ok(true)
}
