//! Send and Outbox (SPEC screen 15): who receives a message and who is left out and why, on a
//! small hand-built data set; the Sending operator's counts-only view; changed data between
//! preview and send; permissions; delivery of queued email.

use crate::fixtures::co_owner;
use crate::helpers::*;
use custodian::db::schema::{
    access_groups, audit_log, contact_access_groups, contact_tags, contacts, message_templates, outbox_messages,
    send_batches,
};
use custodian::db::views::access_group_grants;
use custodian::messaging::templates::{self, ValidTemplate};
use custodian::messaging::Channel;
use custodian::permissions::Role;
use diesel::prelude::*;

/// Inserts a contact with tags; returns its id.
fn contact(
    c: &mut PgConnection,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
    owner: Option<i64>,
    tags: &[&str],
) -> i64 {
    let id: i64 = diesel::insert_into(contacts::table)
        .values((
            contacts::first_name.eq(name),
            contacts::last_name.eq("Test"),
            contacts::email.eq(email),
            contacts::phone.eq(phone),
            contacts::main_owner_id.eq(owner),
        ))
        .returning(contacts::id)
        .get_result(c)
        .unwrap();
    for t in tags {
        diesel::insert_into(contact_tags::table)
            .values((contact_tags::contact_id.eq(id), contact_tags::tag.eq(*t)))
            .execute(c)
            .unwrap();
    }
    id
}

/// An access group granting `user` a level, with the given contacts in it.
fn group(c: &mut PgConnection, name: &str, user: i64, level: &str, members: &[i64]) -> i64 {
    let g: i64 = diesel::insert_into(access_groups::table)
        .values(access_groups::name.eq(name))
        .returning(access_groups::id)
        .get_result(c)
        .unwrap();
    diesel::insert_into(access_group_grants::table)
        .values((
            access_group_grants::group_id.eq(g),
            access_group_grants::user_id.eq(user),
            access_group_grants::level.eq(level),
        ))
        .execute(c)
        .unwrap();
    for m in members {
        diesel::insert_into(contact_access_groups::table)
            .values((contact_access_groups::contact_id.eq(m), contact_access_groups::group_id.eq(g)))
            .execute(c)
            .unwrap();
    }
    g
}

/// A template owned by `owner`, shared or not.
pub fn template(c: &mut PgConnection, owner: i64, channel: Channel, shared: bool) -> i64 {
    let v = ValidTemplate {
        name: format!("{} template", channel.label()),
        channel,
        subject: (channel == Channel::Email).then(|| "Hello {first_name}".to_string()),
        body: "Dear {first_name} {last_name}, news.".into(),
    };
    let t = templates::create(c, owner, &v).unwrap();
    if shared {
        templates::set_shared(c, t.id, true).unwrap();
    }
    t.id
}

/// The number in the preview cell with this id.
fn num(html: &str, id: &str) -> i64 {
    let at = html.find(&format!("id=\"{id}\">")).unwrap_or_else(|| panic!("no {id} in {html}")) + id.len() + 6;
    html[at..].split('<').next().unwrap().trim().parse().unwrap()
}

/// (total the user can see, recipients, read-only or view-only, no address) shown on a
/// preview. Contacts the user cannot see are counted nowhere (issue #16 M2).
fn counts(html: &str) -> (i64, i64, i64, i64) {
    assert!(!html.contains("count-no-right"), "no count of what the user cannot see");
    (num(html, "count-total"), num(html, "count-recipients"), num(html, "count-limited"), num(html, "count-no-address"))
}

/// The value of a hidden field.
fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key).unwrap_or_else(|| panic!("no {name} in {html}")) + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// The fields the preview's Send form posts.
fn send_fields(html: &str) -> Vec<(&'static str, String)> {
    ["channel", "template", "audience", "tag", "group", "q", "category", "token"]
        .into_iter()
        .map(|k| (k, hidden(html, k).replace("&amp;", "&")))
        .collect()
}

