//! Users: the three-step wizard over HTTP, validation, lifecycle (deactivate, delete with a
//! successor), the no-escalation rules and a route × role check.

use crate::helpers::*;
use custodian::db::schema::{audit_log, contacts, sessions, teams, users};
use custodian::db::views::{contact_owners, team_members, user_overrides, user_presets};
use custodian::permissions::Role;
use diesel::prelude::*;

pub const NEW_PASSWORD: &str = "Violet-Kettle-Harbour-93";

/// A multipart body (text fields, then an optional avatar file): (content type, body).
pub fn multipart(fields: &[(&str, &str)], avatar: Option<&[u8]>) -> (String, Vec<u8>) {
    let boundary = "----custodianTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    if let Some(bytes) = avatar {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A PNG of `w`×`h` pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 255) as u8, (y % 255) as u8, 99]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

/// The wizard id in a redirect or a page.
pub fn wizard_id(s: &str) -> String {
    let at = s.find("w=").expect("wizard id") + 2;
    s[at..].split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap().to_string()
}

/// Posts step 1 (multipart) of the wizard at `base` (`/users/new` or `/users/{id}/edit`).
pub async fn details(
    b: &Browser,
    base: &str,
    w: Option<&str>,
    fields: &[(&str, &str)],
    avatar: Option<&[u8]>,
) -> reqwest::Response {
    let page = match w {
        Some(w) => format!("{base}?w={w}&step=1"),
        None => base.to_string(),
    };
    let token = csrf_token(&b.page(&page).await).unwrap();
    let action = match w {
        Some(w) => format!("{base}/details?w={w}"),
        None => format!("{base}/details"),
    };
    // As a browser sends the form: the hidden token is its first part.
    let all: Vec<(&str, &str)> = [("csrf_token", token.as_str())].into_iter().chain(fields.iter().copied()).collect();
    let (ct, body) = multipart(&all, avatar);
    b.client.post(b.url(&action)).header("content-type", ct).body(body).send().await.unwrap()
}

/// Posts step 2 of wizard `w`.
pub async fn permissions(b: &Browser, base: &str, w: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    b.submit(&format!("{base}?w={w}&step=2"), &format!("{base}/permissions?w={w}"), fields).await
}

/// Posts Save of wizard `w`.
pub async fn save(b: &Browser, base: &str, w: &str) -> reqwest::Response {
    b.submit(&format!("{base}?w={w}&step=3"), &format!("{base}/save?w={w}"), &[]).await
}

pub fn person(email: &str) -> Vec<(&str, &str)> {
    vec![
        ("first_name", "Grace"),
        ("last_name", "Hopper"),
        ("email", email),
        ("phone", "+48 600 700 800"),
        ("password", NEW_PASSWORD),
        ("password_confirm", NEW_PASSWORD),
    ]
}

pub fn system_preset(app: &TestApp, role: Role) -> i64 {
    custodian::permissions::store::system_preset_id(&mut app.conn(), role).unwrap()
}

pub fn user_id(app: &TestApp, email: &str) -> i64 {
    users::table.filter(users::email.eq(email)).select(users::id).first(&mut app.conn()).unwrap()
}

fn user_count(app: &TestApp) -> i64 {
    users::table.count().get_result(&mut app.conn()).unwrap()
}

fn audit_actions(app: &TestApp, object: i64) -> Vec<String> {
    audit_log::table
        .filter(audit_log::object_type.eq("user"))
        .filter(audit_log::object_id.eq(object.to_string()))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn full_wizard_create_login_edit_delete_with_successor() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let heir = app.create_user("heir@example.com", Role::Salesperson);

    // Step 1 with an avatar.
    let r = details(&b, "/users/new", None, &person("grace@example.com"), Some(&png(300, 200))).await;
    assert_eq!(r.status(), 303);
    let w = wizard_id(&location(&r));
    assert_eq!(location(&r), format!("/users/new?w={w}&step=2"));
    // Step 2: Salesperson, plus a grant and a revoke, and both data settings.
    permissions(&b, "/users/new", &w, &[("role", "salesperson"), ("action", "refresh")]).await;
    let step2 = b.page(&format!("/users/new?w={w}&step=2")).await;
    assert!(step2.contains("value=\"salesperson\" selected"), "role kept");
    let sys = system_preset(&app, Role::Salesperson).to_string();
    let mut fields = vec![
        ("role", "salesperson"),
        ("preset", sys.as_str()),
        ("disable_export", "1"),
        ("only_owned", "1"),
        ("action", "next"),
    ];
    for k in ["contacts.view", "contacts.create", "contacts.edit", "email.send", "templates.view", "tests.ab_messages"]
    {
        fields.push(("perm", k)); // analytics.basic left out: a revoke
    }
    let r = permissions(&b, "/users/new", &w, &fields).await;
    assert_eq!(location(&r), format!("/users/new?w={w}&step=3"));
    let summary = b.page(&format!("/users/new?w={w}&step=3")).await;
    for text in [
        "grace@example.com",
        "+48600700800",
        "Salesperson",
        "tests.ab_messages",
        "analytics.basic",
        "new image uploaded",
    ] {
        assert!(summary.contains(text), "summary shows {text}");
    }
    assert!(!summary.contains(NEW_PASSWORD));
    let preview = b.get(&format!("/users/new/avatar?w={w}")).await;
    assert_eq!(preview.headers()["content-type"], "image/png");
    let peek = app.browser();
    peek.login("heir@example.com", TEST_PASSWORD).await;
    assert_eq!(peek.get(&format!("/users/new/avatar?w={w}")).await.status(), 403, "no users_manage");
    let r = save(&b, "/users/new", &w).await;
    let id = user_id(&app, "grace@example.com");
    assert_eq!(location(&r), format!("/users/{id}"));

    let mut c = app.conn();
    let (phone, role, export_off, owned_only, avatar): (Option<String>, String, bool, bool, Option<Vec<u8>>) =
        users::table
            .find(id)
            .select((users::phone, users::role, users::disable_export, users::only_owned, users::avatar))
            .first(&mut c)
            .unwrap();
    assert_eq!(phone.as_deref(), Some("+48600700800"));
    assert_eq!((role.as_str(), export_off, owned_only), ("salesperson", true, true));
    let img = image::load_from_memory_with_format(&avatar.unwrap(), image::ImageFormat::Png).unwrap();
    assert_eq!((img.width(), img.height()), (128, 128));
    let held: Vec<i64> =
        user_presets::table.filter(user_presets::user_id.eq(id)).select(user_presets::preset_id).load(&mut c).unwrap();
    assert_eq!(held, vec![sys.parse::<i64>().unwrap()]);
    let mut overrides: Vec<(String, bool)> = user_overrides::table
        .filter(user_overrides::user_id.eq(id))
        .select((user_overrides::perm_key, user_overrides::granted))
        .load(&mut c)
        .unwrap();
    overrides.sort();
    assert_eq!(overrides, vec![("analytics.basic".to_string(), false), ("tests.ab_messages".to_string(), true)]);
    let created: serde_json::Value = audit_log::table
        .filter(audit_log::action.eq("user.create"))
        .filter(audit_log::object_id.eq(id.to_string()))
        .select(audit_log::after.assume_not_null())
        .first(&mut c)
        .unwrap();
    assert!(!created.to_string().contains("argon2"), "no password hash in the audit log");
    assert!(b.page(&format!("/users/{id}")).await.contains("tests.ab_messages"));
    assert_eq!(b.get(&format!("/users/{id}/avatar")).await.headers()["content-type"], "image/png");

    // The new user signs in.
    let grace = app.browser();
    assert_eq!(grace.login("grace@example.com", NEW_PASSWORD).await.status(), 303);
    assert_eq!(grace.get("/").await.status(), 200);

    // Edit: a new last name, the password kept.
    let base = format!("/users/{id}/edit");
    let step1 = b.page(&base).await;
    assert!(step1.contains("value=\"Grace\"") && !step1.contains("argon2"));
    let fields = [
        ("first_name", "Grace"),
        ("last_name", "Brewster Hopper"),
        ("email", "grace@example.com"),
        ("phone", "+48600700800"),
    ];
    let r = details(&b, &base, None, &fields, None).await;
    assert_eq!(r.status(), 303);
    let w = wizard_id(&location(&r));
    let r = save(&b, &base, &w).await;
    assert_eq!(location(&r), format!("/users/{id}"));
    let last: String = users::table.find(id).select(users::last_name).first(&mut c).unwrap();
    assert_eq!(last, "Brewster Hopper");
    let kept: Vec<i64> =
        user_presets::table.filter(user_presets::user_id.eq(id)).select(user_presets::preset_id).load(&mut c).unwrap();
    assert_eq!(kept, held, "edit without touching step 2 keeps the presets");
    let (before, after): (serde_json::Value, serde_json::Value) = audit_log::table
        .filter(audit_log::action.eq("user.update"))
        .select((audit_log::before.assume_not_null(), audit_log::after.assume_not_null()))
        .first(&mut c)
        .unwrap();
    assert_eq!((before["last_name"].as_str(), after["last_name"].as_str()), (Some("Hopper"), Some("Brewster Hopper")));
    assert!(!before.to_string().contains("argon2") && !after.to_string().contains("argon2"));
    assert_eq!(grace.get("/").await.status(), 200, "a details edit does not sign the user out");

    // Her contacts: three main-owned, one co-owned.
    let mine: Vec<i64> = diesel::insert_into(contacts::table)
        .values(vec![
            (contacts::first_name.eq("C1"), contacts::main_owner_id.eq(Some(id))),
            (contacts::first_name.eq("C2"), contacts::main_owner_id.eq(Some(id))),
            (contacts::first_name.eq("C3"), contacts::main_owner_id.eq(Some(id))),
            (contacts::first_name.eq("Ada's"), contacts::main_owner_id.eq(Some(admin))),
        ])
        .returning(contacts::id)
        .get_results(&mut c)
        .unwrap();
    diesel::insert_into(contact_owners::table)
        .values((contact_owners::contact_id.eq(mine[3]), contact_owners::user_id.eq(id)))
        .execute(&mut c)
        .unwrap();
    // The successor already co-owns one of them (read-only).
    diesel::insert_into(contact_owners::table)
        .values((
            contact_owners::contact_id.eq(mine[0]),
            contact_owners::user_id.eq(heir),
            contact_owners::read_only.eq(true),
        ))
        .execute(&mut c)
        .unwrap();

    let team: i64 = diesel::insert_into(teams::table)
        .values((teams::name.eq("North"), teams::manager_id.eq(Some(id))))
        .returning(teams::id)
        .get_result(&mut c)
        .unwrap();
    diesel::insert_into(team_members::table)
        .values((team_members::team_id.eq(team), team_members::user_id.eq(id)))
        .execute(&mut c)
        .unwrap();

    let confirm = b.page(&format!("/users/{id}/delete")).await;
    assert!(confirm.contains("3 contacts where they are main owner"), "{confirm}");
    assert!(confirm.contains("1 co-ownerships"));
    assert!(!confirm.contains(&format!("<option value=\"{id}\"")), "the deleted user is no successor");
    // A successor is required.
    let r = b.submit(&format!("/users/{id}/delete"), &format!("/users/{id}/delete"), &[("successor", "")]).await;
    assert_eq!(r.status(), 422);
    let r = b
        .submit(&format!("/users/{id}/delete"), &format!("/users/{id}/delete"), &[("successor", &heir.to_string())])
        .await;
    assert_eq!(location(&r), "/users");

    let owners: Vec<Option<i64>> = contacts::table
        .filter(contacts::id.eq_any(&mine))
        .order(contacts::id)
        .select(contacts::main_owner_id)
        .load(&mut c)
        .unwrap();
    assert_eq!(owners, vec![Some(heir), Some(heir), Some(heir), Some(admin)]);
    let co: i64 = contact_owners::table.filter(contact_owners::user_id.eq(id)).count().get_result(&mut c).unwrap();
    assert_eq!(co, 0);
    // Main owner now, the successor is no co-owner of it too (owners::hand_over folds it in).
    let heir_co: i64 = contact_owners::table
        .filter(contact_owners::user_id.eq(heir))
        .filter(contact_owners::contact_id.eq(mine[0]))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(heir_co, 0, "the successor is main owner and co-owner of one contact");
    let status: String = users::table.find(id).select(users::status).first(&mut c).unwrap();
    assert_eq!(status, "deleted");
    let manager: Option<i64> = teams::table.find(team).select(teams::manager_id).first(&mut c).unwrap();
    assert_eq!(manager, Some(heir), "the successor manages her team");
    let member: i64 = team_members::table.filter(team_members::user_id.eq(id)).count().get_result(&mut c).unwrap();
    assert_eq!(member, 0);
    let left: i64 = user_presets::table.filter(user_presets::user_id.eq(id)).count().get_result(&mut c).unwrap();
    assert_eq!(left, 0);
    let sess: i64 = sessions::table.filter(sessions::user_id.eq(id)).count().get_result(&mut c).unwrap();
    assert_eq!(sess, 0);
    assert_eq!(grace.get("/").await.status(), 303, "her session ended");
    assert_eq!(grace.login("grace@example.com", NEW_PASSWORD).await.status(), 422);
    assert_eq!(audit_actions(&app, id), ["user.create", "user.login", "user.update", "user.delete"]);
    let deleted: serde_json::Value = audit_log::table
        .filter(audit_log::action.eq("user.delete"))
        .select(audit_log::after.assume_not_null())
        .first(&mut c)
        .unwrap();
    assert_eq!(deleted["successor_id"], heir);
    assert_eq!(deleted["moved"]["main_contacts"], 3);
    assert!(!b.page("/users").await.contains("grace@example.com"), "deleted users leave the list");
}

/// Step 1 with one bad value: 422, the message beside the field, typed values kept, nothing saved.
async fn refused(
    app: &TestApp,
    b: &Browser,
    fields: &[(&str, &str)],
    avatar: Option<&[u8]>,
    field: &str,
    message: &str,
) {
    let before = user_count(app);
    let r = details(b, "/users/new", None, fields, avatar).await;
    assert_eq!(r.status(), 422, "{field}");
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("id=\"e-{field}\">{message}")), "message for {field}: {html}");
    assert!(html.contains("value=\"Hopper\""), "typed values kept");
    assert!(!html.contains(NEW_PASSWORD), "a password is never rendered back");
    assert_eq!(user_count(app), before);
}

