//! Who may make a change that is not about one contact: the permission each change needs,
//! checked by the change itself (the domain command), never only by the screen that offers it.
//! Screens, SCIM, the JSON APIs, sign-in and the workers all reach a change through its
//! command, so an entry point that forgets a check cannot make the change.
//!
//! The rules, one per kind of change:
//! - users (create, edit, presets, status, deletion): `administration.users_manage`, then the
//!   no-escalation rule of [`super::escalation`]; reading the user directory: `users_view` or
//!   `users_manage`;
//! - teams and their members: `administration.teams_manage`; access groups and their grants:
//!   `administration.access_groups_manage`; either way, a change that lets anyone reach more
//!   contacts is also held to [`super::escalation::organisation`];
//! - security settings (sign-in policy, two-factor policy, provisioning defaults and
//!   successor) and API tokens: an Administrator holding `administration.settings`
//!   ([`security`]): each of them can weaken the protection of every account, Administrators'
//!   included, or reads who reaches every contact.

use super::rules::Subject;
use super::Denied;
use crate::permissions::Perm;

/// Refuses unless `who` is active and holds `p`.
pub fn require(who: &Subject, p: Perm) -> Result<(), Denied> {
    require_any(who, &[p])
}

/// Refuses unless `who` is active and holds one of `ps`.
pub fn require_any(who: &Subject, ps: &[Perm]) -> Result<(), Denied> {
    if !who.active {
        return Err(Denied::Forbidden(format!("user {} is not active", who.user_id)));
    }
    if ps.iter().any(|p| who.perms.contains(*p)) {
        Ok(())
    } else {
        let keys: Vec<String> = ps.iter().map(ToString::to_string).collect();
        Err(Denied::Forbidden(format!("this needs the permission {}", keys.join(" or "))))
    }
}

/// Security settings and tokens: an active Administrator holding `administration.settings`.
pub fn security(who: &Subject) -> Result<(), Denied> {
    require(who, Perm::AdministrationSettings)?;
    if who.administrator {
        Ok(())
    } else {
        Err(Denied::Forbidden("only an Administrator changes security settings and API tokens".into()))
    }
}

/// Starting access reviews, and reading or deciding any of them: an active Administrator (a
/// review shows every person's access, and its removals act with its starter's authority).
pub fn reviews(who: &Subject) -> Result<(), Denied> {
    if who.active && who.administrator {
        Ok(())
    } else {
        Err(Denied::Forbidden("only an Administrator starts and oversees access reviews".into()))
    }
}

/// Reading the user directory (names, emails, roles of every account).
pub fn read_users(who: &Subject) -> Result<(), Denied> {
    require_any(who, &[Perm::AdministrationUsersView, Perm::AdministrationUsersManage])
}

/// `user_id` as they stand now, refused unless they hold one of `ps`: for the commands that
/// know their actor by id. `NotFound` (as a refusal) when the user does not exist.
pub fn require_of(conn: &mut diesel::PgConnection, user_id: i64, ps: &[Perm]) -> Result<Subject, Denied> {
    let who = super::facts::subject(conn, user_id)?
        .ok_or_else(|| Denied::Forbidden(format!("user {user_id} does not exist")))?;
    require_any(&who, ps)?;
    Ok(who)
}

/// Keys of the screens where a user is named (the contact list's owner filter, owners,
/// members, grants, successors, a rule's user, the audit log's actor): their holders may look
/// users up by name in the picker.
pub const NAMES_USERS: &[Perm] = &[
    Perm::ContactsView,
    Perm::AdministrationUsersView,
    Perm::AdministrationUsersManage,
    Perm::ContactsAssign,
    Perm::AdministrationTeamsManage,
    Perm::AdministrationAccessGroupsManage,
    Perm::AdministrationSettings,
    Perm::AdministrationAuditView,
    Perm::AutomationCreate,
    Perm::AutomationUpdate,
    Perm::ContactsImport,
];

/// Looking users up by name and email (the user picker): only for who names users somewhere.
pub fn pick_users(who: &Subject) -> Result<(), Denied> {
    require_any(who, NAMES_USERS)
}

/// Creating, editing, deactivating or deleting accounts.
pub fn manage_users(who: &Subject) -> Result<(), Denied> {
    require(who, Perm::AdministrationUsersManage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::PermSet;

    fn subject(perms: &[Perm], administrator: bool) -> Subject {
        Subject {
            user_id: 1,
            active: true,
            perms: perms.iter().copied().collect::<PermSet>(),
            only_owned: false,
            export_disabled: false,
            administrator,
            teams: vec![],
        }
    }

    #[test]
    fn security_needs_the_role_and_the_key() {
        assert!(security(&subject(&[Perm::AdministrationSettings], false)).is_err());
        assert!(security(&subject(&[], true)).is_err());
        assert!(security(&subject(&[Perm::AdministrationSettings], true)).is_ok());
        let mut gone = subject(&[Perm::AdministrationSettings], true);
        gone.active = false;
        assert!(security(&gone).is_err());
    }

    #[test]
    fn users_need_their_keys() {
        assert!(manage_users(&subject(&[Perm::AdministrationSettings], false)).is_err());
        assert!(read_users(&subject(&[Perm::AdministrationUsersView], false)).is_ok());
        assert!(manage_users(&subject(&[Perm::AdministrationUsersView], false)).is_err());
    }
}