async fn post_send(b: &Browser, preview: &str, fields: &[(&'static str, String)]) -> reqwest::Response {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.submit(preview, "/send", &f).await
}

fn outbox_contacts(app: &TestApp) -> Vec<i64> {
    outbox_messages::table
        .order(outbox_messages::contact_id)
        .select(outbox_messages::contact_id.assume_not_null())
        .load(&mut app.conn())
        .unwrap()
}

fn batch_count(app: &TestApp) -> i64 {
    send_batches::table.count().get_result(&mut app.conn()).unwrap()
}

#[tokio::test]
async fn salesperson_sends_only_to_contacts_they_act_on_with_an_address() {
    let app = spawn_app().await;
    let (sales, b) = app.signed_in("sales@example.com", Role::Salesperson).await;
    let x = app.create_user("x@example.com", Role::Salesperson);
    let mut c = app.conn();
    let c1 = contact(&mut c, "Ann", Some("ann@example.com"), None, Some(sales), &["news"]);
    let _c2 = contact(&mut c, "Bob", None, Some("+48600000002"), Some(sales), &["news"]);
    let c3 = contact(&mut c, "Cid", Some("cid@example.com"), None, Some(x), &["news"]);
    co_owner(&mut c, c3, sales, true);
    let c4 = contact(&mut c, "Dan", Some("dan@example.com"), None, Some(x), &["news"]);
    co_owner(&mut c, c4, sales, false);
    let _c5 = contact(&mut c, "Eve", Some("eve@example.com"), None, Some(x), &["news"]);
    let c6 = contact(&mut c, "Fay", Some("fay@example.com"), None, Some(x), &["news"]);
    group(&mut c, "Edit group", sales, "edit", &[c6]);
    let c7 = contact(&mut c, "Gus", Some("gus@example.com"), None, Some(x), &["news"]);
    diesel::update(contacts::table.find(c7)).set(contacts::confidential.eq(true)).execute(&mut c).unwrap();
    group(&mut c, "Act group", sales, "act", &[c7]);
    let _c8 = contact(&mut c, "Hal", Some("hal@example.com"), None, Some(sales), &["other"]);
    let _c9 = contact(&mut c, "Ivy", Some("  "), Some("+48600000009"), Some(sales), &["news"]);
    let shared = template(&mut c, x, Channel::Email, true);
    let private = template(&mut c, x, Channel::Email, false);
    let sms = template(&mut c, x, Channel::Sms, true);

    let url = format!("/send/preview?channel=email&template={shared}&audience=tag&tag=news");
    let html = b.page(&url).await;
    // c1..c7 and c9 match; c1, c4 receive; c5, c7 (confidential) no right; c3 (read-only
    // co-owner), c6 (edit grant) limited; c2, c9 (blank email) no address.
    assert_eq!(counts(&html), (6, 2, 2, 2), "{html}");
    assert!(html.contains("ann@example.com"), "a user with contacts.view sees a sample");
    assert!(!html.contains("eve@example.com") && !html.contains("cid@example.com"));

    // Templates: a private one of someone else, or one of the other channel, is refused.
    let r = b.get(&format!("/send/preview?channel=email&template={private}&audience=tag&tag=news")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Choose a template."));
    let r = b.get(&format!("/send/preview?channel=email&template={sms}&audience=tag&tag=news")).await;
    assert_eq!(r.status(), 422);
    // A Salesperson holds email.send only.
    assert_eq!(b.get(&format!("/send/preview?channel=sms&template={sms}&audience=tag&tag=news")).await.status(), 403);

    // Filters: name fragment, category.
    let f = b.page(&format!("/send/preview?channel=email&template={shared}&audience=filter&q=DAN")).await;
    assert_eq!(counts(&f), (1, 1, 0, 0));
    let f = b.page(&format!("/send/preview?channel=email&template={shared}&audience=filter&q=a%25")).await;
    assert_eq!(num(&f, "count-total"), 0, "LIKE wildcards are literal");

    let r = post_send(&b, &url, &send_fields(&html)).await;
    assert_eq!(r.status(), 303);
    let batch: i64 = location(&r).trim_start_matches("/outbox/").parse().unwrap();
    assert_eq!(outbox_contacts(&app), vec![c1, c4]);
    let rows: Vec<(String, Option<String>, String, String, i64, i64)> = outbox_messages::table
        .order(outbox_messages::contact_id)
        .select((
            outbox_messages::to_address,
            outbox_messages::subject,
            outbox_messages::body,
            outbox_messages::status,
            outbox_messages::created_by,
            outbox_messages::batch_id,
        ))
        .load(&mut c)
        .unwrap();
    assert_eq!(rows[0].0, "ann@example.com");
    assert_eq!(rows[0].1.as_deref(), Some("Hello Ann"));
    assert_eq!(rows[0].2, "Dear Ann Test, news.");
    assert!(rows.iter().all(|r| r.3 == "queued" && r.4 == sales && r.5 == batch));
    let recipients: i32 = send_batches::table.find(batch).select(send_batches::recipients).first(&mut c).unwrap();
    assert_eq!(recipients, 2);
    let audit: Vec<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("send.batch"))
        .select(audit_log::after.assume_not_null())
        .load(&mut c)
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0]["matched"].as_i64(), audit[0]["recipients"].as_i64()), (Some(6), Some(2)));
    assert_eq!((audit[0].get("no_right"), audit[0]["no_address"].as_i64()), (None, Some(2)));

    let list = b.page("/outbox").await;
    assert!(list.contains(&format!("/outbox/{batch}")));
    let page = b.page(&format!("/outbox/{batch}")).await;
    assert!(page.contains("ann@example.com") && page.contains("queued"));
}