fn with<'a>(email: &'a str, key: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    person(email).into_iter().map(|(k, v)| if k == key { (k, value) } else { (k, v) }).collect()
}

#[tokio::test]
async fn each_validation_rule_refuses_with_a_message_beside_its_field() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let gone = app.create_user("Gone@Example.com", Role::User);
    diesel::update(users::table.find(gone)).set(users::status.eq("deleted")).execute(&mut app.conn()).unwrap();
    let e = "x@example.com";
    refused(&app, &b, &with(e, "email", "not-an-email"), None, "email", "Enter a valid email address").await;
    refused(&app, &b, &with(e, "email", "ADA@example.COM"), None, "email", "This email is already used").await;
    refused(&app, &b, &with(e, "email", "gone@example.com"), None, "email", "This email is already used").await;
    refused(&app, &b, &with(e, "phone", "600 700 800"), None, "phone", "Include the country code").await;
    let weak = [
        ("first_name", "Grace"),
        ("last_name", "Hopper"),
        ("email", e),
        ("password", "password123"),
        ("password_confirm", "password123"),
    ];
    refused(&app, &b, &weak, None, "password", "This password is too weak").await;
    refused(
        &app,
        &b,
        &with(e, "password_confirm", "Violet-Kettle-Harbour-94"),
        None,
        "password_confirm",
        "The two passwords do not match.",
    )
    .await;
    let mut big = png(16, 16);
    big.resize(1024 * 1024 + 10, 0);
    refused(&app, &b, &person(e), Some(&big), "avatar", "The image is larger than 1 MB.").await;
    refused(&app, &b, &person(e), Some(b"<html>not an image</html>"), "avatar", "Choose a PNG, JPEG or WebP image.")
        .await;
}

