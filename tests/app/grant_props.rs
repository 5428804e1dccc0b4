//! Property test of the no-escalation rule (issue #16, `access::escalation`): on random users,
//! teams, groups and contacts in a real database, through the real write paths, nobody gives
//! anyone a role, a permission or access to a contact that they could not give by hand.
//!
//! - Accounts: a random actor saves a random wizard state (role, presets, overrides) for a
//!   random user or a new one (`users::save::commit`, what the wizard's Save runs).
//! - Automation: a random rule of a random owner (action, shared or not) fires on every
//!   contact (`events::after`, what every contact write path runs); and random chains of two
//!   and three rules with random owners, shared or not, started by a random authority (a
//!   public form's saver, an importer): an access action applies only where every authority
//!   before it could have made the change by hand.
//! - Organisation of access (issue #26): a random actor, holding the managing keys or not,
//!   makes a random manager, adds a random member, grants a random group to a random team or
//!   user at a random level, or deletes a random user with a random successor, through the
//!   domain commands every entry point calls (`teams`, `access_groups`, `users::lifecycle`):
//!   nobody ends up reaching a contact at a higher level unless the actor could have given
//!   access to it by hand, or is an Administrator.

use crate::access_props::{insert, world, GROUPS, USERS};
use crate::automation::{base, insert_rule, R};
use crate::helpers::TestDb;
use custodian::access::{facts, ops, rules, Operation};
use custodian::contacts::events::Event;
use custodian::db::schema::*;
use custodian::db::views::*;
use custodian::events;
use custodian::permissions::{store, Perm, PermSet, Role};
use custodian::users::lifecycle::Actor;
use custodian::users::wizard::UserDraft;
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

