//! The no-escalation rule, written once: nobody, through any screen, API, automation rule,
//! public form or background job, gives anyone (themselves included) a role, a permission or
//! access to a contact that they could not give by hand.
//!
//! Every write path that changes who has what calls one of these:
//! - [`account_change`]: a user's role, effective permissions and data settings (wizard,
//!   presets, overrides);
//! - [`manage_account`]: anything else done to someone's account (details, password, status,
//!   deletion), allowed only when it hands the actor nothing they lack;
//! - [`preset_keys`]: the keys of a preset someone creates or edits;
//! - owners, access groups or the confidential flag of one contact (the owner panel, the card)
//!   go through [`super::authorize`] with [`super::Operation::Assign`] or
//!   [`super::Operation::Confidential`]; the set-based paths (bulk, automation rules, segments)
//!   use the same operation as SQL, [`super::filter::permits`], with the
//!   authority of the one they act for (the user running the bulk action, the rule's owner,
//!   the segment's or the public form's last saver);
//! - [`ensure_complete_administrator`]: after any change to roles, presets, overrides or
//!   statuses, the organisation still has a complete Administrator.

use super::rules::Subject;
use crate::db::schema::users;
use crate::db::sql::{sql, Sql};
use crate::permissions::{PermSet, Role};
use diesel::prelude::*;

/// Why a change would give more than the actor could give by hand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Escalation {
    /// Keys the actor does not hold themselves.
    #[error("You can only give permissions you hold yourself: {}.", .0.keys().join(", "))]
    Permissions(PermSet),
    /// The Administrator role carries powers no key describes (confidential contacts): only an
    /// Administrator gives it, takes it, or changes what an Administrator holds.
    #[error(
        "Only an Administrator can make someone an Administrator or change an Administrator's role or permissions."
    )]
    AdministratorRole,
    /// The account holds permissions the actor does not: managing it (its password, email,
    /// status) would hand the actor those permissions.
    #[error("You can only manage accounts whose permissions you hold yourself; this one also has: {}.", .0.keys().join(", "))]
    Account(PermSet),
    /// Lifting "only contacts this user owns" or "disable contact export" from an account, or
    /// managing an account without them, when the actor is held to them.
    #[error("You are limited by this data setting yourself, so you cannot lift it from anyone: {0}.")]
    DataSetting(&'static str),
}

/// A user account's role, effective permissions and data settings: what an account change
/// gives, and what managing the account reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub role: Role,
    pub perms: PermSet,
    /// "Only contacts this user owns" (SPEC 2.4).
    pub only_owned: bool,
    /// "Disable contact export" (SPEC 2.4).
    pub export_disabled: bool,
}