#[tokio::test]
async fn back_keeps_every_entry() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let r = details(&b, "/users/new", None, &person("grace@example.com"), Some(&png(64, 64))).await;
    let w = wizard_id(&location(&r));
    let sys = system_preset(&app, Role::User).to_string();
    let mut fields = vec![("role", "user"), ("preset", sys.as_str()), ("only_owned", "1"), ("action", "back")];
    let keys = Role::User.default_permissions().keys();
    fields.extend(keys.iter().map(|k| ("perm", *k)));
    fields.push(("perm", "contacts.delete"));
    let r = permissions(&b, "/users/new", &w, &fields).await;
    assert_eq!(location(&r), format!("/users/new?w={w}&step=1"));
    let step1 = b.page(&location(&r)).await;
    for v in [
        "value=\"Grace\"",
        "value=\"Hopper\"",
        "value=\"grace@example.com\"",
        "value=\"+48 600 700 800\"",
        "A new avatar is ready",
        "A password has been entered",
    ] {
        assert!(step1.contains(v), "step 1 keeps {v}");
    }
    // Next again without retyping the password.
    let again = [
        ("first_name", "Grace"),
        ("last_name", "Hopper"),
        ("email", "grace@example.com"),
        ("phone", "+48 600 700 800"),
    ];
    let r = details(&b, "/users/new", Some(&w), &again, None).await;
    assert_eq!(location(&r), format!("/users/new?w={w}&step=2"));
    let step2 = b.page(&location(&r)).await;
    assert!(step2.contains("name=\"only_owned\" value=\"1\" checked"));
    assert!(step2.contains("value=\"contacts.delete\" data-module=\"contacts\" checked"), "grant kept");
    assert!(step2.contains("granted for this user"), "override marked");
    let next: Vec<_> = fields.iter().map(|&(k, v)| if k == "action" { (k, "next") } else { (k, v) }).collect();
    let r = permissions(&b, "/users/new", &w, &next).await;
    assert_eq!(location(&r), format!("/users/new?w={w}&step=3"));
    assert_eq!(save(&b, "/users/new", &w).await.status(), 303);
    let id = user_id(&app, "grace@example.com");
    let only_owned: bool = users::table.find(id).select(users::only_owned).first(&mut app.conn()).unwrap();
    assert!(only_owned);
    assert_eq!(
        app.browser().login("grace@example.com", NEW_PASSWORD).await.status(),
        303,
        "password from the first pass"
    );
}

