//! The account lifecycle: deactivate, reactivate, sign out everywhere, and delete with a
//! successor who takes over everything the user owned. Each function runs inside the caller's transaction and audits.

use crate::accounts::{self as model, User, ACTIVE, DEACTIVATED, DELETED};
use crate::audit;
use crate::auth::session_store::end_sessions_of;
use crate::db::schema::{automation_rules, contacts, message_templates, segments, teams, users};
use crate::db::views::{contact_owners, team_members, user_overrides, user_presets};
use crate::permissions::Role;
use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("This is the last active Administrator: make another user Administrator first.")]
    LastAdministrator,
    #[error("You cannot do this to your own account.")]
    OwnAccount,
    #[error("Choose an active user, other than the one being deleted, to take over.")]
    BadSuccessor,
    #[error("This user is not in a state that allows this.")]
    WrongStatus,
    /// The no-escalation rule (`access::escalation::manage_account`) refuses it.
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

pub use crate::audit::Actor;

impl From<crate::access::Denied> for LifecycleError {
    fn from(e: crate::access::Denied) -> LifecycleError {
        match e {
            crate::access::Denied::Db(e) => LifecycleError::Db(e),
            other => LifecycleError::NotAllowed(other.to_string()),
        }
    }
}

/// Refuses when `user` is an active Administrator and no other complete Administrator (active,
/// holding every permission) would remain. Locks the Administrators' rows so two concurrent
/// demotions cannot both pass.
pub fn ensure_not_last_admin(conn: &mut PgConnection, user: &User) -> Result<(), LifecycleError> {
    if user.role() != Role::Administrator || !user.is_active() {
        return Ok(());
    }
    crate::access::escalation::ensure_complete_administrator_besides(conn, Some(user.id)).map_err(|e| match e {
        crate::access::escalation::LastAdministrator::Db(e) => LifecycleError::Db(e),
        crate::access::escalation::LastAdministrator::Missing => LifecycleError::LastAdministrator,
    })
}

