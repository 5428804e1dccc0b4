//! Issue #16: each finding of the outside attack, reproduced over HTTP the way it was found.
//! Every test here failed on the code before its fix.

use crate::helpers::*;
use crate::users::{details, permissions, save, system_preset, wizard_id};
use custodian::db::schema::{user_overrides, users};
use custodian::permissions::Role;
use diesel::prelude::*;

/// A user of role User who was granted users_view and users_manage: manages users, but is no
/// Administrator.
pub fn plain_user_manager(app: &TestApp, email: &str) -> i64 {
    let id = app.create_user(email, Role::User);
    for key in ["administration.users_view", "administration.users_manage"] {
        diesel::insert_into(user_overrides::table)
            .values((
                user_overrides::user_id.eq(id),
                user_overrides::perm_key.eq(key),
                user_overrides::granted.eq(true),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    id
}

fn role_of(app: &TestApp, id: i64) -> String {
    users::table.find(id).select(users::role).first(&mut app.conn()).unwrap()
}

/// H1: the role is an escalation too (it carries the confidential power).
#[tokio::test]
async fn a_user_manager_who_is_no_administrator_cannot_hand_out_the_administrator_role() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    plain_user_manager(&app, "uma@example.com");
    let uma = app.browser();
    assert_eq!(uma.login("uma@example.com", TEST_PASSWORD).await.status(), 303);
    let sam = app.create_user("sam@example.com", Role::Salesperson);

    // Edit the Salesperson: role administrator, preset unchanged.
    let base = format!("/users/{sam}/edit");
    let fields = [("first_name", "Sam"), ("last_name", "S"), ("email", "sam@example.com")];
    let w = wizard_id(&location(&details(&uma, &base, None, &fields, None).await));
    let sys = system_preset(&app, Role::Salesperson).to_string();
    let mut f = vec![("role", "administrator"), ("preset", sys.as_str()), ("action", "next")];
    let keys = Role::Salesperson.default_permissions().keys();
    f.extend(keys.iter().map(|k| ("perm", *k)));
    // The first post follows the new role (the checklist is shown again); the second goes on.
    permissions(&uma, &base, &w, &f).await;
    let r = permissions(&uma, &base, &w, &f).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-role\""), "the message stands beside the role: {html}");
    let r = save(&uma, &base, &w).await;
    assert_eq!(r.status(), 422, "the save refuses it too, whatever step 2 said");
    assert_eq!(role_of(&app, sam), "salesperson");

    // Nor can she create a new Administrator.
    let w =
        wizard_id(&location(&details(&uma, "/users/new", None, &crate::users::person("eve@example.com"), None).await));
    let f = [("role", "administrator"), ("preset", sys.as_str()), ("action", "next")];
    permissions(&uma, "/users/new", &w, &f).await;
    assert_eq!(save(&uma, "/users/new", &w).await.status(), 422);
    let eve: i64 = users::table.filter(users::email.eq("eve@example.com")).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(eve, 0);
}

/// H2: the organisation never loses its last complete Administrator (the role and every key).
#[tokio::test]
async fn no_change_leaves_the_organisation_without_a_complete_administrator() {
    let app = spawn_app().await;
    let (ada, ada_b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (bea, bea_b) = app.signed_in("bea@example.com", Role::Administrator).await;
    let admin_sys = system_preset(&app, Role::Administrator).to_string();
    let all = Role::Administrator.default_permissions().keys();
    let strip = |b: &'static str| {
        let mut f = vec![("role", "administrator"), ("preset", admin_sys.as_str()), ("action", "next")];
        f.extend(all.iter().filter(move |k| **k != b).map(|k| ("perm", *k)));
        f
    };
    // Ada takes audit_view from Bea: allowed, Ada is still a complete Administrator.
    let base = format!("/users/{bea}/edit");
    let fields = [("first_name", "Bea"), ("last_name", "B"), ("email", "bea@example.com")];
    let w = wizard_id(&location(&details(&ada_b, &base, None, &fields, None).await));
    permissions(&ada_b, &base, &w, &strip("administration.audit_view")).await;
    assert_eq!(save(&ada_b, &base, &w).await.status(), 303);

    // Bea (role Administrator, incomplete) now takes a key from Ada, the last complete one.
    let base = format!("/users/{ada}/edit");
    let fields = [("first_name", "Ada"), ("last_name", "A"), ("email", "ada@example.com")];
    let w = wizard_id(&location(&details(&bea_b, &base, None, &fields, None).await));
    permissions(&bea_b, &base, &w, &strip("administration.settings")).await;
    let r = save(&bea_b, &base, &w).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("no active Administrator holding every permission"));
    let revokes: i64 =
        user_overrides::table.filter(user_overrides::user_id.eq(ada)).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(revokes, 0, "nothing half-saved");
    // Nor may she deactivate Ada: she would be the only Administrator left, and incomplete.
    bea_b.submit(&format!("/users/{ada}"), &format!("/users/{ada}/deactivate"), &[]).await;
    let status: String = users::table.find(ada).select(users::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "active");
    assert_eq!(ada_b.get("/api-tokens").await.status(), 200, "Ada keeps everything");
}

/// M4: failures from one address cannot lock the account for another address.
#[tokio::test]
async fn an_attacker_cannot_keep_an_account_locked_for_everyone() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let attacker = app.browser_from(2);
    for _ in 0..custodian::auth::throttle::ACCOUNT_LIMIT + 2 {
        attacker.login("ada@example.com", "wrong").await;
    }
    assert_eq!(attacker.login("ada@example.com", TEST_PASSWORD).await.status(), 429, "that address is locked out");
    let ada = app.browser_from(3);
    let started = std::time::Instant::now();
    assert_eq!(ada.login("ada@example.com", TEST_PASSWORD).await.status(), 303, "Ada, elsewhere, signs in");
    let waited = started.elapsed().as_millis() as u64;
    assert!(waited < custodian::auth::throttle::MAX_SLOWDOWN_MS + 1_500, "only slowed, boundedly: {waited} ms");
}

/// L2: a Unicode case variant of the email is the same throttle key as the account it finds.
#[tokio::test]
async fn a_unicode_case_variant_does_not_sidestep_the_lock() {
    let app = spawn_app().await;
    app.create_user("admin@example.com", Role::Administrator);
    let b = app.browser();
    for _ in 0..custodian::auth::throttle::ACCOUNT_LIMIT {
        b.login("admin@example.com", "wrong").await;
    }
    assert_eq!(b.login("admin@example.com", TEST_PASSWORD).await.status(), 429);
    assert_eq!(b.login("adm\u{130}n@example.com", TEST_PASSWORD).await.status(), 429);
}

/// L3: after sign-in, only a path on this site, as the browser will read it.
#[tokio::test]
async fn sign_in_never_redirects_off_the_site() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    for next in ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example", "https://evil.example"] {
        let b = app.browser();
        let r = b
            .submit("/login", "/login", &[("email", "ada@example.com"), ("password", TEST_PASSWORD), ("next", next)])
            .await;
        assert_eq!((r.status().as_u16(), location(&r)), (303, "/".to_string()), "next={next:?}");
    }
    let b = app.browser();
    let r = b
        .submit(
            "/login",
            "/login",
            &[("email", "ada@example.com"), ("password", TEST_PASSWORD), ("next", "/contacts?q=a")],
        )
        .await;
    assert_eq!(location(&r), "/contacts?q=a");
}
