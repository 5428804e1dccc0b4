//! Property test (issue #13): on random users, teams, access groups and contacts, the pages of
//! an AuthZEN resource search, concatenated, are exactly what the contact list shows that user
//! (for `contacts.view`), and for other actions exactly the contacts the decision function
//! allows one by one.

use crate::access_props::{insert, world};
use crate::helpers::TestDb;
use custodian::access::facts;
use custodian::contacts::list;
use custodian::contacts::selection::{Filters, Sort};
use custodian::permissions::Perm;
use custodian::web::authzen::{model::SearchRequest, search};
use proptest::prelude::*;

/// Every page of the resource search for `user` and `action`, `limit` at a time.
fn all_pages(c: &mut diesel::PgConnection, user: i64, action: &str, limit: i64) -> Vec<i64> {
    let mut got = Vec::new();
    let mut token = String::new();
    loop {
        // The first page names the limit; the next ones send the token alone (it carries it).
        let page =
            if token.is_empty() { serde_json::json!({"limit": limit}) } else { serde_json::json!({"token": token}) };
        let req: SearchRequest = serde_json::from_value(serde_json::json!({
            "subject": {"type": "user", "id": user.to_string()},
            "action": {"name": action},
            "resource": {"type": "contact"},
            "page": page,
        }))
        .unwrap();
        let page = search::resources(c, req).unwrap();
        got.extend(page.results.iter().map(|e| e.id.as_deref().unwrap().parse::<i64>().unwrap()));
        if page.page.next_token.is_empty() {
            return got;
        }
        assert!(page.results.len() as i64 == limit, "a page before the last is full");
        token = page.page.next_token;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn search_pages_equal_the_contact_list_and_the_decisions(w in world(), limit in 1i64..4) {
        let db = TestDb::new();
        let mut c = db.conn();
        let (uids, cids) = insert(&mut c, &w);
        let contact_facts: Vec<_> = cids.iter().map(|id| facts::contact(&mut c, *id).unwrap().unwrap()).collect();
        for uid in &uids {
            let s = facts::subject(&mut c, *uid).unwrap().unwrap();
            // The list, every page of it, newest first (the screen refuses without contacts.view).
            let mut listed = Vec::new();
            if s.perms.contains(Perm::ContactsView) {
                for n in 1.. {
                    let p = list::page(&mut c, &s, &Filters::default(), Sort::Newest, n, 2, list::Counting::No).unwrap();
                    listed.extend(p.rows.iter().map(|r| r.id));
                    if !p.more { break; }
                }
            }
            prop_assert_eq!(&all_pages(&mut c, *uid, "contacts.view", limit), &listed, "user {:?}", s);
            for perm in [Perm::ContactsEdit, Perm::ContactsAssign, Perm::EmailSend, Perm::ContactsExport, Perm::CampaignsActivate] {
                let mut allowed: Vec<i64> = contact_facts
                    .iter()
                    .filter(|f| custodian::access::check(&s, f, perm).allowed)
                    .map(|f| f.contact_id)
                    .collect();
                allowed.sort_unstable_by(|a, b| b.cmp(a));
                prop_assert_eq!(&all_pages(&mut c, *uid, perm.key(), limit), &allowed, "user {:?}, {}", s, perm);
            }
        }
    }
}