/// The no-escalation rule for managing account `id`: the actor, as they stand now, may manage
/// it only if that hands them nothing they lack (`access::escalation::manage_account`). Returns the
/// actor's subject.
fn may_manage(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<crate::access::Subject, LifecycleError> {
    use crate::access::escalation::{manage_account, Standing};
    let who =
        crate::access::authority::require_of(conn, actor.id, &[crate::permissions::Perm::AdministrationUsersManage])?;
    let target = Standing::of(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    manage_account(&who, &target).map_err(|e| LifecycleError::NotAllowed(e.to_string()))?;
    Ok(who)
}

fn set_status(conn: &mut PgConnection, id: i64, status: &str) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set((users::status.eq(status), users::version.eq(users::version + 1), users::updated_at.eq(Utc::now())))
        .returning(User::as_returning())
        .get_result(conn)
}

/// Deactivates a user: they cannot sign in and every session of theirs ends now.
pub fn deactivate(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<User, LifecycleError> {
    let user = model::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    if actor.id == id {
        return Err(LifecycleError::OwnAccount);
    }
    if user.status != ACTIVE {
        return Err(LifecycleError::WrongStatus);
    }
    may_manage(conn, actor, id)?;
    ensure_not_last_admin(conn, &user)?;
    let after = set_status(conn, id, DEACTIVATED)?;
    let ended = end_sessions_of(conn, id)?;
    audit::Entry::by(actor, "user.deactivate", "user", id)
        .before(serde_json::json!({ "status": user.status }))
        .after(serde_json::json!({ "status": after.status, "sessions_ended": ended }))
        .record(conn)?;
    Ok(after)
}

/// Lets a deactivated user sign in again.
pub fn reactivate(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<User, LifecycleError> {
    let user = model::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    if user.status != DEACTIVATED {
        return Err(LifecycleError::WrongStatus);
    }
    may_manage(conn, actor, id)?;
    let after = set_status(conn, id, ACTIVE)?;
    audit::Entry::by(actor, "user.reactivate", "user", id)
        .before(serde_json::json!({ "status": user.status }))
        .after(serde_json::json!({ "status": after.status }))
        .record(conn)?;
    Ok(after)
}

/// Signs a user out everywhere (a lost laptop, a shared computer) without deactivating them:
/// every session of theirs ends now; they may sign in again. Returns how many ended.
pub fn sign_out_everywhere(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<(User, usize), LifecycleError> {
    let user = model::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    if actor.id == id {
        return Err(LifecycleError::OwnAccount);
    }
    if user.status == DELETED {
        return Err(LifecycleError::WrongStatus);
    }
    may_manage(conn, actor, id)?;
    let ended = end_sessions_of(conn, id)?;
    audit::Entry::by(actor, "user.sign_out_everywhere", "user", id)
        .after(serde_json::json!({ "sessions_ended": ended }))
        .record(conn)?;
    Ok((user, ended))
}

/// Resets another user's two-factor (their secret and recovery codes go): for the user who lost
/// their phone and their codes. Only an Administrator may, and only within the no-escalation
/// rule; nobody resets their own here (the account page turns it off with a code). The user
/// signs in with their password alone afterwards — or is sent to enrol again, when their role
/// requires two-factor. Their sessions stay: the reset takes nothing from a session they have.
pub fn reset_two_factor(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<User, LifecycleError> {
    let user = model::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    if actor.id == id {
        return Err(LifecycleError::OwnAccount);
    }
    let who = may_manage(conn, actor, id)?;
    if !who.administrator {
        return Err(LifecycleError::NotAllowed("Only an Administrator can reset two-factor.".into()));
    }
    if !crate::auth::two_factor::remove(conn, id)? {
        return Err(LifecycleError::WrongStatus);
    }
    audit::Entry::by(actor, "user.two_factor_reset", "user", id).record(conn)?;
    Ok(user)
}

/// What a user owns, shown on the delete confirmation and recorded in the audit log.
/// New kinds of owned objects (templates, automation rules) get a field here and a line in
/// [`count_owned`] and [`transfer_owned`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Owned {
    /// Contacts whose main owner the user is: they move to the successor.
    pub main_contacts: i64,
    /// Co-ownerships: removed (the contacts keep their main owner).
    pub co_owned: i64,
    /// Teams the user manages: the successor becomes their manager.
    pub teams_managed: i64,
    /// Teams the user is a member of: membership ends.
    pub team_memberships: i64,
    /// Email/SMS templates the user owns: they move to the successor.
    pub templates: i64,
    /// Automation rules the user owns: they move to the successor, switched off. A rule acts
    /// with its owner's authority, so it runs with the successor's only once the successor
    /// turns it on: whoever deletes the user never lends it the successor's reach.
    pub rules: i64,
    /// Segments acting with the user's authority: they move to the successor, no longer
    /// applied to new contacts until the successor saves them (for the same reason).
    pub segments: i64,
}

pub fn count_owned(conn: &mut PgConnection, id: i64) -> QueryResult<Owned> {
    Ok(Owned {
        main_contacts: contacts::table.filter(contacts::main_owner_id.eq(id)).count().get_result(conn)?,
        co_owned: contact_owners::table.filter(contact_owners::user_id.eq(id)).count().get_result(conn)?,
        teams_managed: teams::table.filter(teams::manager_id.eq(id)).count().get_result(conn)?,
        team_memberships: team_members::table.filter(team_members::user_id.eq(id)).count().get_result(conn)?,
        templates: message_templates::table.filter(message_templates::owner_id.eq(id)).count().get_result(conn)?,
        rules: automation_rules::table.filter(automation_rules::owner_id.eq(id)).count().get_result(conn)?,
        segments: segments::table.filter(segments::saved_by.eq(id)).count().get_result(conn)?,
    })
}

/// Hands everything `from` owns to `to`, in set-based statements; returns what moved.
pub fn transfer_owned(conn: &mut PgConnection, from: i64, to: i64) -> QueryResult<Owned> {
    let (main_contacts, co_owned) = crate::contacts::owners::hand_over(conn, from, to)?;
    let teams_managed = diesel::update(teams::table.filter(teams::manager_id.eq(from)))
        .set((teams::manager_id.eq(to), teams::updated_at.eq(Utc::now())))
        .execute(conn)? as i64;
    let team_memberships =
        diesel::delete(team_members::table.filter(team_members::user_id.eq(from))).execute(conn)? as i64;
    let templates = diesel::update(message_templates::table.filter(message_templates::owner_id.eq(from)))
        .set(message_templates::owner_id.eq(to))
        .execute(conn)? as i64;
    let rules = diesel::update(automation_rules::table.filter(automation_rules::owner_id.eq(from)))
        .set((automation_rules::owner_id.eq(to), automation_rules::enabled.eq(false)))
        .execute(conn)? as i64;
    let segments = diesel::update(segments::table.filter(segments::saved_by.eq(from)))
        .set((segments::saved_by.eq(to), segments::keep_applying.eq(false)))
        .execute(conn)? as i64;
    Ok(Owned { main_contacts, co_owned, teams_managed, team_memberships, templates, rules, segments })
}

/// Deletes a user: ownership goes to `successor`, sessions end, presets and overrides go, and
/// the row stays with status `deleted` so the email is never reused.
pub fn delete(conn: &mut PgConnection, actor: &Actor, id: i64, successor: i64) -> Result<Owned, LifecycleError> {
    let user = model::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    if actor.id == id {
        return Err(LifecycleError::OwnAccount);
    }
    if user.status == DELETED {
        return Err(LifecycleError::WrongStatus);
    }
    let heir = model::find(conn, successor)?;
    if successor == id || !heir.as_ref().is_some_and(User::is_active) {
        return Err(LifecycleError::BadSuccessor);
    }
    let who = may_manage(conn, actor, id)?;
    // The successor takes over every contact the user is main owner of, confidential ones too,
    // and the teams they manage: naming oneself would be taking them, which only an
    // Administrator may; naming anyone else is giving them, held to the no-escalation rule.
    if successor == actor.id && !who.administrator {
        return Err(LifecycleError::NotAllowed(
            "Only an Administrator can name themselves as successor: choose another user to take over.".into(),
        ));
    }
    use crate::access::escalation::{organisation, Widening};
    organisation(conn, &who, Widening::Successor { from: id })?;
    ensure_not_last_admin(conn, &user)?;
    let moved = transfer_owned(conn, id, successor)?;
    let sessions_ended = end_sessions_of(conn, id)?;
    diesel::delete(user_presets::table.filter(user_presets::user_id.eq(id))).execute(conn)?;
    diesel::delete(user_overrides::table.filter(user_overrides::user_id.eq(id))).execute(conn)?;
    diesel::update(users::table.find(id))
        .set((
            users::status.eq(DELETED),
            users::avatar.eq(None::<Vec<u8>>),
            users::version.eq(users::version + 1),
            users::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    audit::Entry::by(actor, "user.delete", "user", id)
        .before(user.audit_json())
        .after(serde_json::json!({ "status": DELETED, "successor_id": successor, "moved": moved, "sessions_ended": sessions_ended }))
        .record(conn)?;
    Ok(moved)
}