#[tokio::test]
async fn sending_operator_sends_by_tag_and_group_seeing_counts_only() {
    let app = spawn_app().await;
    let (op, b) = app.signed_in("op@example.com", Role::SendingOperator).await;
    let x = app.create_user("x@example.com", Role::Salesperson);
    let mut c = app.conn();
    let d1 = contact(&mut c, "Alpha", Some("alpha@example.com"), None, Some(x), &["promo"]);
    let d2 = contact(&mut c, "Beta", None, Some("+48600000002"), Some(x), &["promo"]);
    let _d3 = contact(&mut c, "Gamma", Some("gamma@example.com"), None, Some(x), &["promo"]);
    let d4 = contact(&mut c, "Delta", Some("delta@example.com"), None, Some(x), &["promo"]);
    let d5 = contact(&mut c, "Epsilon", Some("epsilon@example.com"), None, Some(x), &[]);
    let g3 = group(&mut c, "Customers", op, "act", &[d1, d2, d5]);
    group(&mut c, "Prospects", op, "view", &[d4]);
    let email = template(&mut c, x, Channel::Email, true);
    let sms = template(&mut c, x, Channel::Sms, true);

    let url = format!("/send/preview?channel=email&template={email}&audience=tag&tag=promo");
    let html = b.page(&url).await;
    assert_eq!(counts(&html), (3, 1, 1, 1), "{html}");
    for secret in ["alpha", "Alpha", "beta", "gamma", "delta", "epsilon", "/contacts/"] {
        assert!(!html.contains(secret), "the preview shows no contact data ({secret})");
    }
    let by_group = b.page(&format!("/send/preview?channel=email&template={email}&audience=group&group={g3}")).await;
    assert_eq!(counts(&by_group), (3, 2, 0, 1));
    let sms_html = b.page(&format!("/send/preview?channel=sms&template={sms}&audience=tag&tag=promo")).await;
    assert_eq!(counts(&sms_html), (3, 1, 1, 1));

    // No name/email probing without contacts.view.
    let r = b.get(&format!("/send/preview?channel=email&template={email}&audience=filter&q=alpha")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("needs permission to view contacts"));

    let r = post_send(&b, &url, &send_fields(&html)).await;
    assert_eq!(r.status(), 303);
    let batch = location(&r);
    assert_eq!(outbox_contacts(&app), vec![d1]);
    let page = b.page(&batch).await;
    assert!(page.contains("queued") && !page.contains("alpha@example.com"), "statuses, no addresses");
    let r = post_send(&b, "/send", &send_fields(&sms_html)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(outbox_contacts(&app), vec![d1, d2]);
    let created_by: Vec<i64> = outbox_messages::table.select(outbox_messages::created_by).load(&mut c).unwrap();
    assert!(created_by.iter().all(|u| *u == op));

    // No contact list or card for the Sending operator.
    for path in ["/contacts".to_string(), format!("/contacts/{d1}")] {
        let r = b.get(&path).await;
        assert_eq!(r.status(), 403, "{path}");
        assert!(!r.text().await.unwrap().contains("alpha@example.com"));
    }
}

#[tokio::test]
async fn a_change_between_preview_and_send_shows_the_new_preview_instead_of_sending() {
    let app = spawn_app().await;
    let (sales, b) = app.signed_in("sales@example.com", Role::Salesperson).await;
    let mut c = app.conn();
    contact(&mut c, "Ann", Some("ann@example.com"), None, Some(sales), &["news"]);
    contact(&mut c, "Bob", Some("bob@example.com"), None, Some(sales), &["news"]);
    let t = template(&mut c, sales, Channel::Email, false);
    let url = format!("/send/preview?channel=email&template={t}&audience=tag&tag=news");
    let html = b.page(&url).await;
    assert_eq!(num(&html, "count-recipients"), 2);
    let stale = send_fields(&html);

    // A new recipient appears: nothing is sent, the new numbers are shown.
    contact(&mut c, "Cid", Some("cid@example.com"), None, Some(sales), &["news"]);
    let r = post_send(&b, &url, &stale).await;
    assert_eq!(r.status(), 409);
    let fresh = r.text().await.unwrap();
    assert!(fresh.contains("changed since your preview"), "{fresh}");
    assert_eq!(num(&fresh, "count-recipients"), 3);
    assert_eq!((batch_count(&app), outbox_contacts(&app).len()), (0, 0));

    // The template changes: refused again.
    let fields = send_fields(&fresh);
    diesel::update(message_templates::table.find(t))
        .set((message_templates::body.eq("Changed"), message_templates::version.eq(2)))
        .execute(&mut c)
        .unwrap();
    let r = post_send(&b, &url, &fields).await;
    assert_eq!(r.status(), 409);
    assert_eq!(batch_count(&app), 0);

    // A forged token is refused too; the current one goes through.
    let mut forged = send_fields(&b.page(&url).await);
    let good = forged.clone();
    forged[7].1 = "0".repeat(32);
    assert_eq!(post_send(&b, &url, &forged).await.status(), 409);
    assert_eq!(post_send(&b, &url, &good).await.status(), 303);
    assert_eq!(outbox_contacts(&app).len(), 3);
    let body: String = outbox_messages::table.select(outbox_messages::body).first(&mut c).unwrap();
    assert_eq!(body, "Changed");
}

#[tokio::test]
async fn send_and_outbox_permissions_by_role() {
    let app = spawn_app().await;
    let (sales, s) = app.signed_in("sales@example.com", Role::Salesperson).await;
    let mut c = app.conn();
    contact(&mut c, "Ann", Some("ann@example.com"), Some("+48600000001"), Some(sales), &["news"]);
    let t = template(&mut c, sales, Channel::Email, true);
    let sms = template(&mut c, sales, Channel::Sms, true);
    let url = format!("/send/preview?channel=email&template={t}&audience=tag&tag=news");
    let html = s.page(&url).await;
    assert!(html.contains("id=\"no-mail-server\""), "the email preview says it will stay queued");
    let r = post_send(&s, &url, &send_fields(&html)).await;
    let batch = location(&r);
    assert_eq!(batch_count(&app), 1);

    // A Salesperson may not send SMS, even with a forged form.
    let mut f = send_fields(&html);
    f[0].1 = "sms".into();
    f[1].1 = sms.to_string();
    assert_eq!(post_send(&s, &url, &f).await.status(), 403);
    assert_eq!(batch_count(&app), 1);
    let form = s.page("/send").await;
    assert!(!form.contains("value=\"sms\""), "only permitted channels are offered");
    // Issue #30: the test server has no SMTP_URL: the sender is told email will stay queued.
    assert!(form.contains("id=\"no-mail-server\""), "{form}");

    // Without email.send and sms.send: no Send, no Outbox.
    let (uid, u) = app.signed_in("user@example.com", Role::User).await;
    crate::templates::revoke(&app, uid, "email.send");
    crate::templates::revoke(&app, uid, "sms.send");
    for path in ["/send".to_string(), url.clone(), "/outbox".into(), batch.clone()] {
        assert_eq!(u.get(&path).await.status(), 403, "{path}");
    }
    let r = post_send(&u, "/", &send_fields(&html)).await;
    assert_eq!(r.status(), 403);
    assert_eq!(batch_count(&app), 1);
    let home = u.page("/").await;
    assert!(!home.contains("href=\"/send\"") && !home.contains("href=\"/outbox\""));

    // Someone else's batch is not found; an Administrator sees every batch.
    let (_, other) = app.signed_in("other@example.com", Role::Salesperson).await;
    assert_eq!(other.get(&batch).await.status(), 404);
    assert!(!other.page("/outbox").await.contains(&batch));
    let (_, admin) = app.signed_in("admin@example.com", Role::Administrator).await;
    assert!(admin.page("/outbox").await.contains(&batch));
    assert!(admin.page(&batch).await.contains("ann@example.com"));

    // Signed out: to the sign-in page.
    let anon = app.browser();
    for path in ["/send", "/outbox", "/templates"] {
        assert_eq!(anon.get(path).await.status(), 303);
    }
}

/// Queues email (and one SMS) directly; returns the batch id.
fn queue(c: &mut PgConnection, user: i64, to: &[&str]) -> i64 {
    let batch: i64 = diesel::insert_into(send_batches::table)
        .values((
            send_batches::created_by.eq(user),
            send_batches::channel.eq("email"),
            send_batches::audience.eq(serde_json::json!({})),
            send_batches::recipients.eq(to.len() as i32),
        ))
        .returning(send_batches::id)
        .get_result(c)
        .unwrap();
    for (ch, addr) in to.iter().map(|a| ("email", *a)).chain([("sms", "+48600000001")]) {
        diesel::insert_into(outbox_messages::table)
            .values((
                outbox_messages::batch_id.eq(batch),
                outbox_messages::channel.eq(ch),
                outbox_messages::to_address.eq(addr),
                outbox_messages::subject.eq((ch == "email").then_some("Hi")),
                outbox_messages::body.eq("Body text"),
                outbox_messages::created_by.eq(user),
            ))
            .execute(c)
            .unwrap();
    }
    batch
}

fn statuses(c: &mut PgConnection) -> Vec<(String, String, bool, Option<String>)> {
    outbox_messages::table
        .order(outbox_messages::id)
        .select((
            outbox_messages::to_address,
            outbox_messages::status,
            outbox_messages::sent_at.is_not_null(),
            outbox_messages::error,
        ))
        .load(c)
        .unwrap()
}

struct StubMailer(std::cell::RefCell<Vec<String>>);

impl custodian::messaging::delivery::Mailer for StubMailer {
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), custodian::messaging::delivery::Failure> {
        if to.starts_with("bad") {
            return Err("550 mailbox unavailable".into());
        }
        self.0.borrow_mut().push(format!("{to}|{subject}|{body}"));
        Ok(())
    }
}

