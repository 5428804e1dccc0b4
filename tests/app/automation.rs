//! Automation rules (SPEC screen 14): CRUD with owner-only changes, sharing, permission
//! refusals per route, and firing: triggers, conditions, the owner's reach for unshared rules,
//! and termination of rules that trigger each other.

use crate::fixtures::*;
use crate::helpers::*;
use custodian::contacts::events::Event;
use custodian::db::schema::{audit_log, automation_rules, contact_access_groups, contact_tags, contacts, users};
use custodian::events;
use custodian::permissions::Role;
use diesel::prelude::*;

/// A rule written straight to the database (firing tests control every column).
pub struct R {
    pub owner: i64,
    pub trigger: &'static str,
    pub trigger_tag: Option<&'static str>,
    pub has_tag: Option<&'static str>,
    pub category: Option<&'static str>,
    pub no_main_owner: bool,
    pub action: &'static str,
    pub user: Option<i64>,
    pub read_only: bool,
    pub tag: Option<&'static str>,
    pub group: Option<i64>,
    pub shared: bool,
    pub enabled: bool,
}

pub fn base(owner: i64, trigger: &'static str, action: &'static str) -> R {
    R {
        owner,
        trigger,
        trigger_tag: None,
        has_tag: None,
        category: None,
        no_main_owner: false,
        action,
        user: None,
        read_only: false,
        tag: None,
        group: None,
        shared: false,
        enabled: true,
    }
}

pub fn insert_rule(c: &mut PgConnection, x: R) -> i64 {
    diesel::insert_into(automation_rules::table)
        .values((
            automation_rules::owner_id.eq(x.owner),
            automation_rules::name.eq(format!("{} → {}", x.trigger, x.action)),
            automation_rules::trigger.eq(x.trigger),
            automation_rules::trigger_tag.eq(x.trigger_tag),
            automation_rules::has_tag.eq(x.has_tag),
            automation_rules::category.eq(x.category),
            automation_rules::no_main_owner.eq(x.no_main_owner),
            automation_rules::action.eq(x.action),
            automation_rules::action_user_id.eq(x.user),
            automation_rules::action_read_only.eq(x.read_only),
            automation_rules::action_tag.eq(x.tag),
            automation_rules::action_group_id.eq(x.group),
            automation_rules::shared.eq(x.shared),
            automation_rules::enabled.eq(x.enabled),
        ))
        .returning(automation_rules::id)
        .get_result(c)
        .unwrap()
}

/// A rule that adds `tag` when `trigger_tag` is added (shared: acts on every contact).
fn tag_rule(c: &mut PgConnection, owner: i64, trigger_tag: Option<&'static str>, tag: &'static str) -> i64 {
    insert_rule(c, R { trigger_tag, tag: Some(tag), shared: true, ..base(owner, "tag_added", "add_tag") })
}

fn tags(c: &mut PgConnection, contact: i64) -> Vec<String> {
    contact_tags::table
        .filter(contact_tags::contact_id.eq(contact))
        .select(contact_tags::tag)
        .order(contact_tags::tag)
        .load(c)
        .unwrap()
}

fn add_tag(c: &mut PgConnection, contact: i64, tag: &str) {
    diesel::insert_into(contact_tags::table)
        .values((contact_tags::contact_id.eq(contact), contact_tags::tag.eq(tag)))
        .execute(c)
        .unwrap();
}

/// How many times rule `id` fired (its `rule.fire` audit entries).
fn fires(c: &mut PgConnection, id: i64) -> i64 {
    audit_log::table
        .filter(audit_log::action.eq("rule.fire"))
        .filter(audit_log::object_id.eq(id.to_string()))
        .count()
        .get_result(c)
        .unwrap()
}

fn audits(c: &mut PgConnection, action: &str, id: i64) -> i64 {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .filter(audit_log::object_id.eq(id.to_string()))
        .count()
        .get_result(c)
        .unwrap()
}

