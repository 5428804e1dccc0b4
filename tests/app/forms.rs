//! Public forms (SPEC screen 12): the admin screen, create/update by email with the form's
//! tags, groups and owner, the honeypot, the rate limit and refusals.

use crate::fixtures::*;
use crate::helpers::*;
use custodian::db::schema::{audit_log, contact_access_groups, contact_tags, contacts, forms};
use custodian::permissions::Role;
use diesel::prelude::*;

pub async fn post(app: &TestApp, key: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    // A visitor of a public form has no session and no CSRF token.
    app.browser().post_raw(&format!("/f/{key}"), fields).await
}

fn contact_count(app: &TestApp) -> i64 {
    contacts::table.count().get_result(&mut app.conn()).unwrap()
}

/// An Administrator creates a form through /forms; returns (form id, public key).
pub async fn make_form(app: &TestApp, admin: &Browser, fields: &[(&str, &str)]) -> (i64, String) {
    let r = admin.submit("/forms", "/forms", fields).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    let key = forms::table.find(id).select(forms::public_key).first(&mut app.conn()).unwrap();
    (id, key)
}

#[tokio::test]
async fn a_form_creates_or_updates_by_email_with_its_tags_groups_and_owner() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let olga = app.create_user("olga@example.com", Role::Salesperson);
    let g = group(&mut app.conn(), "Web leads");
    let gs = g.to_string();
    let bad = admin.submit("/forms", "/forms", &[("name", ""), ("owner", "nobody@example.com")]).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("No active user has this email"));
    let (form_id, key) = make_form(
        &app,
        &admin,
        &[
            ("name", "Newsletter"),
            ("tags", "web, lead"),
            ("group", &gs),
            ("owner", "sam@example.com"),
            ("enabled", "on"),
            // This form is set to update existing contacts (off by default: see
            // security::a_public_form_never_widens_access_to_an_existing_contact).
            ("update_existing", "on"),
        ],
    )
    .await;
    assert_eq!(key.len(), 24);
    assert!(admin.page("/forms").await.contains(&key));
    assert!(app.browser().page(&format!("/f/{key}")).await.contains("name=\"website\""));

    // A new email creates a contact.
    let r = post(&app, &key, &[("email", "Ann@X.test"), ("first_name", "Ann"), ("phone", "+48 600 700 800")]).await;
    assert_eq!(r.status(), 200);
    let mut c = app.conn();
    let (ann, owner, phone): (i64, Option<i64>, Option<String>) = contacts::table
        .filter(contacts::email.eq("Ann@X.test"))
        .select((contacts::id, contacts::main_owner_id, contacts::phone))
        .first(&mut c)
        .unwrap();
    assert_eq!(owner, Some(sam));
    assert_eq!(phone.as_deref(), Some("+48600700800"), "stored in E.164");
    let tags: Vec<String> = contact_tags::table
        .filter(contact_tags::contact_id.eq(ann))
        .select(contact_tags::tag)
        .order(contact_tags::tag)
        .load(&mut c)
        .unwrap();
    assert_eq!(tags, vec!["lead", "web"]);
    let groups: Vec<i64> = contact_access_groups::table
        .filter(contact_access_groups::contact_id.eq(ann))
        .select(contact_access_groups::group_id)
        .load(&mut c)
        .unwrap();
    assert_eq!(groups, vec![g]);
    let audited: Vec<Option<String>> =
        audit_log::table.filter(audit_log::action.eq("form.submit")).select(audit_log::object_id).load(&mut c).unwrap();
    assert_eq!(audited, vec![Some(ann.to_string())]);

    // The same email in other case updates it; no second contact.
    let n = contact_count(&app);
    assert_eq!(post(&app, &key, &[("email", "ann@x.TEST"), ("last_name", "Smith")]).await.status(), 200);
    assert_eq!(contact_count(&app), n);
    let (first, last): (String, String) =
        contacts::table.find(ann).select((contacts::first_name, contacts::last_name)).first(&mut c).unwrap();
    assert_eq!((first.as_str(), last.as_str()), ("Ann", "Smith"), "empty fields keep what was there");

    // An existing contact keeps its main owner; one without gets the form's.
    let owned = contact(&mut c, "Owned", Some(olga));
    let orphan = contact(&mut c, "Orphan", None);
    assert_eq!(post(&app, &key, &[("email", "owned@contacts.test")]).await.status(), 200);
    assert_eq!(post(&app, &key, &[("email", "ORPHAN@contacts.test")]).await.status(), 200);
    let owner_of = |c: &mut PgConnection, id: i64| {
        contacts::table.find(id).select(contacts::main_owner_id).first::<Option<i64>>(c).unwrap()
    };
    assert_eq!(owner_of(&mut c, owned), Some(olga));
    assert_eq!(owner_of(&mut c, orphan), Some(sam));
    let in_g: i64 =
        contact_access_groups::table.filter(contact_access_groups::group_id.eq(g)).count().get_result(&mut c).unwrap();
    assert_eq!(in_g, 3);
    let _ = form_id;
}

#[tokio::test]
async fn honeypot_bad_input_unknown_and_disabled_forms() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (form_id, key) = make_form(&app, &admin, &[("name", "Contact us"), ("enabled", "on")]).await;
    let n = contact_count(&app);
    let r = post(&app, &key, &[("email", "bot@spam.test"), ("website", "http://spam.test")]).await;
    assert_eq!(r.status(), 200, "a bot is told all went well");
    assert_eq!(contact_count(&app), n, "but nothing is stored");

    let r = post(&app, &key, &[("first_name", "No email")]).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("email is required"));
    let r = post(&app, &key, &[("email", "not-an-email")]).await;
    assert_eq!(r.status(), 400);
    let r = post(&app, &key, &[("email", "a@b.test"), ("phone", "600100200")]).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("country code"));
    assert_eq!(contact_count(&app), n);

    assert_eq!(post(&app, "0123456789abcdef01234567", &[("email", "a@b.test")]).await.status(), 404);
    assert_eq!(app.browser().get("/f/nope").await.status(), 404);
    let r = admin.submit(&format!("/forms/{form_id}"), &format!("/forms/{form_id}"), &[("name", "Contact us")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(post(&app, &key, &[("email", "a@b.test")]).await.status(), 404, "a disabled form answers 404");
    assert_eq!(contact_count(&app), n);
}

#[tokio::test]
async fn submissions_are_rate_limited_per_address() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, key) = make_form(&app, &admin, &[("name", "Busy"), ("enabled", "on")]).await;
    for i in 0..10 {
        let email = format!("p{i}@x.test");
        assert_eq!(post(&app, &key, &[("email", &email)]).await.status(), 200);
    }
    let n = contact_count(&app);
    assert_eq!(n, 10);
    let r = post(&app, &key, &[("email", "one.more@x.test")]).await;
    assert_eq!(r.status(), 429);
    assert_eq!(contact_count(&app), n);
}

#[tokio::test]
async fn the_forms_screen_needs_administration_settings() {
    let app = spawn_app().await;
    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    assert_eq!(mia.get("/forms").await.status(), 403);
    let token = csrf_token(&mia.page("/").await).unwrap();
    assert_eq!(
        mia.post_raw("/forms", &[("csrf_token", &token), ("name", "Sneaky"), ("enabled", "on")]).await.status(),
        403
    );
    let n: i64 = forms::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
    assert!(!mia.page("/").await.contains("href=\"/forms\""));
}
