//! Sign-in, sign-out, sessions, CSRF, throttling, setup, navigation and error pages.

use crate::helpers::*;
use custodian::permissions::Role;
use diesel::prelude::*;

#[tokio::test]
async fn login_succeeds_and_shows_dashboard() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let html = b.page("/").await;
    assert!(html.contains("Welcome, Test Administrator"), "{html}");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let b = app.browser();
    let wrong = b.login("ada@example.com", "not the password").await;
    assert_eq!(wrong.status(), 422);
    let wrong_body = wrong.text().await.unwrap();
    assert!(wrong_body.contains("Email or password is incorrect."));
    assert!(wrong_body.contains("value=\"ada@example.com\""), "typed email is kept");
    let unknown = b.login("nobody@example.com", "whatever").await;
    assert_eq!(unknown.status(), 422);
    assert!(unknown.text().await.unwrap().contains("Email or password is incorrect."));
    assert_eq!(b.get("/").await.status(), 303, "still signed out");
}

#[tokio::test]
async fn failed_and_successful_logins_are_audited() {
    let app = spawn_app().await;
    let uid = app.create_user("ada@example.com", Role::Administrator);
    let b = app.browser();
    b.login("ada@example.com", "nope").await;
    b.login("ada@example.com", TEST_PASSWORD).await;
    b.submit("/", "/logout", &[]).await;
    use custodian::db::schema::audit_log::dsl::*;
    let actions: Vec<String> =
        audit_log.filter(actor_id.eq(uid)).order(at.asc()).select(action).load(&mut app.conn()).unwrap();
    assert_eq!(actions, ["user.login_failed", "user.login", "user.logout"]);
}

#[tokio::test]
async fn session_is_renewed_at_login() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let b = app.browser();
    b.page("/login").await;
    let before = b.cookie_header();
    assert!(before.contains("custodian_session="));
    b.login("ada@example.com", TEST_PASSWORD).await;
    let after = b.cookie_header();
    assert_ne!(before, after, "a new session key is issued at sign-in");
    // The pre-login key does not carry the signed-in user.
    let r = app.browser().client.get(b.url("/")).header("cookie", before).send().await.unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn logout_ends_the_session_and_the_old_cookie_is_refused() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let cookie = b.cookie_header();
    let r = b.submit("/", "/logout", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login");
    let replay = app.browser().client.get(b.url("/")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(replay.status(), 303, "old cookie no longer signs in");
    assert!(location(&replay).starts_with("/login"));
}

#[tokio::test]
async fn deleting_the_session_row_signs_the_user_out_at_once() {
    let app = spawn_app().await;
    let (id, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    assert_eq!(b.get("/").await.status(), 200);
    let n = custodian::auth::session_store::end_sessions_of(&mut app.conn(), id).unwrap();
    assert_eq!(n, 1);
    assert_eq!(b.get("/").await.status(), 303);
}

#[tokio::test]
async fn post_without_or_with_wrong_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let missing = b.post_raw("/logout", &[]).await;
    assert_eq!(missing.status(), 403);
    assert!(missing.text().await.unwrap().contains("Forbidden"));
    let wrong = b.post_raw("/logout", &[("csrf_token", "forged")]).await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(b.get("/").await.status(), 200, "still signed in: the refused logout did nothing");
    // A login POST without a token is refused too, even with the right password.
    let anon = app.browser();
    let r = anon.post_raw("/login", &[("email", "ada@example.com"), ("password", TEST_PASSWORD)]).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let b = app.browser();
    for _ in 0..custodian::auth::throttle::ACCOUNT_LIMIT {
        assert_eq!(b.login("ada@example.com", "wrong").await.status(), 422);
    }
    let r = b.login("ada@example.com", TEST_PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("Too many failed sign-in attempts"));
    // Unknown accounts are locked the same way: the answer does not reveal which exist.
    for _ in 0..custodian::auth::throttle::ACCOUNT_LIMIT {
        b.login("ghost@example.com", "wrong").await;
    }
    assert_eq!(b.login("ghost@example.com", "wrong").await.status(), 429);
}

#[tokio::test]
async fn many_failures_from_one_address_lock_that_address() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let b = app.browser();
    for i in 0..custodian::auth::throttle::IP_LIMIT {
        b.login(&format!("guess{i}@example.com"), "wrong").await;
    }
    assert_eq!(b.login("ada@example.com", TEST_PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn setup_link_creates_the_first_administrator_once() {
    let app = spawn_app().await;
    let token = custodian::users::setup::issue_token_if_no_users(&mut app.conn()).unwrap().unwrap();
    let b = app.browser();
    let path = format!("/setup/{token}");
    let weak = b
        .submit(
            &path,
            &path,
            &[
                ("email", "root@example.com"),
                ("first_name", "Root"),
                ("last_name", "R"),
                ("password", "password"),
                ("password_confirm", "password"),
            ],
        )
        .await;
    assert_eq!(weak.status(), 422);
    let body = weak.text().await.unwrap();
    assert!(body.contains("value=\"root@example.com\""), "typed email kept");
    assert!(body.contains("Use at least 10 characters"));
    let ok = b
        .submit(
            &path,
            &path,
            &[
                ("email", "root@example.com"),
                ("first_name", "Root"),
                ("last_name", "R"),
                ("password", TEST_PASSWORD),
                ("password_confirm", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status(), 303);
    assert!(b.page("/").await.contains("<p class=\"muted\">Administrator · <a href=\"/account\">"));
    assert_eq!(app.browser().get(&path).await.status(), 404, "the link works once");
}

#[tokio::test]
async fn navigation_shows_only_modules_the_user_has() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, operator) = app.signed_in("olga@example.com", Role::SendingOperator).await;
    let admin_nav = admin.page("/").await;
    let op_nav = operator.page("/").await;
    assert!(admin_nav.contains("href=\"/users\""));
    assert!(!op_nav.contains("href=\"/users\""));
    assert!(!op_nav.contains("href=\"/contacts\""), "a Sending operator has no contact list");
}

#[tokio::test]
async fn error_pages_are_rendered() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("olga@example.com", Role::SendingOperator).await;
    let r = b.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("There is nothing at this address."));
    let r = b.get("/users").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("You do not have permission"));
}