#[tokio::test]
async fn two_wizards_do_not_mix_and_belong_to_their_owner() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, other) = app.signed_in("bob@example.com", Role::Administrator).await;
    let w1 = wizard_id(&location(&details(&b, "/users/new", None, &person("one@example.com"), None).await));
    let w2 = wizard_id(&location(&details(&b, "/users/new", None, &person("two@example.com"), None).await));
    assert_ne!(w1, w2);
    assert!(b.page(&format!("/users/new?w={w1}&step=1")).await.contains("value=\"one@example.com\""));
    assert!(b.page(&format!("/users/new?w={w2}&step=1")).await.contains("value=\"two@example.com\""));
    assert_eq!(other.get(&format!("/users/new?w={w1}&step=3")).await.status(), 404, "another admin's wizard");
    assert_eq!(save(&b, "/users/new", &w2).await.status(), 303);
    assert_eq!(save(&b, "/users/new", &w1).await.status(), 303);
    user_id(&app, "one@example.com");
    user_id(&app, "two@example.com");
    // Saved wizards are gone; Cancel discards.
    assert_eq!(b.get(&format!("/users/new?w={w1}&step=3")).await.status(), 404);
    let w3 = wizard_id(&location(&details(&b, "/users/new", None, &person("three@example.com"), None).await));
    let r = b.submit(&format!("/users/new?w={w3}&step=2"), &format!("/users/new/cancel?w={w3}"), &[]).await;
    assert_eq!(location(&r), "/users");
    assert_eq!(b.get(&format!("/users/new?w={w3}&step=2")).await.status(), 404);
    let n: i64 = users::table.filter(users::email.eq("three@example.com")).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn deactivated_user_cannot_sign_in_and_their_session_ends() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    assert_eq!(sam.get("/").await.status(), 200);
    let card = format!("/users/{id}");
    let r = admin.submit(&card, &format!("/users/{id}/deactivate"), &[]).await;
    assert_eq!(location(&r), card);
    assert_eq!(sam.get("/").await.status(), 303, "existing session ended");
    let r = app.browser().login("sam@example.com", TEST_PASSWORD).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("deactivated"));
    admin.submit(&card, &format!("/users/{id}/reactivate"), &[]).await;
    assert_eq!(app.browser().login("sam@example.com", TEST_PASSWORD).await.status(), 303);
    assert_eq!(audit_actions(&app, id)[1..], ["user.deactivate", "user.reactivate", "user.login"]);
}

