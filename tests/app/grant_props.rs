//! Property test of the no-escalation rule (issue #16, `access::grant`): on random users,
//! teams, groups and contacts in a real database, through the real write paths, nobody gives
//! anyone a role, a permission or access to a contact that they could not give by hand.
//!
//! - Accounts: a random actor saves a random wizard state (role, presets, overrides) for a
//!   random user or a new one (`users::save::commit`, what the wizard's Save runs).
//! - Automation: a random rule of a random owner (action, shared or not) fires on every
//!   contact (`events::after`, what every contact write path runs).

use crate::access_props::{insert, world, GROUPS, USERS};
use crate::automation::{base, insert_rule, R};
use crate::helpers::TestDb;
use custodian::access::{facts, ops, rules, Operation};
use custodian::contacts::events::Event;
use custodian::db::schema::*;
use custodian::events;
use custodian::permissions::{store, Perm, PermSet, Role};
use custodian::users::lifecycle::Actor;
use custodian::users::wizard::WizardState;
use diesel::prelude::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Who owns what and which groups, tags and flags each contact has: everything access depends on.
type Access = (Option<i64>, BTreeSet<(i64, bool)>, BTreeSet<i64>);

fn access_of(c: &mut PgConnection, id: i64) -> Access {
    let main: Option<i64> = contacts::table.find(id).select(contacts::main_owner_id).first(c).unwrap();
    let co: Vec<(i64, bool)> = contact_owners::table
        .filter(contact_owners::contact_id.eq(id))
        .select((contact_owners::user_id, contact_owners::read_only))
        .load(c)
        .unwrap();
    let groups: Vec<i64> = contact_access_groups::table
        .filter(contact_access_groups::contact_id.eq(id))
        .select(contact_access_groups::group_id)
        .load(c)
        .unwrap();
    (main, co.into_iter().collect(), groups.into_iter().collect())
}

fn tags_of(c: &mut PgConnection, id: i64) -> BTreeSet<String> {
    contact_tags::table
        .filter(contact_tags::contact_id.eq(id))
        .select(contact_tags::tag)
        .load(c)
        .unwrap()
        .into_iter()
        .collect()
}

#[derive(Debug, Clone)]
struct RuleSpec {
    owner: usize,
    action: &'static str,
    shared: bool,
    user: usize,
    group: usize,
}

fn rule() -> impl Strategy<Value = RuleSpec> {
    let action = prop_oneof![Just("set_main_owner"), Just("add_co_owner"), Just("add_access_group"), Just("add_tag")];
    (0..USERS, action, any::<bool>(), 0..USERS, 0..GROUPS).prop_map(|(owner, action, shared, user, group)| RuleSpec {
        owner,
        action,
        shared,
        user,
        group,
    })
}

#[derive(Debug, Clone)]
struct AccountSpec {
    actor: usize,
    /// `None`: a new user.
    target: Option<usize>,
    role: Role,
    presets: BTreeSet<usize>,
    grants: Vec<Perm>,
    revokes: Vec<Perm>,
    /// "Only contacts this user owns" as the wizard leaves it.
    only_owned: bool,
}

fn account() -> impl Strategy<Value = AccountSpec> {
    let role = prop::sample::select(Role::ALL.to_vec());
    let keys = prop::sample::subsequence(
        vec![
            Perm::ContactsAll,
            Perm::ContactsAssign,
            Perm::AdministrationUsersManage,
            Perm::AdministrationSettings,
            Perm::EmailSend,
        ],
        0..3,
    );
    (
        0..USERS,
        prop::option::weighted(0.8, 0..USERS),
        role,
        prop::collection::btree_set(0..Role::ALL.len(), 1..3),
        keys.clone(),
        keys,
        prop::bool::weighted(0.3),
    )
        .prop_map(|(actor, target, role, presets, grants, revokes, only_owned)| AccountSpec {
            actor,
            target,
            role,
            presets,
            grants,
            revokes,
            only_owned,
        })
}