#[tokio::test]
async fn pages_carry_security_headers_and_healthz_answers() {
    let app = spawn_app().await;
    let r = app.browser().get("/healthz").await;
    assert_eq!(r.status(), 200);
    let r = app.browser().get("/login").await;
    let h = r.headers();
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    let cookie = h["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn system_presets_exist_after_migration() {
    let app = spawn_app().await;
    use custodian::db::schema::presets::dsl::*;
    let roles: Vec<Option<String>> =
        presets.filter(system_role.is_not_null()).select(system_role).load(&mut app.conn()).unwrap();
    assert_eq!(roles.len(), 6);
    let sources =
        custodian::permissions::store::sources(&mut app.conn(), app.create_user("s@example.com", Role::Salesperson))
            .unwrap();
    assert_eq!(sources.effective(), Role::Salesperson.default_permissions());
}

/// The demo data README promises: it seeds on a fresh database, once, and every demo login
/// signs in with the documented password.
#[tokio::test]
async fn demo_data_seeds_once_and_its_logins_sign_in() {
    let db = TestDb::new();
    custodian::demo::seed(&mut db.conn()).unwrap();
    custodian::demo::seed(&mut db.conn()).unwrap();
    let app = spawn_app_on(db, None).await;
    for email in [
        "admin@example.com",
        "manager@example.com",
        "marketer@example.com",
        "sales@example.com",
        "operator@example.com",
        "user@example.com",
        "sales2@example.com",
    ] {
        let r = app.browser().login(email, custodian::demo::DEMO_PASSWORD).await;
        assert_eq!(r.status(), 303, "{email}");
    }
    let contacts: i64 = custodian::db::schema::contacts::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(contacts, 10_000);
}

/// Issue #30: a user changes their own password on the account page: the current one first
/// (a wrong one counts for the sign-in throttle), a new one by the wizard's rule typed twice;
/// every other session ends, this one goes on, and only the new password signs in.
#[tokio::test]
async fn a_user_changes_their_own_password_and_other_sessions_end() {
    use custodian::db::schema::audit_log;
    let app = spawn_app().await;
    let (sam, b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let other = app.browser();
    assert_eq!(other.login("sam@example.com", TEST_PASSWORD).await.status(), 303);
    const NEW: &str = "a quite different passphrase 77";
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let b = &b;
        async move {
            b.submit(
                "/account",
                "/account/password",
                &[("current_password", current), ("password", new), ("password_confirm", again)],
            )
            .await
        }
    };
    let r = change("wrong password here", NEW, NEW).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"e-current_password\">This is not your current password."));
    let r = change(TEST_PASSWORD, "password123", "password123").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"e-password\">"));
    let r = change(TEST_PASSWORD, NEW, "something else entirely 88").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"e-password_confirm\">The two passwords do not match."));
    assert_eq!(other.get("/account").await.status(), 200, "nothing changed yet");
    let r = change(TEST_PASSWORD, NEW, NEW).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/account");
    assert!(b.page("/account").await.contains("Password changed. You were signed out everywhere else."));
    let r = other.get("/account").await;
    assert_eq!(r.status(), 303, "the other session ended");
    assert!(location(&r).starts_with("/login"));
    assert_ne!(app.browser().login("sam@example.com", TEST_PASSWORD).await.status(), 303, "the old one is refused");
    assert_eq!(app.browser().login("sam@example.com", NEW).await.status(), 303);
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("user.password_changed"))
        .filter(audit_log::object_id.eq(sam.to_string()))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 1);
}