#[tokio::test]
async fn administrator_signs_a_user_out_everywhere_without_deactivating_them() {
    let app = spawn_app().await;
    let (ada, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (id, laptop) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let phone = app.browser();
    assert_eq!(phone.login("sam@example.com", TEST_PASSWORD).await.status(), 303);
    let card = format!("/users/{id}");
    assert!(admin.page(&card).await.contains("2 live sessions"));
    // Nobody without users_manage, and not on one's own account.
    let action = format!("/users/{id}/sign-out");
    assert_eq!(laptop.submit("/", &action, &[]).await.status(), 403);
    assert_eq!(admin.submit("/", &format!("/users/{ada}/sign-out"), &[]).await.status(), 403);
    assert_eq!(admin.post_raw(&action, &[]).await.status(), 403, "no CSRF token, no change");
    assert_eq!(laptop.get("/").await.status(), 200, "refusals ended nothing");

    let r = admin.submit(&card, &action, &[]).await;
    assert_eq!(location(&r), card);
    let html = admin.page(&card).await;
    assert!(html.contains("sam@example.com is signed out everywhere (2 sessions ended)."), "{html}");
    assert!(html.contains("<dd id=\"user-sessions\">nowhere</dd>"));
    for b in [&laptop, &phone] {
        let r = b.get("/contacts").await;
        assert_eq!((r.status().as_u16(), location(&r).starts_with("/login")), (303, true));
    }
    assert_eq!(app.browser().login("sam@example.com", TEST_PASSWORD).await.status(), 303, "still active");
    assert!(audit_actions(&app, id).contains(&"user.sign_out_everywhere".to_string()));
}

/// A Manager who was granted users_manage: may manage users, but is no Administrator.
fn user_manager(app: &TestApp, email: &str) -> i64 {
    let id = app.create_user(email, Role::Manager);
    app.override_key(id, "administration.users_manage", true);
    id
}

#[tokio::test]
async fn last_administrator_cannot_be_demoted_deactivated_or_deleted() {
    let app = spawn_app().await;
    let ada = app.create_user("ada@example.com", Role::Administrator);
    user_manager(&app, "mia@example.com");
    let mia = app.browser();
    mia.login("mia@example.com", TEST_PASSWORD).await;
    let heir = app.create_user("heir@example.com", Role::User);

    // Mia manages users but is no Administrator: an Administrator's account is out of her
    // reach altogether (issue #16: managing it would hand her its powers).
    let base = format!("/users/{ada}/edit");
    assert_eq!(mia.get(&base).await.status(), 403);
    let fields = [("first_name", "Ada"), ("last_name", "L"), ("email", "ada@example.com"), ("password", NEW_PASSWORD)];
    let fields: Vec<(&str, &str)> = fields.into_iter().chain([("password_confirm", NEW_PASSWORD)]).collect();
    let token = csrf_token(&mia.page("/users").await).unwrap();
    let all: Vec<(&str, &str)> = [("csrf_token", token.as_str())].into_iter().chain(fields.iter().copied()).collect();
    let (ct, body) = multipart(&all, None);
    let r = mia
        .client
        .post(mia.url(&format!("{base}/details")))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "not even a new password");
    for action in ["deactivate", "delete"] {
        mia.submit(&format!("/users/{ada}"), &format!("/users/{ada}/{action}"), &[("successor", &heir.to_string())])
            .await;
    }
    let (role, status): (String, String) =
        users::table.find(ada).select((users::role, users::status)).first(&mut app.conn()).unwrap();
    assert_eq!((role.as_str(), status.as_str()), ("administrator", "active"));
    let presets: i64 =
        user_presets::table.filter(user_presets::user_id.eq(ada)).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(presets, 1, "nothing changed");
    assert!(app.browser().login("ada@example.com", TEST_PASSWORD).await.status() == 303, "her password stands");

    // Another Administrator may; the last complete one is protected (security.rs covers the
    // case of an incomplete Administrator left behind).
    let (_, bea) = app.signed_in("bea@example.com", Role::Administrator).await;
    bea.submit(&format!("/users/{ada}"), &format!("/users/{ada}/deactivate"), &[]).await;
    let status: String = users::table.find(ada).select(users::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "deactivated");
}

