//! Property test (SPEC 3): on randomly generated users, teams, access groups and contacts in a
//! real database, the decision function and the SQL filter agree exactly, at every level and
//! for every operation; so do the contact list (every sort order, list filters, pages, count),
//! the user card's path-by-path reach, `all_active_subjects`, and the facts an import decides
//! on before it creates a contact (`facts::new_contact`).

use crate::helpers::TestDb;
use custodian::access::{facts, filter, pages, rules, Level};
use custodian::accounts::{self as model, NewUser};
use custodian::db::schema::*;
use custodian::db::views::*;
use custodian::permissions::Role;
use diesel::prelude::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

pub const USERS: usize = 6;
const TEAMS: usize = 3;
pub const GROUPS: usize = 3;

#[derive(Debug, Clone)]
pub struct UserSpec {
    pub role: Role,
    only_owned: bool,
    active: bool,
    /// 0: nothing, 1: revoke contacts.all, 2: grant contacts.all.
    all_override: u8,
}

#[derive(Debug, Clone)]
pub struct TeamSpec {
    manager: Option<usize>,
    members: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct GrantSpec {
    group: usize,
    to_team: bool,
    target: usize,
    level: Level,
}

#[derive(Debug, Clone)]
pub struct ContactSpec {
    main: Option<usize>,
    co: Vec<(usize, bool)>,
    confidential: bool,
    groups: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct World {
    pub users: Vec<UserSpec>,
    pub teams: Vec<TeamSpec>,
    pub grants: Vec<GrantSpec>,
    pub contacts: Vec<ContactSpec>,
}

fn user() -> impl Strategy<Value = UserSpec> {
    let roles = prop_oneof![
        Just(Role::Administrator),
        Just(Role::Manager),
        Just(Role::Salesperson),
        Just(Role::User),
        Just(Role::SendingOperator)
    ];
    (roles, prop::bool::weighted(0.2), prop::bool::weighted(0.85), 0u8..3)
        .prop_map(|(role, only_owned, active, all_override)| UserSpec { role, only_owned, active, all_override })
}

/// Random contact-list filters over the world [`insert`] writes (its names, emails, tags,
/// category, users and groups), LIKE's wildcards included.
#[derive(Debug, Clone)]
pub struct FilterSpec {
    q: &'static str,
    tag: &'static str,
    /// `None`: any owner; `Some(None)`: "me"; `Some(Some(u))`: user `u`.
    owner: Option<Option<usize>>,
    group: Option<usize>,
    category: &'static str,
}

fn filter_spec() -> impl Strategy<Value = FilterSpec> {
    (
        prop::sample::select(vec!["", "", "n1", "F2", "p3@", "x1.", "%", "_1"]),
        prop::sample::select(vec!["", "", "t0", "t2", "absent"]),
        prop::option::of(prop::option::of(0..USERS)),
        prop::option::weighted(0.3, 0..GROUPS),
        prop::sample::select(vec!["", "", "lead", "customer"]),
    )
        .prop_map(|(q, tag, owner, group, category)| FilterSpec { q, tag, owner, group, category })
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![Just(Level::View), Just(Level::Edit), Just(Level::Act)]
}

pub fn world() -> impl Strategy<Value = World> {
    let team = (prop::option::of(0..USERS), prop::collection::btree_set(0..USERS, 0..4))
        .prop_map(|(manager, members)| TeamSpec { manager, members: members.into_iter().collect() });
    let grant = (0..GROUPS, any::<bool>(), 0..USERS, level()).prop_map(|(group, to_team, target, level)| GrantSpec {
        group,
        to_team,
        target: if to_team { target % TEAMS } else { target },
        level,
    });
    let contact = (
        prop::option::of(0..USERS),
        prop::collection::btree_map(0..USERS, any::<bool>(), 0..3),
        prop::bool::weighted(0.25),
        prop::collection::btree_set(0..GROUPS, 0..3),
    )
        .prop_map(|(main, co, confidential, groups)| ContactSpec {
            co: co.into_iter().filter(|(u, _)| Some(*u) != main).collect(),
            main,
            confidential,
            groups: groups.into_iter().collect(),
        });
    (
        prop::collection::vec(user(), USERS),
        prop::collection::vec(team, TEAMS),
        prop::collection::vec(grant, 0..6),
        prop::collection::vec(contact, 1..16),
    )
        .prop_map(|(users, teams, grants, contacts)| World { users, teams, grants, contacts })
}

/// Writes the world; returns (user ids, contact ids).
pub fn insert(c: &mut PgConnection, w: &World) -> (Vec<i64>, Vec<i64>) {
    let mut uids = Vec::new();
    for (i, u) in w.users.iter().enumerate() {
        let email = format!("u{i}@example.com");
        let id = model::create(
            c,
            &NewUser {
                email: &email,
                first_name: "U",
                last_name: "",
                phone: None,
                password_hash: "x",
                role: u.role.as_str(),
            },
        )
        .unwrap()
        .id;
        diesel::update(users::table.find(id))
            .set((
                users::only_owned.eq(u.only_owned),
                users::status.eq(if u.active { "active" } else { "deactivated" }),
            ))
            .execute(c)
            .unwrap();
        if u.all_override > 0 {
            diesel::insert_into(user_overrides::table)
                .values((
                    user_overrides::user_id.eq(id),
                    user_overrides::perm_key.eq("contacts.all"),
                    user_overrides::granted.eq(u.all_override == 2),
                ))
                .execute(c)
                .unwrap();
        }
        uids.push(id);
    }
    let mut tids = Vec::new();
    for (i, t) in w.teams.iter().enumerate() {
        let id: i64 = diesel::insert_into(teams::table)
            .values((teams::name.eq(format!("t{i}")), teams::manager_id.eq(t.manager.map(|m| uids[m]))))
            .returning(teams::id)
            .get_result(c)
            .unwrap();
        for m in &t.members {
            diesel::insert_into(team_members::table)
                .values((team_members::team_id.eq(id), team_members::user_id.eq(uids[*m])))
                .execute(c)
                .unwrap();
        }
        tids.push(id);
    }
    let mut gids = Vec::new();
    for i in 0..GROUPS {
        gids.push(
            diesel::insert_into(access_groups::table)
                .values(access_groups::name.eq(format!("g{i}")))
                .returning(access_groups::id)
                .get_result::<i64>(c)
                .unwrap(),
        );
    }
    for g in &w.grants {
        let (user_id, team_id) = if g.to_team { (None, Some(tids[g.target])) } else { (Some(uids[g.target]), None) };
        diesel::insert_into(access_group_grants::table)
            .values((
                access_group_grants::group_id.eq(gids[g.group]),
                access_group_grants::user_id.eq(user_id),
                access_group_grants::team_id.eq(team_id),
                access_group_grants::level.eq(g.level.as_str()),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .unwrap();
    }
    let mut cids = Vec::new();
    for (i, ct) in w.contacts.iter().enumerate() {
        // Names, emails and a category that repeat and interleave, so every sort order and
        // filter of the list has ties and gaps to get wrong.
        let email = (i % 4 != 0).then(|| format!("p{}@x{}.test", (i * 7) % 5, i));
        let id: i64 = diesel::insert_into(contacts::table)
            .values((
                contacts::main_owner_id.eq(ct.main.map(|m| uids[m])),
                contacts::confidential.eq(ct.confidential),
                contacts::first_name.eq(format!("f{}", (i * 3) % 4)),
                contacts::last_name.eq(format!("n{}", (i * 5) % 3)),
                contacts::email.eq(email),
                contacts::category.eq((i % 3 == 0).then_some("lead")),
            ))
            .returning(contacts::id)
            .get_result(c)
            .unwrap();
        if i % 2 == 0 {
            diesel::insert_into(contact_tags::table)
                .values((contact_tags::contact_id.eq(id), contact_tags::tag.eq(format!("t{}", i % 3))))
                .execute(c)
                .unwrap();
        }
        for (u, ro) in &ct.co {
            diesel::insert_into(contact_owners::table)
                .values((
                    contact_owners::contact_id.eq(id),
                    contact_owners::user_id.eq(uids[*u]),
                    contact_owners::read_only.eq(*ro),
                ))
                .execute(c)
                .unwrap();
        }
        for g in &ct.groups {
            diesel::insert_into(contact_access_groups::table)
                .values((contact_access_groups::contact_id.eq(id), contact_access_groups::group_id.eq(gids[*g])))
                .execute(c)
                .unwrap();
        }
        cids.push(id);
    }
    (uids, cids)
}

fn sql_set(c: &mut PgConnection, s: &rules::Subject, min: Level) -> BTreeSet<i64> {
    ids_where(c, &filter::reaches(s, min))
}

fn ids_where(c: &mut PgConnection, condition: &custodian::db::sql::Sql) -> BTreeSet<i64> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let q = custodian::sql!("SELECT c.id FROM contacts c WHERE ", condition);
    q.query().load::<Row>(c).unwrap().into_iter().map(|r| r.id).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn decision_function_and_sql_filter_agree(w in world(), picked in prop::collection::vec(filter_spec(), 3)) {
        let db = TestDb::new();
        let mut c = db.conn();
        let (uids, cids) = insert(&mut c, &w);
        let contact_facts: Vec<_> = cids.iter().map(|id| facts::contact(&mut c, *id).unwrap().unwrap()).collect();
        // An import decides about contacts it has not created yet: the facts of a contact as
        // one would be created (main owner, groups; not confidential, no co-owners).
        let planned: Vec<(usize, rules::ContactFacts)> = contact_facts
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.confidential && f.co_owners.is_empty())
            .map(|(i, f)| {
                let groups: Vec<i64> = contact_access_groups::table
                    .filter(contact_access_groups::contact_id.eq(f.contact_id))
                    .select(contact_access_groups::group_id)
                    .load(&mut c)
                    .unwrap();
                (i, facts::new_contact(&mut c, f.main_owner, &groups).unwrap())
            })
            .collect();
        // "Who can see this contact" loads every active user at once: the same subjects.
        let everyone = facts::all_active_subjects(&mut c).unwrap();
        for uid in &uids {
            let s = facts::subject(&mut c, *uid).unwrap().unwrap();
            let listed = everyone.iter().find(|(u, _)| u.id == *uid).map(|(_, s)| format!("{s:?}"));
            prop_assert_eq!(listed, s.active.then(|| format!("{s:?}")), "all_active_subjects, user {}", uid);
            for (i, new) in &planned {
                let (planned, created) = (rules::decide(&s, new), rules::decide(&s, &contact_facts[*i]));
                prop_assert_eq!(planned.level, created.level, "new_contact level, user {:?}", s);
                let sorted = |d: &rules::Decision| {
                    let mut v: Vec<String> = d.paths.iter().map(|p| format!("{p:?}")).collect();
                    v.sort();
                    v
                };
                prop_assert_eq!(sorted(&planned), sorted(&created), "new_contact paths, user {:?}", s);
            }
            // Every operation of the table of SPEC 3, in Rust and as SQL (what bulk, imports and
            // sending filter by), alone and combined as a bulk run combines them.
            use custodian::access::{ops, Operation};
            let all_ops = [
                Operation::View, Operation::Edit, Operation::Assign, Operation::Confidential,
                Operation::Delete, Operation::SendEmail, Operation::SendSms, Operation::Export,
            ];
            let by_op = |op: Operation| -> BTreeSet<i64> {
                contact_facts
                    .iter()
                    .filter(|f| ops::permits(&s, &rules::decide(&s, f), op).is_ok())
                    .map(|f| f.contact_id)
                    .collect()
            };
            for op in all_ops {
                prop_assert_eq!(by_op(op), ids_where(&mut c, &filter::permits(&s, op)), "permits {:?}, user {:?}", op, s);
            }
            for pair in [[Operation::Assign, Operation::Edit], [Operation::Confidential, Operation::Edit]] {
                let both: BTreeSet<i64> = by_op(pair[0]).intersection(&by_op(pair[1])).copied().collect();
                prop_assert_eq!(both, ids_where(&mut c, &filter::permits_all(&s, &pair)), "permits_all {:?}, user {:?}", pair, s);
            }
            // The contact list in every sort order it offers and under list filters: the access
            // rules' set, filtered and ordered as plain SQL would, equals the list's pages.
            {
                use custodian::contacts::list::{self as contact_list, Counting};
                use custodian::contacts::selection::{Filters, Sort};
                let visible: Vec<i64> = contact_facts
                    .iter()
                    .filter(|f| rules::decide(&s, f).level >= Level::View)
                    .map(|f| f.contact_id)
                    .collect();
                let mut group_id = |g: usize| -> i64 {
                    access_groups::table.filter(access_groups::name.eq(format!("g{g}"))).select(access_groups::id).first(&mut c).unwrap()
                };
                let mut filters = vec![Filters::default()];
                for f in &picked {
                    filters.push(Filters {
                        q: f.q.into(),
                        tag: f.tag.into(),
                        owner: match f.owner {
                            None => String::new(),
                            Some(None) => "me".into(),
                            Some(Some(u)) => format!("u{u}@example.com"),
                        },
                        group: f.group.map(|g| group_id(g).to_string()).unwrap_or_default(),
                        category: f.category.into(),
                        ..Filters::default()
                    });
                }
                for f in &filters {
                    for sort in Sort::ALL {
                        let mut q = custodian::db::sql::Sql::new("SELECT c.id FROM contacts c WHERE c.id = ANY(");
                        q.bind(custodian::db::sql::Bind::I64s(visible.clone())).push(")");
                        q.append(&f.conditions(&s));
                        q.push(sort.order_by());
                        #[derive(QueryableByName)]
                        struct Row {
                            #[diesel(sql_type = diesel::sql_types::BigInt)]
                            id: i64,
                        }
                        let expected: Vec<i64> = q.query().load::<Row>(&mut c).unwrap().into_iter().map(|r| r.id).collect();
                        for per_page in [1000, 2] {
                            let mut got = Vec::new();
                            for page in 1..=(expected.len() as i64 / per_page + 1) {
                                let p = contact_list::page(&mut c, &s, f, sort, page, per_page, Counting::No).unwrap();
                                got.extend(p.rows.iter().map(|r| r.id));
                            }
                            prop_assert_eq!(&got, &expected, "list {:?} {:?} per page {}, user {:?}", f, sort, per_page, s);
                        }
                        let counted = contact_list::page(&mut c, &s, f, sort, 1, 2, Counting::UpTo(1000)).unwrap();
                        prop_assert_eq!(counted.total, Some(expected.len() as i64), "count {:?}, user {:?}", f, s);
                    }
                }
            }
            // The user card's path-by-path counts (access::reach) against the paths decide()
            // finds, those a limit blocks included (the card shows what a limit takes away),
            // except the shared paths a confidential contact never opens to others.
            {
                use custodian::access::{reach::Reach, Path};
                let r = Reach::of(&mut c, &s).unwrap();
                let decisions: Vec<_> = contact_facts.iter().map(|f| rules::decide(&s, f)).collect();
                let with = |pick: &dyn Fn(&Path) -> bool| -> i64 {
                    decisions
                        .iter()
                        .zip(&contact_facts)
                        .filter(|(d, f)| {
                            // Teams and groups never count another owner's confidential contact.
                            let closed = f.confidential && !s.administrator;
                            d.paths.iter().chain(d.blocked.iter().map(|(p, _)| p)).any(|p| {
                                pick(p) && !(closed && matches!(p, Path::TeamManager { .. } | Path::Group { .. }))
                            })
                        })
                        .count() as i64
                };
                prop_assert_eq!(r.main_owner, with(&|p| *p == Path::MainOwner), "reach main owner, user {:?}", s);
                prop_assert_eq!(r.co_owner, with(&|p| *p == Path::CoOwner { read_only: false }), "reach co-owner, user {:?}", s);
                prop_assert_eq!(r.co_owner_read_only, with(&|p| *p == Path::CoOwner { read_only: true }), "reach read-only, user {:?}", s);
                for t in &r.teams {
                    let n = with(&|p| matches!(p, Path::TeamManager { team_id, .. } if *team_id == t.team_id));
                    prop_assert_eq!(t.contacts, n, "reach team {}, user {:?}", t.team_name, s);
                }
                for g in &r.grants {
                    let n = with(&|p| matches!(p, Path::Group { group_id, team_name, .. } if *group_id == g.group_id && *team_name == g.team_name));
                    prop_assert_eq!(g.contacts, n, "reach group {} via {:?}, user {:?}", g.group_name, g.team_name, s);
                }
            }
            for min in [Level::View, Level::Edit, Level::Act] {
                let by_rule: BTreeSet<i64> = contact_facts
                    .iter()
                    .filter(|f| rules::decide(&s, f).level >= min)
                    .map(|f| f.contact_id)
                    .collect();
                let by_sql = sql_set(&mut c, &s, min);
                prop_assert_eq!(&by_rule, &by_sql, "user {:?} at {:?}", s, min);
                // The user card's totals (access::reach).
                prop_assert_eq!(filter::count(&mut c, &s, min).unwrap(), by_rule.len() as i64, "count, user {:?} at {:?}", s, min);
                // The list's newest-first look-up: all of them, and the newest three.
                let none = custodian::db::sql::Sql::default();
                let all: BTreeSet<i64> = pages::newest_ids(&mut c, &s, min, &none, 1000).unwrap().into_iter().collect();
                prop_assert_eq!(&by_rule, &all, "newest_ids, user {:?} at {:?}", s, min);
                let top: Vec<i64> = pages::newest_ids(&mut c, &s, min, &none, 3).unwrap();
                let expected: Vec<i64> = by_rule.iter().rev().take(3).copied().collect();
                prop_assert_eq!(top, expected, "newest 3, user {:?} at {:?}", s, min);
                // The other sort orders, by both strategies: sort them all, or walk and test.
                let ascending: Vec<i64> = by_rule.iter().copied().collect();
                for few in [0, 1_000_000] {
                    let sorted = |c: &mut PgConnection, offset, n| {
                        pages::sorted_ids(c, &s, min, &none, " ORDER BY c.id", offset, n, few).unwrap()
                    };
                    prop_assert_eq!(&sorted(&mut c, 0, 1000), &ascending, "sorted, few {}, user {:?} at {:?}", few, s, min);
                    let page: Vec<i64> = ascending.iter().skip(1).take(2).copied().collect();
                    prop_assert_eq!(sorted(&mut c, 1, 2), page, "sorted page, few {}, user {:?} at {:?}", few, s, min);
                }
            }
        }
    }
}