impl Standing {
    /// The standing of a user as stored now (`None`: no such user). One query.
    pub fn of(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<Standing>> {
        Ok(Standing::of_many(conn, &[user_id])?.into_iter().next())
    }

    /// The standings of several users, in one query.
    fn of_many(conn: &mut PgConnection, user_ids: &[i64]) -> QueryResult<Vec<Standing>> {
        Ok(super::facts::signed_in_many(conn, user_ids)?
            .into_iter()
            .map(|(user, s)| Standing {
                role: user.role(),
                perms: s.perms,
                only_owned: s.only_owned,
                export_disabled: s.export_disabled,
            })
            .collect())
    }

    /// The standings of several users once every end set on their access has come
    /// (`access::ends`): only presets and granted overrides that do not end count, and every
    /// revoke does (one that ends only gives back). So the complete Administrator the
    /// organisation keeps never depends on access that will end. Three queries.
    fn lasting_many(conn: &mut PgConnection, user_ids: &[i64]) -> QueryResult<Vec<Standing>> {
        use crate::db::schema::preset_permissions as pp;
        use crate::db::views::{user_overrides as o, user_presets as up};
        let keys: Vec<(i64, String)> = up::table
            .inner_join(pp::table.on(pp::preset_id.eq(up::preset_id)))
            .filter(up::user_id.eq_any(user_ids))
            .filter(up::ends_at.is_null())
            .select((up::user_id, pp::perm_key))
            .load(conn)?;
        let overrides: Vec<(i64, String, bool, bool)> = o::table
            .filter(o::user_id.eq_any(user_ids))
            .select((o::user_id, o::perm_key, o::granted, o::ends_at.is_null()))
            .load(conn)?;
        Ok(super::facts::signed_in_many(conn, user_ids)?
            .into_iter()
            .map(|(user, s)| {
                let presets = PermSet::from_keys(keys.iter().filter(|(u, _)| *u == user.id).map(|(_, k)| k.as_str()));
                let mine = || overrides.iter().filter(|(u, ..)| *u == user.id);
                let granted =
                    PermSet::from_keys(mine().filter(|(.., g, lasts)| *g && *lasts).map(|(_, k, ..)| k.as_str()));
                let revoked = PermSet::from_keys(mine().filter(|(.., g, _)| !*g).map(|(_, k, ..)| k.as_str()));
                Standing {
                    role: user.role(),
                    perms: crate::permissions::effective(&[presets], granted, revoked),
                    only_owned: s.only_owned,
                    export_disabled: s.export_disabled,
                }
            })
            .collect())
    }

    /// A complete Administrator: the role, every permission, no data restriction.
    fn complete(&self) -> bool {
        self.role == Role::Administrator && self.perms == PermSet::all() && !self.only_owned && !self.export_disabled
    }
}

/// May `actor` manage another user's account at all — edit its details or password, change
/// its status, sign it out, delete it? Only if that gives the actor nothing they lack: the
/// account's permissions are ones the actor holds, an Administrator's account is managed only
/// by an Administrator, and an actor held to a data setting cannot manage an account free of
/// it.
pub fn manage_account(actor: &Subject, target: &Standing) -> Result<(), Escalation> {
    if target.role == Role::Administrator && !actor.administrator {
        return Err(Escalation::AdministratorRole);
    }
    let extra = target.perms.difference(actor.perms);
    if !extra.is_empty() {
        return Err(Escalation::Account(extra));
    }
    data_settings(actor, target.only_owned, target.export_disabled)
}

/// An account free of a data setting the actor is held to would reach more than the actor.
fn data_settings(actor: &Subject, only_owned: bool, export_disabled: bool) -> Result<(), Escalation> {
    if actor.only_owned && !only_owned {
        return Err(Escalation::DataSetting("only contacts this user owns"));
    }
    if actor.export_disabled && !export_disabled {
        return Err(Escalation::DataSetting("contact export disabled"));
    }
    Ok(())
}

/// May `actor` turn an account from `before` (`None`: a new account) into `after`?
/// Whatever the account gains must be held by the actor, and only an Administrator creates,
/// makes, unmakes or re-equips an Administrator.
pub fn account_change(actor: &Subject, before: Option<Standing>, after: Standing) -> Result<(), Escalation> {
    let touches_admin = after.role == Role::Administrator || before.is_some_and(|b| b.role == Role::Administrator);
    let changes = before != Some(after);
    if touches_admin && changes && !actor.administrator {
        return Err(Escalation::AdministratorRole);
    }
    let gained = after.perms.difference(before.map(|b| b.perms).unwrap_or(PermSet::EMPTY));
    preset_keys(actor.perms, gained)?;
    // Lifting a data setting (or creating an account without it) is giving too.
    let lifts_owned = !after.only_owned && before.is_none_or(|b| b.only_owned);
    let lifts_export = !after.export_disabled && before.is_none_or(|b| b.export_disabled);
    data_settings(actor, !lifts_owned, !lifts_export)
}

/// May an author holding `author_perms` put `keys` into a preset (or give them to a user)?
pub fn preset_keys(author_perms: PermSet, keys: PermSet) -> Result<(), Escalation> {
    let extra = keys.difference(author_perms);
    if extra.is_empty() {
        Ok(())
    } else {
        Err(Escalation::Permissions(extra))
    }
}

/// The organisation keeps at least one complete Administrator: active, with the role, holding
/// every permission, and held to no data setting. Run inside the transaction of a change, after it; locks the
/// Administrators' rows so two concurrent changes cannot both pass.
pub fn ensure_complete_administrator(conn: &mut PgConnection) -> Result<(), LastAdministrator> {
    ensure_complete_administrator_besides(conn, None)
}

/// The same, not counting `leaving` (a user about to be deactivated, deleted or demoted).
pub fn ensure_complete_administrator_besides(
    conn: &mut PgConnection,
    leaving: Option<i64>,
) -> Result<(), LastAdministrator> {
    let staying: Vec<i64> = lock_administrators(conn)?.into_iter().filter(|id| Some(*id) != leaving).collect();
    if Standing::lasting_many(conn, &staying)?.iter().any(Standing::complete) {
        Ok(())
    } else {
        Err(LastAdministrator::Missing)
    }
}

/// Locks the active Administrators' rows until the transaction ends, in id order: the one
/// order every writer that changes users takes them in, before any other user row, so two
/// Administrators changing each other never deadlock. Returns their ids.
pub fn lock_administrators(conn: &mut PgConnection) -> QueryResult<Vec<i64>> {
    users::table
        .filter(users::role.eq(Role::Administrator.as_str()))
        .filter(users::status.eq(crate::accounts::ACTIVE))
        .select(users::id)
        .order(users::id)
        .for_update()
        .load(conn)
}

/// The change would leave no complete Administrator.
#[derive(Debug, thiserror::Error)]
pub enum LastAdministrator {
    #[error("This would leave no active Administrator holding every permission: make another user a full Administrator first.")]
    Missing,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// A change of the organisation of access: each lets someone reach contacts through rule 3
/// (team managers) or rule 4 (access-group grants), or hands a user's contacts to a successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widening {
    /// Someone becomes the manager of `team`: they reach what its members own (main owner or
    /// writable co-owner).
    Manager { team: i64 },
    /// `user` joins `team`: the team's manager reaches what the user owns, and the user reaches
    /// the contacts of the groups granted to the team.
    Member { team: i64, user: i64 },
    /// `group` is granted, or granted at a higher level, to a team or a user: they reach its
    /// contacts.
    Group { group: i64 },
    /// `from` is deleted and a successor takes over: the contacts `from` is main owner of, and
    /// the teams `from` manages (with what their members own).
    Successor { from: i64 },
}

impl Widening {
    /// The contacts the change may bring into someone's reach, as a set of ids (SQL).
    fn contacts(self) -> Sql {
        // What the members of a team own, as rule 3 counts it.
        fn owned_by_members(members: Sql) -> Sql {
            sql!(
                "SELECT id FROM contacts WHERE main_owner_id IN (",
                members.clone(),
                ") UNION SELECT contact_id FROM contact_owners WHERE NOT read_only AND user_id IN (",
                members,
                ")"
            )
        }
        match self {
            Widening::Manager { team } => {
                owned_by_members(sql!("SELECT user_id FROM team_members WHERE team_id = ", team))
            }
            Widening::Member { team, user } => sql!(
                "SELECT id FROM contacts WHERE main_owner_id = ",
                user,
                " AND EXISTS (SELECT 1 FROM teams WHERE id = ",
                team,
                " AND manager_id IS NOT NULL) UNION SELECT co.contact_id FROM contact_owners co \
                 WHERE NOT co.read_only AND co.user_id = ",
                user,
                " AND EXISTS (SELECT 1 FROM teams WHERE id = ",
                team,
                " AND manager_id IS NOT NULL) UNION SELECT cag.contact_id FROM contact_access_groups cag \
                 JOIN access_group_grants g ON g.group_id = cag.group_id WHERE g.team_id = ",
                team
            ),
            Widening::Group { group } => {
                sql!("SELECT contact_id FROM contact_access_groups WHERE group_id = ", group)
            }
            Widening::Successor { from } => {
                let mut s = sql!("SELECT id FROM contacts WHERE main_owner_id = ", from, " UNION ");
                s.append(&owned_by_members(sql!(
                    "SELECT m.user_id FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.manager_id = ",
                    from
                )));
                s
            }
        }
    }
}

/// No escalation in the organisation of access: a change that lets anyone reach contacts is
/// made by an Administrator, or by an actor who could give access to every one of those
/// contacts by hand (the owner panel's `contacts.assign` at edit level, [`super::Operation::Assign`]).
/// The contacts counted are every contact the change may bring into reach, whoever the
/// beneficiary is and whatever their level — the actor themselves included.
pub fn organisation(conn: &mut PgConnection, actor: &Subject, change: Widening) -> Result<(), super::Denied> {
    match beyond(conn, actor, sql!("c.id IN (", change.contacts(), ")"))? {
        0 => Ok(()),
        n => Err(super::Denied::Forbidden(format!(
            "This would give access to {n} contacts you cannot give access to yourself (you would need contacts.assign on each of them)."
        ))),
    }
}

/// Setting another account's password or sign-in email lets the actor sign in as it: the
/// account's reach becomes theirs. Allowed to an Administrator, or where the actor could give
/// access to every contact the account reaches by hand (`contacts.assign` on each).
pub fn credentials(conn: &mut PgConnection, actor: &Subject, account: &Subject) -> Result<(), super::Denied> {
    match beyond(conn, actor, super::filter::reaches(account, super::Level::View))? {
        0 => Ok(()),
        n => Err(super::Denied::Forbidden(format!(
            "Setting this user's password or sign-in email would let you sign in as them and reach {n} contacts you cannot give access to yourself; ask an Administrator."
        ))),
    }
}

/// How many contacts matching `which` (a condition over `contacts c`) the actor could not give
/// access to by hand; none for an active Administrator.
fn beyond(conn: &mut PgConnection, actor: &Subject, which: Sql) -> QueryResult<i64> {
    if actor.administrator && actor.active {
        return Ok(0);
    }
    #[derive(QueryableByName)]
    struct Beyond {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let q = sql!(
        "SELECT count(*) AS n FROM contacts c WHERE (",
        which,
        ") AND NOT (",
        super::filter::permits(actor, super::Operation::Assign),
        ")"
    );
    Ok(q.query().get_result::<Beyond>(conn)?.n)
}