/// Active Administrators holding every permission.
fn complete_admins(c: &mut PgConnection) -> usize {
    let ids: Vec<i64> = users::table
        .filter(users::role.eq("administrator"))
        .filter(users::status.eq("active"))
        .select(users::id)
        .load(c)
        .unwrap();
    ids.into_iter().filter(|id| store::effective_of(c, *id).unwrap() == PermSet::all()).count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_rule_changes_access_only_where_its_owner_could_by_hand(w in world(), r in rule()) {
        let db = TestDb::new();
        let mut c = db.conn();
        let (uids, cids) = insert(&mut c, &w);
        let gid: i64 = access_groups::table.filter(access_groups::name.eq(format!("g{}", r.group))).select(access_groups::id).first(&mut c).unwrap();
        let owner = facts::subject(&mut c, uids[r.owner]).unwrap().unwrap();
        insert_rule(&mut c, R {
            user: Some(uids[r.user]),
            group: Some(gid),
            tag: Some("ruled"),
            shared: r.shared,
            ..base(uids[r.owner], "contact_created", r.action)
        });
        let before: Vec<(Access, rules::ContactFacts)> =
            cids.iter().map(|id| (access_of(&mut c, *id), facts::contact(&mut c, *id).unwrap().unwrap())).collect();
        events::after(&mut c, None, &Event::Created, &cids).unwrap();
        for (i, id) in cids.iter().enumerate() {
            let (was, cf) = &before[i];
            let d = rules::decide(&owner, cf);
            if &access_of(&mut c, *id) != was {
                prop_assert!(
                    ops::permits(&owner, &d, Operation::Assign).is_ok(),
                    "rule {r:?} changed who has access to contact {i} ({cf:?}) though its owner may not assign it: {d:?}"
                );
            }
            if tags_of(&mut c, *id).contains("ruled") && (cf.confidential || !r.shared) {
                prop_assert!(d.level == custodian::access::Level::Act,
                    "rule {r:?} tagged contact {i} ({cf:?}) its owner cannot act on: {d:?}");
            }
        }
    }

    #[test]
    fn an_account_gains_only_what_its_editor_holds(w in world(), a in account()) {
        let db = TestDb::new();
        let mut c = db.conn();
        let (uids, _) = insert(&mut c, &w);
        let actor = facts::subject(&mut c, uids[a.actor]).unwrap().unwrap();
        let target = a.target.map(|t| uids[t]);
        let before = match target {
            Some(id) => {
                let (role, only_owned): (String, bool) =
                    users::table.find(id).select((users::role, users::only_owned)).first(&mut c).unwrap();
                Some((role, store::effective_of(&mut c, id).unwrap(), only_owned))
            }
            None => None,
        };
        let complete_before = complete_admins(&mut c);
        let presets: Vec<i64> = a.presets.iter().map(|i| store::system_preset_id(&mut c, Role::ALL[*i]).unwrap()).collect();
        let version: i32 = match target { Some(id) => users::table.find(id).select(users::version).first(&mut c).unwrap(), None => 0 };
        let email = match target { Some(id) => users::table.find(id).select(users::email).first(&mut c).unwrap(), None => "new@example.com".to_string() };
        let state = WizardState {
            target,
            version,
            first_name: "F".into(),
            email,
            password_hash: Some("x".into()),
            role: a.role.as_str().into(),
            presets,
            grants: a.grants.iter().map(|p| p.key().to_string()).collect(),
            revokes: a.revokes.iter().map(|p| p.key().to_string()).collect(),
            only_owned: a.only_owned,
            details_done: true,
            ..WizardState::default()
        };
        let saved = c.transaction(|c| {
            custodian::users::save::commit(c, &Actor { id: actor.user_id, ip: None, via: None }, &actor, &state, None)
                .map_err(|e| { let _ = e; diesel::result::Error::RollbackTransaction })
        });
        if let Ok(id) = saved {
            let role: String = users::table.find(id).select(users::role).first(&mut c).unwrap();
            let perms = store::effective_of(&mut c, id).unwrap();
            let own = Some(actor.user_id) == target;
            let (role_before, perms_before, owned_before) = before.clone().unwrap_or(("".into(), PermSet::EMPTY, true));
            if !own {
                // Managing the account at all (its password changed here) hands over its powers.
                if target.is_some() {
                    prop_assert!(perms_before.difference(actor.perms).is_empty(),
                        "{a:?}: the editor managed an account holding {:?}, which they lack", perms_before.difference(actor.perms).keys());
                    prop_assert!(role_before != "administrator" || actor.administrator,
                        "{a:?}: a non-Administrator managed an Administrator's account");
                }
                let only_owned: bool = users::table.find(id).select(users::only_owned).first(&mut c).unwrap();
                prop_assert!(!(actor.only_owned && owned_before && !only_owned),
                    "{a:?}: an editor held to 'only owned' lifted it");
                let gained = perms.difference(perms_before);
                prop_assert!(gained.difference(actor.perms).is_empty(),
                    "{a:?}: the account gained {:?}, which the editor does not hold", gained.difference(actor.perms).keys());
                let touches_admin = role == "administrator" || role_before == "administrator";
                let changed = role != role_before || perms != perms_before;
                prop_assert!(!touches_admin || !changed || actor.administrator,
                    "{a:?}: a non-Administrator made or changed an Administrator");
            }
            prop_assert!(complete_before == 0 || complete_admins(&mut c) > 0,
                "{a:?}: no complete Administrator is left");
        }
    }
}
