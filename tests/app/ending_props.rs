//! Property test (issue #32): access that has ended is gone at that instant, whether or not the
//! expiry job has run. On random worlds (those of `access_props`) whose presets held,
//! overrides, co-ownerships, team memberships and access-group grants get random ends around
//! now (ended minutes ago, ending in minutes, or never), everything the access rules answer —
//! the subject, every decision with its paths, the SQL filter at each level, the counts, the
//! list's look-up, the user card's reach, an import's facts — is the same:
//! 1. as it is, with the ended rows still stored;
//! 2. after the ended rows are removed (what the job does).
//!
//! And what has not ended yet still counts: the same levels and sets after every end still to
//! come is taken away.

use crate::access_props::{insert, world, World, GROUPS};
use crate::helpers::TestDb;
use custodian::access::{facts, filter, pages, reach::Reach, rules, Level};
use diesel::prelude::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// The tables whose rows may end, by the key that orders their rows.
const ENDING: [(&str, &str); 5] = [
    ("user_presets_all", "user_id, preset_id"),
    ("user_overrides_all", "user_id, perm_key"),
    ("contact_owners_all", "contact_id, user_id"),
    ("team_members_all", "team_id, user_id"),
    ("access_group_grants_all", "id"),
];

/// Gives the stored rows ends from `minutes`, in turn (cycled): `None` never ends, a negative
/// number ended that many minutes ago, a positive one ends in that many.
fn set_ends(c: &mut PgConnection, minutes: &[Option<i32>]) {
    let mut next = minutes.iter().cycle();
    for (table, key) in ENDING {
        let n: i64 =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!("(SELECT count(*) FROM {table})")))
                .get_result(c)
                .unwrap();
        for i in 0..n {
            let end = match next.next().unwrap() {
                None => "NULL".to_string(),
                Some(m) => format!("now() + interval '{m} minutes'"),
            };
            diesel::sql_query(format!(
                "UPDATE {table} SET ends_at = {end} WHERE ({key}) = \
                 (SELECT {key} FROM {table} ORDER BY {key} OFFSET {i} LIMIT 1)"
            ))
            .execute(c)
            .unwrap();
        }
    }
}

/// What the access rules answer for every user, in full (`paths`) or as levels and sets only.
fn answers(c: &mut PgConnection, uids: &[i64], cids: &[i64], paths: bool) -> Vec<String> {
    let contact_facts: Vec<_> = cids.iter().map(|id| facts::contact(c, *id).unwrap().unwrap()).collect();
    let mut out = Vec::new();
    for uid in uids {
        let s = facts::subject(c, *uid).unwrap().unwrap();
        out.push(format!("user {uid}: {:?} teams {:?}", s.perms, s.teams));
        for f in &contact_facts {
            let d = rules::decide(&s, f);
            if paths {
                let mut p: Vec<String> = d.paths.iter().map(|p| format!("{p:?}")).collect();
                p.extend(d.blocked.iter().map(|b| format!("blocked {b:?}")));
                p.sort();
                out.push(format!("  contact {}: {:?} {p:?}", f.contact_id, d.level));
            } else {
                out.push(format!("  contact {}: {:?}", f.contact_id, d.level));
            }
        }
        for min in [Level::View, Level::Edit, Level::Act] {
            let q = custodian::sql!("SELECT c.id FROM contacts c WHERE ", filter::reaches(&s, min));
            #[derive(QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            let set: BTreeSet<i64> = q.query().load::<Row>(c).unwrap().into_iter().map(|r| r.id).collect();
            let none = custodian::db::sql::Sql::default();
            let newest = pages::newest_ids(c, &s, min, &none, 1000).unwrap();
            let count = filter::count(c, &s, min).unwrap();
            out.push(format!("  at {min:?}: {set:?} newest {newest:?} count {count}"));
        }
        if paths {
            out.push(format!("  reach {:?}", Reach::of(c, &s).unwrap()));
            for g in 0..GROUPS {
                let group: Vec<i64> = custodian::db::schema::access_groups::table
                    .filter(custodian::db::schema::access_groups::name.eq(format!("g{g}")))
                    .select(custodian::db::schema::access_groups::id)
                    .load(c)
                    .unwrap();
                let new = facts::new_contact(c, Some(*uid), &group).unwrap();
                out.push(format!("  import into g{g}: {:?}", rules::decide(&s, &new).level));
            }
        }
    }
    out
}

fn end() -> impl Strategy<Value = Option<i32>> {
    // Ends at least five minutes from now: nothing ends while a case runs.
    prop_oneof![Just(None), (-600..=-1).prop_map(Some), (5..=600).prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn ended_access_is_absent_before_the_job_runs(w in world(), ends in prop::collection::vec(end(), 1..24)) {
        let w: World = w;
        let db = TestDb::new();
        let mut c = db.conn();
        let (uids, cids) = insert(&mut c, &w);
        set_ends(&mut c, &ends);
        let stored = answers(&mut c, &uids, &cids, true);
        for (table, _) in ENDING {
            diesel::sql_query(format!("DELETE FROM {table} WHERE ends_at <= now()")).execute(&mut c).unwrap();
        }
        prop_assert_eq!(&stored, &answers(&mut c, &uids, &cids, true), "ended rows stored vs removed");
        let levels = answers(&mut c, &uids, &cids, false);
        for (table, _) in ENDING {
            diesel::sql_query(format!("UPDATE {table} SET ends_at = NULL")).execute(&mut c).unwrap();
        }
        prop_assert_eq!(levels, answers(&mut c, &uids, &cids, false), "ends still to come must not count yet");
    }
}