#[test]
fn deliver_pending_sends_queued_email_and_leaves_sms_queued() {
    use custodian::messaging::delivery::{deliver_pending, Delivered};
    let db = TestDb::new();
    let mut c = db.conn();
    let user = create_user(&mut c, "op@example.com", Role::SendingOperator);
    queue(&mut c, user, &["a@example.com", "bad@example.com", "b@example.com"]);
    let stub = StubMailer(Default::default());
    assert_eq!(deliver_pending(&mut c, &stub, 2).unwrap(), Delivered { sent: 1, failed: 1 });
    assert_eq!(deliver_pending(&mut c, &stub, 50).unwrap(), Delivered { sent: 1, failed: 0 });
    assert_eq!(deliver_pending(&mut c, &stub, 50).unwrap(), Delivered::default(), "nothing is sent twice");
    assert_eq!(*stub.0.borrow(), ["a@example.com|Hi|Body text", "b@example.com|Hi|Body text"]);
    let s = statuses(&mut c);
    assert_eq!((s[0].1.as_str(), s[0].2), ("sent", true));
    assert_eq!((s[1].1.as_str(), s[1].3.as_deref()), ("failed", Some("550 mailbox unavailable")));
    assert_eq!(s[2].1, "sent");
    assert_eq!((s[3].0.as_str(), s[3].1.as_str(), s[3].2), ("+48600000001", "queued", false), "SMS stay queued");
}

