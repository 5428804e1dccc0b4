//! Segments (SPEC screen 10): preview count, apply now, keep applying to contacts created
//! later, refusals.

use crate::fixtures::*;
use crate::helpers::*;
use custodian::db::schema::{audit_log, contact_access_groups, contact_tags, contacts};
use custodian::permissions::Role;
use diesel::prelude::*;

fn tag(c: &mut PgConnection, contact: i64, t: &str) {
    diesel::insert_into(contact_tags::table)
        .values((contact_tags::contact_id.eq(contact), contact_tags::tag.eq(t)))
        .execute(c)
        .unwrap();
}

fn members(c: &mut PgConnection, group: i64) -> Vec<i64> {
    contact_access_groups::table
        .filter(contact_access_groups::group_id.eq(group))
        .select(contact_access_groups::contact_id)
        .order(contact_access_groups::contact_id)
        .load(c)
        .unwrap()
}

fn set(c: &mut PgConnection, id: i64, email: &str, category: &str) {
    diesel::update(contacts::table.find(id))
        .set((contacts::email.eq(email), contacts::category.eq(category)))
        .execute(c)
        .unwrap();
}

#[tokio::test]
async fn preview_counts_and_apply_now_adds_exactly_the_matching_contacts() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let mut c = app.conn();
    let g = group(&mut c, "Acme VIPs");
    let (a, b, d) = (contact(&mut c, "A", None), contact(&mut c, "B", None), contact(&mut c, "D", None));
    set(&mut c, a, "a@Acme.com", "b2b");
    set(&mut c, b, "b@acme.com", "b2b");
    set(&mut c, d, "d@other.com", "b2b");
    for id in [a, d] {
        tag(&mut c, id, "vip");
        tag(&mut c, id, "lead");
    }
    tag(&mut c, b, "vip");
    let gs = g.to_string();
    let bad = admin.submit("/segments", "/segments", &[("name", "Nothing"), ("group_id", &gs)]).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("at least one condition"));
    let r = admin
        .submit(
            "/segments",
            "/segments",
            &[
                ("name", "Acme VIP leads"),
                ("tags", "vip, lead"),
                ("category", "b2b"),
                ("email_domain", "acme.com"),
                ("group_id", &gs),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = location(&r);
    let html = admin.page(&page).await;
    assert!(html.contains("<strong id=\"matched\">1</strong>"), "only A has both tags, the category and the domain");
    assert!(members(&mut c, g).is_empty(), "a preview changes nothing");
    let r = admin.submit(&page, &format!("{page}/apply"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(members(&mut c, g), vec![a]);
    let after: Option<serde_json::Value> =
        audit_log::table.filter(audit_log::action.eq("segment.apply")).select(audit_log::after).first(&mut c).unwrap();
    assert_eq!(after.unwrap()["added"], 1);
    assert!(admin.page(&page).await.contains("<strong id=\"missing\">0</strong>"));
}

#[tokio::test]
async fn a_live_segment_keeps_applying_to_contacts_created_later() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let mut c = app.conn();
    let live = group(&mut c, "B2B");
    let once = group(&mut c, "B2B once");
    let (ls, os) = (live.to_string(), once.to_string());
    let r = admin
        .submit(
            "/segments",
            "/segments",
            &[("name", "B2B live"), ("category", "b2b"), ("group_id", &ls), ("keep_applying", "on")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r =
        admin.submit("/segments", "/segments", &[("name", "B2B once"), ("category", "b2b"), ("group_id", &os)]).await;
    assert_eq!(r.status(), 303);
    let r = sam.submit("/contacts/new", "/contacts/new", &[("first_name", "Newco"), ("category", "b2b")]).await;
    assert_eq!(r.status(), 303);
    let r2 = sam.submit("/contacts/new", "/contacts/new", &[("first_name", "Consumer"), ("category", "b2c")]).await;
    assert_eq!(r2.status(), 303);
    let newco: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(members(&mut c, live), vec![newco], "the live segment applied to the new matching contact only");
    assert!(members(&mut c, once).is_empty(), "a segment without keep applying waits for Apply now");
}

#[tokio::test]
async fn segments_need_access_groups_manage() {
    let app = spawn_app().await;
    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let g = group(&mut app.conn(), "G");
    assert_eq!(mia.get("/segments").await.status(), 403);
    let token = csrf_token(&mia.page("/").await).unwrap();
    let gs = g.to_string();
    let r = mia
        .post_raw("/segments", &[("csrf_token", &token), ("name", "X"), ("category", "b2b"), ("group_id", &gs)])
        .await;
    assert_eq!(r.status(), 403);
    let n: i64 = custodian::db::schema::segments::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
}