/// Runs `events::after` the way a contact screen does: inside one transaction.
fn after(c: &mut PgConnection, actor: i64, event: Event, ids: &[i64]) {
    c.transaction::<_, diesel::result::Error, _>(|c| events::after(c, Some(actor), &event, ids)).unwrap();
}

fn rule_row(c: &mut PgConnection, id: i64) -> Option<(String, bool, bool, i32)> {
    automation_rules::table
        .find(id)
        .select((
            automation_rules::name,
            automation_rules::enabled,
            automation_rules::shared,
            automation_rules::version,
        ))
        .first(c)
        .optional()
        .unwrap()
}

#[tokio::test]
async fn roles_without_automation_are_refused_on_every_route() {
    let app = spawn_app().await;
    let (mia_id, _) = app.signed_in("mia@example.com", Role::Marketer).await;
    let (_, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, olga) = app.signed_in("olga@example.com", Role::SendingOperator).await;
    let (_, uma) = app.signed_in("uma@example.com", Role::User).await;
    let id = insert_rule(&mut app.conn(), R { tag: Some("t"), ..base(mia_id, "contact_created", "add_tag") });
    for b in [&sam, &olga] {
        assert!(!b.page("/").await.contains("href=\"/automation\""), "no navigation entry");
        for path in [
            "/automation".to_string(),
            "/automation/new".into(),
            format!("/automation/{id}"),
            format!("/automation/{id}/delete"),
        ] {
            assert_eq!(b.get(&path).await.status(), 403, "GET {path}");
        }
        let token = csrf_token(&b.page("/").await).unwrap();
        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                "/automation/new".into(),
                vec![("name", "x"), ("trigger", "contact_created"), ("action", "add_tag"), ("action_tag", "t")],
            ),
            (
                format!("/automation/{id}"),
                vec![
                    ("name", "hijacked"),
                    ("trigger", "contact_created"),
                    ("action", "add_tag"),
                    ("action_tag", "t"),
                    ("version", "1"),
                ],
            ),
            (format!("/automation/{id}/enabled"), vec![("on", "false")]),
            (format!("/automation/{id}/share"), vec![("on", "true")]),
            (format!("/automation/{id}/delete"), vec![]),
        ];
        for (path, fields) in &posts {
            let mut f = vec![("csrf_token", token.as_str())];
            f.extend(fields.iter().copied());
            assert_eq!(b.post_raw(path, &f).await.status(), 403, "POST {path}");
        }
    }
    // A User has automation view/create/update but not delete or share, even on their own rule.
    let own = insert_rule(
        &mut app.conn(),
        R { tag: Some("t"), ..base(custodian_id(&mut app.conn(), "uma@example.com"), "contact_created", "add_tag") },
    );
    assert!(uma.page("/").await.contains("href=\"/automation\""));
    assert_eq!(uma.get(&format!("/automation/{own}/delete")).await.status(), 403);
    let token = csrf_token(&uma.page("/automation").await).unwrap();
    assert_eq!(uma.post_raw(&format!("/automation/{own}/delete"), &[("csrf_token", &token)]).await.status(), 403);
    assert_eq!(
        uma.post_raw(&format!("/automation/{own}/share"), &[("csrf_token", &token), ("on", "true")]).await.status(),
        403
    );
    let mut c = app.conn();
    assert_eq!(rule_row(&mut c, id), Some(("contact_created → add_tag".into(), true, false, 1)), "nothing changed");
    assert_eq!(rule_row(&mut c, own), Some(("contact_created → add_tag".into(), true, false, 1)), "nothing changed");
    assert_eq!(automation_rules::table.count().get_result::<i64>(&mut c).unwrap(), 2, "nothing created");
}

fn custodian_id(c: &mut PgConnection, email: &str) -> i64 {
    users::table.filter(users::email.eq(email)).select(users::id).first(c).unwrap()
}