/// A mailer whose server is away (a passing failure), and which checks, while it "sends", that
/// no transaction holds the message's row (issue #27: email is sent after the claim commits).
struct AwayMailer {
    url: String,
}

impl custodian::messaging::delivery::Mailer for AwayMailer {
    fn send(&self, to: &str, _: &str, _: &str) -> Result<(), custodian::messaging::delivery::Failure> {
        let mut other = PgConnection::establish(&self.url).unwrap();
        let free: Vec<i64> = diesel::sql_query(
            "SELECT id FROM outbox_messages WHERE to_address = $1 AND status = 'sending' FOR UPDATE NOWAIT",
        )
        .bind::<diesel::sql_types::Text, _>(to)
        .load::<Id>(&mut other)
        .map(|rows| rows.into_iter().map(|r| r.id).collect())
        .expect("the message's row is locked while it is sent");
        assert_eq!(free.len(), 1, "claimed as sending, and committed, before it is sent");
        Err(custodian::messaging::delivery::Failure::Transient("421 try again later".into()))
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

#[test]
fn a_passing_failure_is_tried_again_later_then_failed_and_a_lost_claim_comes_back() {
    use custodian::messaging::delivery::{deliver_pending, reclaim, Delivered, MAX_ATTEMPTS};
    let db = TestDb::new();
    let mut c = db.conn();
    let user = create_user(&mut c, "op@example.com", Role::SendingOperator);
    queue(&mut c, user, &["a@example.com"]);
    let away = AwayMailer { url: db.url.clone() };
    assert_eq!(deliver_pending(&mut c, &away, 10).unwrap(), Delivered { sent: 0, failed: 1 });
    let (status, attempts, later): (String, i32, bool) = outbox_messages::table
        .filter(outbox_messages::channel.eq("email"))
        .select((
            outbox_messages::status,
            outbox_messages::attempts,
            outbox_messages::next_attempt_at.gt(diesel::dsl::now).assume_not_null(),
        ))
        .first(&mut c)
        .unwrap();
    assert_eq!((status.as_str(), attempts, later), ("queued", 1, true), "queued again, for later");
    assert_eq!(deliver_pending(&mut c, &away, 10).unwrap(), Delivered::default(), "not before its time");
    // Each time it is due, it is tried again, until the last attempt marks it failed.
    for _ in 1..MAX_ATTEMPTS {
        diesel::update(outbox_messages::table)
            .set(outbox_messages::next_attempt_at.eq(diesel::dsl::now))
            .execute(&mut c)
            .unwrap();
        assert_eq!(deliver_pending(&mut c, &away, 10).unwrap(), Delivered { sent: 0, failed: 1 });
    }
    let s = statuses(&mut c);
    assert_eq!((s[0].1.as_str(), s[0].3.as_deref()), ("failed", Some("421 try again later")));
    // A message an instance claimed and never finished (it stopped) is queued again.
    diesel::update(outbox_messages::table.filter(outbox_messages::channel.eq("email")))
        .set((
            outbox_messages::status.eq("sending"),
            outbox_messages::claimed_at.eq(chrono::Utc::now() - chrono::TimeDelta::minutes(11)),
        ))
        .execute(&mut c)
        .unwrap();
    assert_eq!(reclaim(&mut c).unwrap(), 1);
    assert_eq!(statuses(&mut c)[0].1, "queued");
    // The stopped claim's late outcome does not land over a newer claim of the message.
    use custodian::messaging::delivery::{claim, record, Failure};
    diesel::update(outbox_messages::table).set(outbox_messages::status.eq("queued")).execute(&mut c).unwrap();
    let first = claim(&mut c, 10).unwrap();
    diesel::update(outbox_messages::table.filter(outbox_messages::channel.eq("email")))
        .set(outbox_messages::claimed_at.eq(chrono::Utc::now() - chrono::TimeDelta::minutes(11)))
        .execute(&mut c)
        .unwrap();
    assert_eq!(reclaim(&mut c).unwrap(), 1);
    let second = claim(&mut c, 10).unwrap();
    assert_eq!((first.len(), second.len()), (1, 1));
    record(&mut c, &first[0], &Err(Failure::Permanent("late".into()))).unwrap();
    assert_eq!(statuses(&mut c)[0].1, "sending", "the first claim's outcome is not the message's any more");
    record(&mut c, &second[0], &Ok(())).unwrap();
    assert_eq!(statuses(&mut c)[0].1, "sent");
}

/// A tiny SMTP server on 127.0.0.1 that accepts everything and keeps what it received.
fn fake_smtp() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut w = stream.try_clone().unwrap();
            let mut r = BufReader::new(stream);
            let _ = w.write_all(b"220 fake ESMTP\r\n");
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let cmd = line.to_ascii_uppercase();
                let reply: &[u8] = if cmd.starts_with("DATA") {
                    let _ = w.write_all(b"354 go ahead\r\n");
                    let mut data = String::new();
                    loop {
                        let mut l = String::new();
                        if r.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                            break;
                        }
                        data.push_str(&l);
                    }
                    log.lock().unwrap().push(data);
                    b"250 queued\r\n"
                } else if cmd.starts_with("QUIT") {
                    let _ = w.write_all(b"221 bye\r\n");
                    break;
                } else {
                    if cmd.starts_with("RCPT") {
                        log.lock().unwrap().push(line.trim().to_string());
                    }
                    b"250 ok\r\n"
                };
                let _ = w.write_all(reply);
                line.clear();
            }
        }
    });
    (port, got)
}