#[tokio::test]
async fn nobody_escalates_themselves_or_grants_what_they_lack() {
    let app = spawn_app().await;
    let mia_id = user_manager(&app, "mia@example.com");
    let mia = app.browser();
    mia.login("mia@example.com", TEST_PASSWORD).await;

    // Own account: step 2 is read-only and a forged POST is refused.
    let base = format!("/users/{mia_id}/edit");
    let fields = [("first_name", "Mia"), ("last_name", "M"), ("email", "mia@example.com")];
    let w = wizard_id(&location(&details(&mia, &base, None, &fields, None).await));
    let step2 = mia.page(&format!("{base}?w={w}&step=2")).await;
    assert!(step2.contains("your own account") && !step2.contains("name=\"preset\""));
    let admin_sys = system_preset(&app, Role::Administrator).to_string();
    let r = permissions(
        &mia,
        &base,
        &w,
        &[("role", "administrator"), ("preset", &admin_sys), ("perm", "administration.settings"), ("action", "next")],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(save(&mia, &base, &w).await.status(), 303, "own details may change");
    let role: String = users::table.find(mia_id).select(users::role).first(&mut app.conn()).unwrap();
    assert_eq!(role, "manager");
    let grants: i64 =
        user_overrides::table.filter(user_overrides::user_id.eq(mia_id)).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(grants, 1, "still only the users_manage grant");

    // Someone else: no key Mia lacks, not even through the Administrator role.
    let r = details(&mia, "/users/new", None, &person("x@example.com"), None).await;
    let w = wizard_id(&location(&r));
    permissions(&mia, "/users/new", &w, &[("role", "salesperson"), ("action", "refresh")]).await;
    let sp_sys = system_preset(&app, Role::Salesperson).to_string();
    let mut f = vec![("role", "salesperson"), ("preset", sp_sys.as_str()), ("action", "next")];
    let keys = Role::Salesperson.default_permissions().keys();
    f.extend(keys.iter().map(|k| ("perm", *k)));
    f.push(("perm", "administration.settings"));
    let r = permissions(&mia, "/users/new", &w, &f).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("You can only give permissions you hold yourself:") && html.contains("administration.settings."),
        "{html}"
    );
    permissions(&mia, "/users/new", &w, &[("role", "administrator"), ("action", "refresh")]).await;
    let mut f = vec![("role", "administrator"), ("preset", admin_sys.as_str()), ("action", "next")];
    let all = Role::Administrator.default_permissions().keys();
    f.extend(all.iter().map(|k| ("perm", *k)));
    let r = permissions(&mia, "/users/new", &w, &f).await;
    assert_eq!(r.status(), 422, "the Administrator preset holds keys Mia lacks");
    assert_eq!(save(&mia, "/users/new", &w).await.status(), 422, "Save checks again");
    let n: i64 = users::table.filter(users::email.eq("x@example.com")).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn every_users_route_refuses_salesperson_and_marketer() {
    let app = spawn_app().await;
    let target = app.create_user("target@example.com", Role::User);
    for (email, role) in [("sam@example.com", Role::Salesperson), ("mark@example.com", Role::Marketer)] {
        let (_, b) = app.signed_in(email, role).await;
        let token = csrf_token(&b.page("/").await).unwrap();
        for path in [
            "/users".to_string(),
            "/users/new".into(),
            format!("/users/{target}"),
            format!("/users/{target}/edit"),
            format!("/users/{target}/delete"),
            "/users/new/avatar?w=x".into(),
            format!("/users/{target}/edit/avatar?w=x"),
            "/users/new?w=x&step=3".to_string(),
        ] {
            assert_eq!(b.get(&path).await.status(), 403, "{role:?} GET {path}");
        }
        let fields: Vec<(&str, &str)> =
            [("csrf_token", token.as_str())].into_iter().chain(person("x@example.com")).collect();
        let (ct, body) = multipart(&fields, None);
        for base in ["/users/new".to_string(), format!("/users/{target}/edit")] {
            let r = b
                .client
                .post(b.url(&format!("{base}/details")))
                .header("content-type", ct.clone())
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "{role:?} details of {base}");
            for step in ["permissions", "save", "cancel"] {
                let r = b
                    .post_raw(&format!("{base}/{step}?w=x"), &[("csrf_token", &token), ("role", "administrator")])
                    .await;
                assert_eq!(r.status(), 403, "{role:?} {base}/{step}");
            }
        }
        for action in ["deactivate", "reactivate", "delete"] {
            let r =
                b.post_raw(&format!("/users/{target}/{action}"), &[("csrf_token", &token), ("successor", "1")]).await;
            assert_eq!(r.status(), 403, "{role:?} {action}");
        }
        // Avatars belong to the user screens (issue #16): not for these roles.
        assert_eq!(b.get(&format!("/users/{target}/avatar")).await.status(), 403, "{role:?} avatar");
    }
    let status: String = users::table.find(target).select(users::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "active");
    // A Manager may look (users_view) but not change.
    let (_, m) = app.signed_in("max@example.com", Role::Manager).await;
    assert_eq!(m.get(&format!("/users/{target}")).await.status(), 200);
    for path in ["/users/new".to_string(), format!("/users/{target}/edit"), format!("/users/{target}/delete")] {
        assert_eq!(m.get(&path).await.status(), 403, "Manager GET {path}");
    }
    let token = csrf_token(&m.page("/").await).unwrap();
    let r = m.post_raw(&format!("/users/{target}/deactivate"), &[("csrf_token", &token)]).await;
    assert_eq!(r.status(), 403);
    let status: String = users::table.find(target).select(users::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "active");
    assert_eq!(user_count(&app), 4);
    assert_eq!(
        app.browser().get(&format!("/users/{target}/avatar")).await.status(),
        303,
        "signed-out users are sent to sign in"
    );
}