#[tokio::test]
async fn create_validates_beside_fields_and_keeps_input() {
    let app = spawn_app().await;
    let (mia_id, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let r1 = mia.submit("/automation/new", "/automation/new", &[("name", ""), ("trigger", ""), ("action", "")]).await;
    assert_eq!(r1.status(), 422);
    let body = r1.text().await.unwrap();
    for msg in ["Give the rule a name.", "Choose what starts the rule.", "Choose what the rule does."] {
        assert!(body.contains(msg), "{msg}");
    }
    let r2 = mia
        .submit(
            "/automation/new",
            "/automation/new",
            &[
                ("name", "Hand over"),
                ("trigger", "contact_created"),
                ("action", "add_co_owner"),
                ("action_user", "ghost@example.com"),
            ],
        )
        .await;
    assert_eq!(r2.status(), 422);
    let body = r2.text().await.unwrap();
    assert!(body.contains("No active user has this email address."));
    assert!(body.contains("value=\"Hand over\"") && body.contains("value=\"ghost@example.com\""), "typed values kept");
    let r3 = mia
        .submit(
            "/automation/new",
            "/automation/new",
            &[("name", "G"), ("trigger", "imported"), ("action", "add_access_group"), ("action_group_id", "987654")],
        )
        .await;
    assert_eq!(r3.status(), 422);
    assert!(r3.text().await.unwrap().contains("Choose an existing access group."));
    let r4 = mia
        .submit(
            "/automation/new",
            "/automation/new",
            &[("name", "T"), ("trigger", "tag_added"), ("action", "add_tag"), ("action_tag", "  ")],
        )
        .await;
    assert_eq!(r4.status(), 422);
    assert!(r4.text().await.unwrap().contains("Enter the tag to add."));
    assert_eq!(automation_rules::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 0, "nothing half-saved");
    // A deactivated user cannot be chosen.
    let gone = app.create_user("gone@example.com", Role::User);
    diesel::update(users::table.find(gone)).set(users::status.eq("deactivated")).execute(&mut app.conn()).unwrap();
    let r5 = mia
        .submit(
            "/automation/new",
            "/automation/new",
            &[
                ("name", "X"),
                ("trigger", "imported"),
                ("action", "set_main_owner"),
                ("action_user", "gone@example.com"),
            ],
        )
        .await;
    assert_eq!(r5.status(), 422);
    let ok = mia
        .submit(
            "/automation/new",
            "/automation/new",
            &[
                ("name", "Tag leads"),
                ("trigger", "tag_added"),
                ("trigger_tag", "lead"),
                ("action", "add_tag"),
                ("action_tag", "sales"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), "/automation");
    let mut c = app.conn();
    let (id, owner, trigger_tag, tag): (i64, i64, Option<String>, Option<String>) = automation_rules::table
        .select((
            automation_rules::id,
            automation_rules::owner_id,
            automation_rules::trigger_tag,
            automation_rules::action_tag,
        ))
        .first(&mut c)
        .unwrap();
    assert_eq!((owner, trigger_tag.as_deref(), tag.as_deref()), (mia_id, Some("lead"), Some("sales")));
    assert_eq!(audits(&mut c, "rule.create", id), 1);
    let list = mia.page("/automation").await;
    assert!(list.contains("Tag leads") && list.contains("Tag added “lead”") && list.contains("Add tag “sales”"));
}

#[tokio::test]
async fn only_owner_or_administrator_changes_a_rule_and_shared_rules_are_visible() {
    let app = spawn_app().await;
    let (mia_id, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let (_, max) = app.signed_in("max@example.com", Role::Manager).await;
    let (_, ada) = app.signed_in("ada@example.com", Role::Administrator).await;
    let id = insert_rule(&mut app.conn(), R { tag: Some("t"), ..base(mia_id, "contact_created", "add_tag") });
    let path = format!("/automation/{id}");
    // Unshared: another user does not see it and may not touch it.
    assert!(!max.page("/automation").await.contains("contact_created → add_tag"));
    assert!(mia.page("/automation").await.contains("contact_created → add_tag"));
    let token = csrf_token(&max.page("/automation").await).unwrap();
    let edit = [
        ("csrf_token", token.as_str()),
        ("name", "hijacked"),
        ("trigger", "contact_created"),
        ("action", "add_tag"),
        ("action_tag", "t"),
        ("version", "1"),
    ];
    assert_eq!(max.get(&path).await.status(), 403);
    assert_eq!(max.post_raw(&path, &edit).await.status(), 403);
    assert_eq!(max.get(&format!("{path}/delete")).await.status(), 403);
    assert_eq!(max.post_raw(&format!("{path}/delete"), &[("csrf_token", &token)]).await.status(), 403);
    assert_eq!(
        max.post_raw(&format!("{path}/enabled"), &[("csrf_token", &token), ("on", "false")]).await.status(),
        403
    );
    assert_eq!(max.post_raw(&format!("{path}/share"), &[("csrf_token", &token), ("on", "true")]).await.status(), 403);
    assert_eq!(max.get("/automation/999999").await.status(), 404);
    assert_eq!(rule_row(&mut app.conn(), id), Some(("contact_created → add_tag".into(), true, false, 1)));
    // The owner shares it: others see it, still cannot change it.
    assert_eq!(mia.submit("/automation", &format!("{path}/share"), &[("on", "true")]).await.status(), 303);
    assert!(rule_row(&mut app.conn(), id).unwrap().2);
    assert_eq!(audits(&mut app.conn(), "rule.share", id), 1);
    assert!(max.page("/automation").await.contains("contact_created → add_tag"));
    assert_eq!(max.post_raw(&path, &edit).await.status(), 403);
    // An Administrator may not share someone else's rule, but may edit it.
    let admin_token = csrf_token(&ada.page("/automation").await).unwrap();
    assert_eq!(
        ada.post_raw(&format!("{path}/share"), &[("csrf_token", &admin_token), ("on", "false")]).await.status(),
        403
    );
    ada.page(&path).await;
    // The owner edits; a stale second edit is refused with a 409 and the input kept.
    let html = mia.page(&path).await;
    assert!(html.contains("value=\"contact_created → add_tag\""));
    let stale_token = csrf_token(&html).unwrap();
    let r = mia
        .submit(
            &path,
            &path,
            &[
                ("name", "Renamed"),
                ("trigger", "contact_created"),
                ("action", "add_tag"),
                ("action_tag", "t2"),
                ("version", "2"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(rule_row(&mut app.conn(), id), Some(("Renamed".into(), true, true, 3)));
    assert_eq!(audits(&mut app.conn(), "rule.update", id), 1);
    let r = mia
        .post_raw(
            &path,
            &[
                ("csrf_token", &stale_token),
                ("name", "Stale"),
                ("trigger", "contact_created"),
                ("action", "add_tag"),
                ("action_tag", "t"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("value=\"Stale\""));
    assert_eq!(rule_row(&mut app.conn(), id).unwrap().0, "Renamed");
    // Disable, then delete after the confirmation page.
    assert_eq!(mia.submit("/automation", &format!("{path}/enabled"), &[("on", "false")]).await.status(), 303);
    assert!(!rule_row(&mut app.conn(), id).unwrap().1);
    assert_eq!(audits(&mut app.conn(), "rule.enable", id), 1);
    let confirm = mia.page(&format!("{path}/delete")).await;
    assert!(confirm.contains("Delete rule “Renamed”?"));
    assert_eq!(mia.submit(&format!("{path}/delete"), &format!("{path}/delete"), &[]).await.status(), 303);
    assert_eq!(rule_row(&mut app.conn(), id), None);
    assert_eq!(audits(&mut app.conn(), "rule.delete", id), 1);
    // An Administrator deletes another user's rule.
    let other = insert_rule(&mut app.conn(), R { tag: Some("t"), ..base(mia_id, "imported", "add_tag") });
    assert_eq!(ada.submit("/automation", &format!("/automation/{other}/delete"), &[]).await.status(), 303);
    assert_eq!(rule_row(&mut app.conn(), other), None);
}

#[tokio::test]
async fn creating_a_contact_on_its_form_runs_contact_created_rules() {
    let app = spawn_app().await;
    let (mia_id, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let bob = app.create_user("bob@example.com", Role::Salesperson);
    let mut c = app.conn();
    let g = group(&mut c, "Leads");
    let r_tag = insert_rule(&mut c, R { tag: Some("new-lead"), ..base(mia_id, "contact_created", "add_tag") });
    let r_group = insert_rule(&mut c, R { group: Some(g), ..base(mia_id, "contact_created", "add_access_group") });
    let r_co =
        insert_rule(&mut c, R { user: Some(bob), read_only: true, ..base(mia_id, "contact_created", "add_co_owner") });
    let r_off =
        insert_rule(&mut c, R { tag: Some("never"), enabled: false, ..base(mia_id, "contact_created", "add_tag") });
    let r_other = insert_rule(&mut c, R { tag: Some("never"), ..base(mia_id, "imported", "add_tag") });
    let resp =
        mia.submit("/contacts/new", "/contacts/new", &[("first_name", "Nora"), ("email", "nora@acme.test")]).await;
    assert_eq!(resp.status(), 303);
    let id: i64 =
        contacts::table.filter(contacts::email.eq("nora@acme.test")).select(contacts::id).first(&mut c).unwrap();
    assert_eq!(tags(&mut c, id), vec!["new-lead".to_string()]);
    let groups: Vec<i64> = contact_access_groups::table
        .filter(contact_access_groups::contact_id.eq(id))
        .select(contact_access_groups::group_id)
        .load(&mut c)
        .unwrap();
    assert_eq!(groups, vec![g]);
    assert_eq!(co_owners_of(&mut c, id), vec![(bob, true)]);
    for (rule, n) in [(r_tag, 1), (r_group, 1), (r_co, 1), (r_off, 0), (r_other, 0)] {
        assert_eq!(fires(&mut c, rule), n, "rule {rule}");
    }
}

#[tokio::test]
async fn unshared_rules_reach_only_what_their_owner_can_act_on() {
    let app = spawn_app().await;
    let mut c = app.conn();
    let uma = app.create_user("uma@example.com", Role::User);
    let oscar = app.create_user("oscar@example.com", Role::User);
    let mine = contact(&mut c, "Mine", Some(uma));
    let theirs = contact(&mut c, "Theirs", Some(oscar));
    let viewed = contact(&mut c, "Viewed", Some(oscar));
    let g = group(&mut c, "Peek");
    grant(&mut c, g, Some(uma), None, "view");
    in_group(&mut c, viewed, g);
    let private = insert_rule(&mut c, R { tag: Some("private"), ..base(uma, "contact_created", "add_tag") });
    let shared =
        insert_rule(&mut c, R { tag: Some("shared"), shared: true, ..base(uma, "contact_created", "add_tag") });
    after(&mut c, oscar, Event::Created, &[mine, theirs, viewed]);
    assert_eq!(tags(&mut c, mine), vec!["private".to_string(), "shared".to_string()]);
    assert_eq!(tags(&mut c, theirs), vec!["shared".to_string()], "owner cannot act on it");
    assert_eq!(tags(&mut c, viewed), vec!["shared".to_string()], "view is not act");
    let fired: serde_json::Value = audit_log::table
        .filter(audit_log::action.eq("rule.fire"))
        .filter(audit_log::object_id.eq(private.to_string()))
        .select(audit_log::after)
        .first::<Option<serde_json::Value>>(&mut c)
        .unwrap()
        .unwrap();
    assert_eq!(fired["contacts"], serde_json::json!([mine]));
    // A deactivated owner's unshared rule does nothing; the shared one still acts.
    diesel::update(users::table.find(uma)).set(users::status.eq("deactivated")).execute(&mut c).unwrap();
    let later = contact(&mut c, "Later", Some(uma));
    after(&mut c, oscar, Event::Created, &[later]);
    assert_eq!(tags(&mut c, later), vec!["shared".to_string()]);
    assert_eq!((fires(&mut c, private), fires(&mut c, shared)), (1, 2));
}

#[tokio::test]
async fn rules_that_trigger_each_other_terminate_and_apply_once() {
    let app = spawn_app().await;
    let mut c = app.conn();
    let ada = app.create_user("ada@example.com", Role::Administrator);
    let a_to_b = tag_rule(&mut c, ada, Some("A"), "B");
    let b_to_a = tag_rule(&mut c, ada, Some("B"), "A");
    let x = contact(&mut c, "X", None);
    add_tag(&mut c, x, "A");
    after(&mut c, ada, Event::TagsAdded(vec!["A".into()]), &[x]);
    assert_eq!(tags(&mut c, x), vec!["A".to_string(), "B".to_string()]);
    assert_eq!((fires(&mut c, a_to_b), fires(&mut c, b_to_a)), (1, 1));
    // A three-rule cycle: each once.
    let p_q = tag_rule(&mut c, ada, Some("P"), "Q");
    let q_r = tag_rule(&mut c, ada, Some("Q"), "R");
    let r_p = tag_rule(&mut c, ada, Some("R"), "P");
    let y = contact(&mut c, "Y", None);
    add_tag(&mut c, y, "P");
    after(&mut c, ada, Event::TagsAdded(vec!["P".into()]), &[y]);
    assert_eq!(tags(&mut c, y), vec!["P".to_string(), "Q".to_string(), "R".to_string()]);
    assert_eq!((fires(&mut c, p_q), fires(&mut c, q_r), fires(&mut c, r_p)), (1, 1, 1));
}

#[tokio::test]
async fn a_rule_adding_the_tag_it_triggers_on_does_not_loop() {
    let app = spawn_app().await;
    let mut c = app.conn();
    let ada = app.create_user("ada@example.com", Role::Administrator);
    let any_to_seen = tag_rule(&mut c, ada, None, "seen");
    let seen_to_seen = tag_rule(&mut c, ada, Some("seen"), "seen");
    let x = contact(&mut c, "X", None);
    add_tag(&mut c, x, "z");
    after(&mut c, ada, Event::TagsAdded(vec!["z".into()]), &[x]);
    assert_eq!(tags(&mut c, x), vec!["seen".to_string(), "z".to_string()]);
    // "any tag → seen" fired for "z" and was not run again by its own "seen".
    assert_eq!(fires(&mut c, any_to_seen), 1);
    assert_eq!(fires(&mut c, seen_to_seen), 1);
}

#[tokio::test]
async fn follow_ups_stop_at_the_round_limit() {
    let app = spawn_app().await;
    let mut c = app.conn();
    let ada = app.create_user("ada@example.com", Role::Administrator);
    const CHAIN: [&str; 8] = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"];
    for w in CHAIN.windows(2) {
        tag_rule(&mut c, ada, Some(w[0]), w[1]);
    }
    let x = contact(&mut c, "X", None);
    add_tag(&mut c, x, "t0");
    after(&mut c, ada, Event::TagsAdded(vec!["t0".into()]), &[x]);
    assert_eq!(custodian::automation::fire::MAX_ROUNDS, 5);
    assert_eq!(tags(&mut c, x), ["t0", "t1", "t2", "t3", "t4", "t5"].map(String::from).to_vec());
}

#[tokio::test]
async fn conditions_are_respected() {
    let app = spawn_app().await;
    let mut c = app.conn();
    let ada = app.create_user("ada@example.com", Role::Administrator);
    let bob = app.create_user("bob@example.com", Role::Salesperson);
    let vip = insert_rule(
        &mut c,
        R { has_tag: Some("vip"), tag: Some("c-vip"), shared: true, ..base(ada, "imported", "add_tag") },
    );
    insert_rule(
        &mut c,
        R { category: Some("B2B"), tag: Some("c-b2b"), shared: true, ..base(ada, "imported", "add_tag") },
    );
    insert_rule(
        &mut c,
        R {
            has_tag: Some("vip"),
            category: Some("B2B"),
            tag: Some("c-both"),
            shared: true,
            ..base(ada, "imported", "add_tag")
        },
    );
    insert_rule(
        &mut c,
        R { no_main_owner: true, user: Some(bob), shared: true, ..base(ada, "imported", "set_main_owner") },
    );
    let owned_vip_b2b = contact(&mut c, "A", Some(ada));
    add_tag(&mut c, owned_vip_b2b, "vip");
    diesel::update(contacts::table.find(owned_vip_b2b)).set(contacts::category.eq("B2B")).execute(&mut c).unwrap();
    let orphan = contact(&mut c, "B", None);
    let other_b2b = contact(&mut c, "C", Some(ada));
    diesel::update(contacts::table.find(other_b2b)).set(contacts::category.eq("b2b")).execute(&mut c).unwrap();
    after(&mut c, ada, Event::Imported, &[owned_vip_b2b, orphan, other_b2b]);
    assert_eq!(tags(&mut c, owned_vip_b2b), ["c-b2b", "c-both", "c-vip", "vip"].map(String::from).to_vec());
    assert!(tags(&mut c, orphan).is_empty());
    assert!(tags(&mut c, other_b2b).is_empty(), "category matches exactly");
    let owners: Vec<(i64, Option<i64>)> = contacts::table
        .filter(contacts::id.eq_any([owned_vip_b2b, orphan, other_b2b]))
        .select((contacts::id, contacts::main_owner_id))
        .order(contacts::id)
        .load(&mut c)
        .unwrap();
    assert_eq!(owners, vec![(owned_vip_b2b, Some(ada)), (orphan, Some(bob)), (other_b2b, Some(ada))]);
    assert_eq!(fires(&mut c, vip), 1);
    // Other events do not run "imported" rules.
    let later = contact(&mut c, "D", None);
    after(&mut c, ada, Event::Created, &[later]);
    after(&mut c, ada, Event::FormSubmitted(1), &[later]);
    assert_eq!(contacts::table.find(later).select(contacts::main_owner_id).first::<Option<i64>>(&mut c).unwrap(), None);
}

#[tokio::test]
async fn browser_creates_and_shares_a_rule() {
    use thirtyfour::prelude::*;
    let app = spawn_app().await;
    let mia = app.create_user("mia@example.com", Role::Marketer);
    let bob = app.create_user("bob@example.com", Role::Salesperson);
    let chrome = crate::browser::Chrome::start().await;
    chrome.login(&app.address, "mia@example.com", TEST_PASSWORD).await;
    let d = &chrome.driver;
    d.goto(format!("{}/automation", app.address)).await.unwrap();
    chrome.click_through(By::LinkText("New rule")).await;
    d.find(By::Id("f-name")).await.unwrap().send_keys("Bob follows new leads").await.unwrap();
    d.find(By::Css("#f-trigger option[value='contact_created']")).await.unwrap().click().await.unwrap();
    d.find(By::Css("#f-action option[value='add_co_owner']")).await.unwrap().click().await.unwrap();
    d.find(By::Id("f-action_user")).await.unwrap().send_keys("bob@example.com").await.unwrap();
    d.find(By::Css("input[name=action_read_only]")).await.unwrap().click().await.unwrap();
    chrome.click_through(By::Css("form.rule-form button[type=submit]")).await;
    let flash = d.find(By::Css(".flash")).await.unwrap().text().await.unwrap();
    assert_eq!(flash, "Rule created.");
    let row: (i64, String, Option<i64>, bool, bool, bool) = automation_rules::table
        .select((
            automation_rules::owner_id,
            automation_rules::action,
            automation_rules::action_user_id,
            automation_rules::action_read_only,
            automation_rules::enabled,
            automation_rules::shared,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(row, (mia, "add_co_owner".into(), Some(bob), true, true, false));
    // Sharing asks first, saying what it does (issue #14).
    chrome.click_through(By::LinkText("Share rule…")).await;
    let confirm = d.find(By::Css("main")).await.unwrap().text().await.unwrap();
    assert!(confirm.contains("act on every contact"), "{confirm}");
    chrome.click_through(By::XPath("//button[normalize-space()='Share rule']")).await;
    let text = d.find(By::Css("table.rules")).await.unwrap().text().await.unwrap();
    assert!(text.contains("Add co-owner bob@example.com (read-only)"), "{text}");
    assert!(text.contains("Stop sharing"), "{text}");
    let shared: bool = automation_rules::table.select(automation_rules::shared).first(&mut app.conn()).unwrap();
    assert!(shared, "shared in the database");
    chrome.quit().await;
}

#[tokio::test]
async fn owner_actions_fold_co_ownership_and_skip_users_who_left() {
    let app = spawn_app().await;
    let mut c = app.conn();
    let ada = app.create_user("ada@example.com", Role::Administrator);
    let bob = app.create_user("bob@example.com", Role::Salesperson);
    let carl = app.create_user("carl@example.com", Role::Salesperson);
    let set_bob =
        insert_rule(&mut c, R { user: Some(bob), shared: true, ..base(ada, "form_submitted", "set_main_owner") });
    let add_carl = insert_rule(&mut c, R { user: Some(carl), shared: true, ..base(ada, "imported", "add_co_owner") });
    let add_bob = insert_rule(&mut c, R { user: Some(bob), shared: true, ..base(ada, "imported", "add_co_owner") });
    let x = contact(&mut c, "X", Some(ada));
    co_owner(&mut c, x, bob, true);
    after(&mut c, ada, Event::FormSubmitted(7), &[x]);
    let owner: Option<i64> = contacts::table.find(x).select(contacts::main_owner_id).first(&mut c).unwrap();
    assert_eq!(owner, Some(bob));
    // Bob's co-ownership is folded into main ownership; Ada, displaced, stays a writable
    // co-owner (issue #16: nobody is silently removed) and is told.
    assert_eq!(co_owners_of(&mut c, x), vec![(ada, false)], "bob's co-ownership folded into main ownership");
    let told: i64 = custodian::db::schema::notifications::table
        .filter(custodian::db::schema::notifications::user_id.eq(ada))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(told, 1);
    assert_eq!(fires(&mut c, set_bob), 1);
    // Carl left: his rule does nothing; bob, already main owner, is not also made co-owner.
    diesel::update(users::table.find(carl)).set(users::status.eq("deactivated")).execute(&mut c).unwrap();
    after(&mut c, ada, Event::Imported, &[x]);
    assert_eq!(co_owners_of(&mut c, x), vec![(ada, false)]);
    assert_eq!(fires(&mut c, add_carl), 0);
    let changed: serde_json::Value = audit_log::table
        .filter(audit_log::action.eq("rule.fire"))
        .filter(audit_log::object_id.eq(add_bob.to_string()))
        .select(audit_log::after)
        .first::<Option<serde_json::Value>>(&mut c)
        .unwrap()
        .unwrap();
    assert_eq!(changed["changed"], serde_json::json!([]), "targeted, nothing changed");
}

/// Issue #17: one owners module, one documented behaviour for a user who already co-owns the
/// contact. A person choosing the flag (owner panel, bulk Manage) sets it; a rule, firing by
/// itself, adds missing co-owners and leaves the access a person gave alone.
#[tokio::test]
async fn a_rule_keeps_an_existing_co_owners_access_where_the_owner_panel_sets_it() {
    let app = spawn_app().await;
    let (ada, ada_b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let bob = app.create_user("bob@example.com", Role::Salesperson);
    let carl = app.create_user("carl@example.com", Role::Salesperson);
    let mut c = app.conn();
    let rule = |user| R { user: Some(user), read_only: true, shared: true, ..base(ada, "imported", "add_co_owner") };
    insert_rule(&mut c, rule(bob));
    insert_rule(&mut c, rule(carl));
    let x = contact(&mut c, "X", Some(ada));
    co_owner(&mut c, x, bob, false);
    after(&mut c, ada, Event::Imported, &[x]);
    assert_eq!(co_owners_of(&mut c, x), vec![(bob, false), (carl, true)], "bob keeps edit; carl added read-only");
    let card = format!("/contacts/{x}");
    let r = ada_b
        .submit(&card, &format!("{card}/owners"), &[("op", "add"), ("email", "bob@example.com"), ("read_only", "on")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(co_owners_of(&mut c, x), vec![(bob, true), (carl, true)], "the panel sets the flag asked for");
}