#[tokio::test]
async fn with_smtp_configured_the_worker_delivers_queued_email() {
    let (port, got) = fake_smtp();
    let db = TestDb::new();
    let mut config = custodian::config::Config::for_database(&db.url, "127.0.0.1:0");
    config.workers = Some(1);
    config.db_pool_size = 3;
    config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    config.smtp_from = Some("noreply@example.com".into());
    let server = custodian::startup::Application::build(&config).await.unwrap();
    tokio::spawn(server.run_until_stopped());
    let mut c = db.conn();
    let user = create_user(&mut c, "op@example.com", Role::SendingOperator);
    queue(&mut c, user, &["ann@example.com"]);
    let mut s = statuses(&mut c);
    // Queued, then claimed (`sending`) while the mail server answers, then recorded.
    for _ in 0..40 {
        if s[0].1 != "queued" && s[0].1 != "sending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        s = statuses(&mut c);
    }
    assert_eq!((s[0].1.as_str(), s[0].3.as_deref()), ("sent", None), "{s:?}");
    assert_eq!(s[1].1, "queued", "SMS stay queued");
    let got = got.lock().unwrap().join("\n");
    assert!(got.contains("RCPT TO:<ann@example.com>"), "{got}");
    assert!(got.contains("Subject: Hi") && got.contains("Body text"), "{got}");
}