#[tokio::test]
async fn save_as_new_makes_the_checklist_the_users_only_preset() {
    use custodian::db::schema::{preset_permissions, presets};
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let w = wizard_id(&location(&details(&b, "/users/new", None, &person("grace@example.com"), None).await));
    permissions(&b, "/users/new", &w, &[("role", "salesperson"), ("action", "refresh")]).await;
    let sys = system_preset(&app, Role::Salesperson).to_string();
    let mut f = vec![("role", "salesperson"), ("preset", sys.as_str()), ("action", "save_as_new")];
    let keys = Role::Salesperson.default_permissions().keys();
    f.extend(keys.iter().map(|k| ("perm", *k)));
    f.extend([("perm", "tests.ab_messages"), ("perm", "tests.abx_dynamic_content")]);
    // A taken name is refused beside the field.
    let r = permissions(&b, "/users/new", &w, &[&f[..], &[("preset_name", "salesperson")]].concat()).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"e-preset_name\">A preset with this name already exists."));
    // So is a name longer than the presets screens allow (one rule: presets::PresetName).
    let long = "n".repeat(custodian::presets::MAX_NAME + 1);
    let r = permissions(&b, "/users/new", &w, &[&f[..], &[("preset_name", long.as_str())]].concat()).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"e-preset_name\">Keep the name under 80 characters."));
    let r = permissions(&b, "/users/new", &w, &[&f[..], &[("preset_name", "SalespersonAB")]].concat()).await;
    assert_eq!(location(&r), format!("/users/new?w={w}&step=2"));
    let mut c = app.conn();
    let pid: i64 = presets::table.filter(presets::name.eq("SalespersonAB")).select(presets::id).first(&mut c).unwrap();
    let n: i64 =
        preset_permissions::table.filter(preset_permissions::preset_id.eq(pid)).count().get_result(&mut c).unwrap();
    assert_eq!(n, 8);
    let step2 = b.page(&location(&r)).await;
    assert!(step2.contains(&format!("value=\"{pid}\" checked")) && !step2.contains("granted for this user"));
    let r = save(&b, "/users/new", &w).await;
    assert_eq!(r.status(), 303);
    let id = user_id(&app, "grace@example.com");
    let held: Vec<i64> =
        user_presets::table.filter(user_presets::user_id.eq(id)).select(user_presets::preset_id).load(&mut c).unwrap();
    assert_eq!(held, [pid]);
    let overrides: i64 =
        user_overrides::table.filter(user_overrides::user_id.eq(id)).count().get_result(&mut c).unwrap();
    assert_eq!(overrides, 0);
    // It is offered to every later user.
    let w2 = wizard_id(&location(&details(&b, "/users/new", None, &person("next@example.com"), None).await));
    assert!(b.page(&format!("/users/new?w={w2}&step=2")).await.contains("SalespersonAB"));
}

#[tokio::test]
async fn an_edit_form_older_than_the_user_is_refused_once() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let id = app.create_user("sam@example.com", Role::Salesperson);
    let base = format!("/users/{id}/edit");
    b.page(&base).await;
    // Someone else renames Sam meanwhile.
    diesel::update(users::table.find(id))
        .set((users::last_name.eq("Changed"), users::version.eq(users::version + 1)))
        .execute(&mut app.conn())
        .unwrap();
    let fields = [("version", "1"), ("first_name", "Sam"), ("last_name", "Mine"), ("email", "sam@example.com")];
    let r = details(&b, &base, None, &fields, None).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Someone else changed this user"));
    let w = wizard_id(&html);
    let r = details(&b, &base, Some(&w), &fields[1..], None).await;
    assert_eq!(r.status(), 303, "submitting again keeps the entries");
    assert_eq!(save(&b, &base, &w).await.status(), 303);
    let last: String = users::table.find(id).select(users::last_name).first(&mut app.conn()).unwrap();
    assert_eq!(last, "Mine");
}