/// The level every user reaches every contact at, as the rules decide it now.
fn levels(c: &mut PgConnection, uids: &[i64], cids: &[i64]) -> Vec<Vec<custodian::access::Level>> {
    let contacts: Vec<rules::ContactFacts> = cids.iter().map(|id| facts::contact(c, *id).unwrap().unwrap()).collect();
    uids.iter()
        .map(|u| {
            let s = facts::subject(c, *u).unwrap().unwrap();
            contacts.iter().map(|cf| rules::decide(&s, cf).level).collect()
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Organise {
    Manager { team: usize, user: usize },
    Member { team: usize, user: usize },
    Grant { group: usize, to_team: bool, target: usize, level: &'static str },
    Delete { user: usize, successor: usize },
}

fn organise() -> impl Strategy<Value = (usize, bool, Organise)> {
    let change = prop_oneof![
        (0..3usize, 0..USERS).prop_map(|(team, user)| Organise::Manager { team, user }),
        (0..3usize, 0..USERS).prop_map(|(team, user)| Organise::Member { team, user }),
        (0..GROUPS, any::<bool>(), 0..USERS, prop::sample::select(vec!["view", "edit", "act"])).prop_map(
            |(group, to_team, target, level)| Organise::Grant {
                group,
                to_team,
                target: if to_team { target % 3 } else { target },
                level
            }
        ),
        (0..USERS, 0..USERS).prop_map(|(user, successor)| Organise::Delete { user, successor }),
    ];
    (0..USERS, any::<bool>(), change)
}

#[derive(Debug, Clone)]
struct ChainSpec {
    /// Who stands behind the first event (`None`: nobody, as for a form nobody saved).
    authority: Option<usize>,
    /// The owners and sharing of the rules, first to last.
    rules: Vec<(usize, bool)>,
    /// The access action that ends the chain.
    action: &'static str,
    user: usize,
    group: usize,
}

fn chain() -> impl Strategy<Value = ChainSpec> {
    let action = prop_oneof![Just("set_main_owner"), Just("add_co_owner"), Just("add_access_group")];
    (prop::option::of(0..USERS), prop::collection::vec((0..USERS, any::<bool>()), 2..4), action, 0..USERS, 0..GROUPS)
        .prop_map(|(authority, rules, action, user, group)| ChainSpec { authority, rules, action, user, group })
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
        let state = UserDraft {
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
            ..UserDraft::default()
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

proptest! {
    // Counterexamples need a non-Administrator actor or rule owner holding the right keys on
    // the right contacts: more cases than above.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn organising_access_reaches_only_what_the_actor_could_give(w in world(), o in organise()) {
        let (actor_i, keys, change) = o;
        let db = TestDb::new();
        let mut c = db.conn();
        let (uids, cids) = insert(&mut c, &w);
        let tids: Vec<i64> = teams::table.order(teams::id).select(teams::id).load(&mut c).unwrap();
        let gids: Vec<i64> = access_groups::table.order(access_groups::id).select(access_groups::id).load(&mut c).unwrap();
        if keys {
            for key in ["administration.teams_manage", "administration.access_groups_manage", "administration.users_manage"] {
                diesel::insert_into(user_overrides::table)
                    .values((user_overrides::user_id.eq(uids[actor_i]), user_overrides::perm_key.eq(key), user_overrides::granted.eq(true)))
                    .on_conflict_do_nothing()
                    .execute(&mut c)
                    .unwrap();
            }
        }
        let actor = facts::subject(&mut c, uids[actor_i]).unwrap().unwrap();
        let by = Actor { id: actor.user_id, ip: None, via: None };
        let before = levels(&mut c, &uids, &cids);
        let contacts: Vec<rules::ContactFacts> = cids.iter().map(|id| facts::contact(&mut c, *id).unwrap().unwrap()).collect();
        let done = c.transaction(|c| {
            let r: Result<(), String> = match &change {
                Organise::Manager { team, user } => {
                    let t = custodian::teams::find(c, tids[*team]).unwrap();
                    let v = custodian::teams::ValidTeam { name: t.name.clone(), manager_id: Some(uids[*user]) };
                    custodian::teams::update(c, &by, &actor, t.id, &v).map(|_| ()).map_err(|e| e.to_string())
                }
                Organise::Member { team, user } => {
                    let u = custodian::accounts::find(c, uids[*user]).unwrap().unwrap();
                    custodian::teams::add_member(c, &by, &actor, tids[*team], &u, Default::default()).map(|_| ()).map_err(|e| e.to_string())
                }
                Organise::Grant { group, to_team, target, level } => {
                    let holder = if *to_team {
                        custodian::access_groups::Holder::Team(tids[*target])
                    } else {
                        custodian::access_groups::Holder::User(uids[*target])
                    };
                    custodian::access_groups::add_grant(c, &by, &actor, gids[*group], holder, level, Default::default())
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
                Organise::Delete { user, successor } => {
                    custodian::users::lifecycle::delete(c, &by, uids[*user], uids[*successor])
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            };
            r.map_err(|_| diesel::result::Error::RollbackTransaction)
        });
        if done.is_ok() {
            let after = levels(&mut c, &uids, &cids);
            for (u, row) in after.iter().enumerate() {
                for (i, level) in row.iter().enumerate() {
                    if *level > before[u][i] {
                        let d = rules::decide(&actor, &contacts[i]);
                        prop_assert!(
                            (actor.administrator && actor.active) || ops::permits(&actor, &d, Operation::Assign).is_ok(),
                            "{change:?} by user {actor_i} raised user {u} on contact {i} from {:?} to {level:?}, which the actor could not give: {d:?}",
                            before[u][i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_chain_of_rules_changes_access_only_where_everyone_behind_it_could(w in world(), ch in chain()) {
        let db = TestDb::new();
        let mut c = db.conn();
        let (uids, cids) = insert(&mut c, &w);
        let gid: i64 = access_groups::table.filter(access_groups::name.eq(format!("g{}", ch.group))).select(access_groups::id).first(&mut c).unwrap();
        // Rule k adds tag "t{k}" on tag "t{k-1}" (the first on contact creation); the last one
        // makes the access change.
        let n = ch.rules.len();
        const TAGS: [&str; 4] = ["t0", "t1", "t2", "t3"];
        for (k, (owner, shared)) in ch.rules.iter().enumerate() {
            let (trigger, trigger_tag) = if k == 0 { ("contact_created", None) } else { ("tag_added", Some(TAGS[k - 1])) };
            let (action, tag) = if k + 1 == n { (ch.action, None) } else { ("add_tag", Some(TAGS[k])) };
            insert_rule(&mut c, R {
                trigger_tag,
                tag,
                user: Some(uids[ch.user]),
                group: Some(gid),
                shared: *shared,
                ..base(uids[*owner], trigger, action)
            });
        }
        let mut behind: Vec<i64> = ch.authority.map(|a| uids[a]).into_iter().collect();
        behind.extend(ch.rules.iter().map(|(o, _)| uids[*o]));
        let subjects: Vec<custodian::access::Subject> =
            behind.iter().map(|id| facts::subject(&mut c, *id).unwrap().unwrap()).collect();
        let before: Vec<(Access, rules::ContactFacts)> =
            cids.iter().map(|id| (access_of(&mut c, *id), facts::contact(&mut c, *id).unwrap().unwrap())).collect();
        events::after_on_behalf(&mut c, None, ch.authority.map(|a| uids[a]), &Event::Created, &cids).unwrap();
        for (i, id) in cids.iter().enumerate() {
            let (was, cf) = &before[i];
            if &access_of(&mut c, *id) != was {
                for s in &subjects {
                    let d = rules::decide(s, cf);
                    prop_assert!(
                        ops::permits(s, &d, Operation::Assign).is_ok(),
                        "{ch:?} changed who has access to contact {i} ({cf:?}) though user {} behind it may not assign it: {d:?}",
                        s.user_id
                    );
                }
            }
        }
    }
}