#[tokio::test]
async fn browser_sending_operator_previews_and_sends() {
    let app = spawn_app().await;
    let owner = app.create_user("sales@example.com", Role::Salesperson);
    let op = app.create_user("op@example.com", Role::SendingOperator);
    let mut c = app.conn();
    let a = contact(&mut c, "Ann", Some("ann@example.com"), None, Some(owner), &["news"]);
    co_owner(&mut c, a, op, true);
    contact(&mut c, "Bob", None, None, Some(owner), &["news"]);
    let g = contact(&mut c, "Gus", Some("gus@example.com"), None, Some(owner), &["news"]);
    group(&mut c, "Customers", op, "act", &[g]);
    let t = template(&mut c, owner, Channel::Email, true);
    let chrome = crate::browser::Chrome::start().await;
    chrome.login(&app.address, "op@example.com", TEST_PASSWORD).await;
    let d = &chrome.driver;
    use thirtyfour::prelude::*;
    // Wait for the sign-in to land on the dashboard before navigating on.
    for _ in 0..50 {
        if d.current_url().await.unwrap().path() == "/" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    d.goto(format!("{}/send", app.address)).await.unwrap();
    d.find(By::Css(format!("#f-template option[value='{t}']"))).await.unwrap().click().await.unwrap();
    d.find(By::Id("f-tag")).await.unwrap().send_keys("news").await.unwrap();
    chrome.click_through(By::Css("form[action='/send/preview'] button")).await;
    let recipients = d.find(By::Id("count-recipients")).await.unwrap().text().await.unwrap();
    let limited = d.find(By::Id("count-limited")).await.unwrap().text().await.unwrap();
    assert_eq!((recipients.as_str(), limited.as_str()), ("1", "1"));
    let source = d.source().await.unwrap();
    assert!(!source.contains("gus@example.com") && !source.contains("Ann"), "counts only");
    chrome.click_through(By::Css("form[action='/send'] button")).await;
    let flash = d.find(By::Css(".flash-success")).await.unwrap().text().await.unwrap();
    assert_eq!(flash, "1 message queued.");
    assert!(d.current_url().await.unwrap().path().starts_with("/outbox/"));
    assert_eq!(outbox_contacts(&app), vec![g]);
    chrome.quit().await;
}