/// Issue #14 (users list at scale): where you are, a sort in both directions, last sign-in.
#[tokio::test]
async fn the_users_list_counts_sorts_and_shows_the_last_sign_in() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    for i in 0..29 {
        app.create_user(&format!("u{i:02}@example.com"), Role::User);
    }
    let first = admin.page("/users").await;
    assert!(first.contains("1–24 of 30"), "the count");
    assert!(first.contains("Page 1 of 2"));
    let second = admin.page("/users?page=2").await;
    assert!(second.contains("25–30 of 30"));
    // By email, A–Z: u00 first; Z–A: ada last.
    let az = admin.page("/users?sort=email&dir=asc").await;
    let pos = |html: &str, needle: &str| html.find(needle).unwrap_or(usize::MAX);
    assert!(pos(&az, "ada@example.com") < pos(&az, "u00@example.com"), "a before u");
    assert!(az.contains("sorted by Email, A–Z"));
    let za = admin.page("/users?sort=email&dir=desc").await;
    assert!(pos(&za, "u28@example.com") < pos(&za, "u27@example.com"));
    // ada signed in; the others never did.
    let recent = admin.page("/users?sort=last_sign_in&dir=desc").await;
    assert!(pos(&recent, "ada@example.com") < pos(&recent, "u00@example.com"), "the signed-in user first");
    assert!(recent.contains("Last sign-in: never"));
    assert!(recent.contains(&format!("Last sign-in: {}", chrono::Utc::now().format("%Y-"))), "ada's sign-in time");
    // Garbage sort values fall back to the default order, never a 500.
    assert_eq!(admin.get("/users?sort=drop%20table&dir=sideways&page=-4").await.status(), 200);
}

/// Issue #30: creating a user, the role's preset held alone is a default: ticking a custom
/// preset replaces it (the new user does not end up holding both); ticked again, it is held
/// beside it. Enter in "Preset name" (a "refresh" without script) keeps the typed name.
#[tokio::test]
async fn a_custom_preset_ticked_replaces_the_default_one() {
    use custodian::db::schema::presets;
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let custom: i64 = diesel::insert_into(presets::table)
        .values((presets::name.eq("B2B"), presets::created_by.eq(Some(ada))))
        .returning(presets::id)
        .get_result(&mut app.conn())
        .unwrap();
    let w = wizard_id(&location(&details(&b, "/users/new", None, &person("grace@example.com"), None).await));
    permissions(&b, "/users/new", &w, &[("role", "salesperson"), ("action", "refresh")]).await;
    let (sys, custom) = (system_preset(&app, Role::Salesperson).to_string(), custom.to_string());
    // Both boxes ticked, as the page sends them when the custom one is ticked.
    let picks = [("role", "salesperson"), ("preset", sys.as_str()), ("preset", custom.as_str()), ("action", "refresh")];
    permissions(&b, "/users/new", &w, &picks).await;
    let step2 = b.page(&format!("/users/new?w={w}&step=2")).await;
    assert!(step2.contains(&format!("value=\"{custom}\" checked")), "the custom preset is held");
    assert!(!step2.contains(&format!("value=\"{sys}\" checked")), "the default is replaced");
    // Ticked again, the system preset is held beside it.
    permissions(&b, "/users/new", &w, &picks).await;
    let step2 = b.page(&format!("/users/new?w={w}&step=2")).await;
    assert!(
        step2.contains(&format!("value=\"{sys}\" checked")) && step2.contains(&format!("value=\"{custom}\" checked"))
    );
    // Enter in "Preset name" without script: the page comes back with the name kept.
    let r = permissions(&b, "/users/new", &w, &[&picks[..], &[("preset_name", "Desk B")]].concat()).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("value=\"Desk B\""));
}

/// Issue #30: the users list finds people by name as well as email, and filters by status and
/// by two-factor enrolment; the two-factor policy's count links to who is not enrolled.
#[tokio::test]
async fn the_users_list_searches_names_and_filters_status_and_two_factor() {
    use custodian::db::schema::two_factor;
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let mut c = app.conn();
    let grace = app.create_user("gh@example.com", Role::Salesperson);
    let alan = app.create_user("at@example.com", Role::Salesperson);
    diesel::update(users::table.find(grace))
        .set((users::first_name.eq("Grace"), users::last_name.eq("Hopper")))
        .execute(&mut c)
        .unwrap();
    diesel::update(users::table.find(alan))
        .set((users::first_name.eq("Alan"), users::last_name.eq("Turing"), users::status.eq("deactivated")))
        .execute(&mut c)
        .unwrap();
    diesel::insert_into(two_factor::table)
        .values((
            two_factor::user_id.eq(grace),
            two_factor::secret.eq("JBSWY3DPEHPK3PXP"),
            two_factor::confirmed_at.eq(Some(chrono::Utc::now())),
        ))
        .execute(&mut c)
        .unwrap();
    let listed = |html: &str, email: &str| html.contains(&format!("<span class=\"muted\">{email}</span>"));
    let page = b.page("/users?q=grace+hop").await;
    assert!(listed(&page, "gh@example.com") && !listed(&page, "at@example.com"), "{page}");
    let page = b.page("/users?q=turing").await;
    assert!(listed(&page, "at@example.com") && !listed(&page, "gh@example.com"));
    let page = b.page("/users?status=deactivated").await;
    assert!(listed(&page, "at@example.com") && !listed(&page, "gh@example.com"));
    let page = b.page("/users?two_factor=enrolled").await;
    assert!(listed(&page, "gh@example.com") && !listed(&page, "at@example.com") && !listed(&page, "ada@example.com"));
    let page = b.page("/users?status=active&two_factor=not_enrolled").await;
    assert!(listed(&page, "ada@example.com") && !listed(&page, "gh@example.com") && !listed(&page, "at@example.com"));
    // The form shows the filters applied.
    assert!(
        page.contains("<option value=\"active\" selected>")
            && page.contains("<option value=\"not_enrolled\" selected>")
    );
}
