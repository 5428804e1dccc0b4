//! Issue #11, single sign-on: Custodian as an OpenID Connect relying party, tested against a
//! real OpenID Provider — panva's `oidc-provider` (OpenID Certified) under the machine's
//! Node.js on a loopback port (tests/oidc/provider.mjs; `.ci/run` installs it with npm). The
//! provider's own login and consent pages are driven over HTTP like a browser would, and once in
//! Chromium. Bad ID tokens come from the same provider, told to tamper with what its token
//! endpoint issues (see provider.mjs).

use crate::helpers::*;
use custodian::db::schema::{audit_log, users};
use custodian::permissions::Role;
use diesel::prelude::*;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

const CLIENT_ID: &str = "custodian-test";
const CLIENT_SECRET: &str = "a-client-secret-for-the-tests-only";

/// The OpenID Provider process; killed when dropped.
pub struct Provider {
    process: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Provider {
    /// Starts the provider for a Custodian at `app` (its redirect and post-logout URLs).
    fn start(port: u16, app: &str) -> Provider {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
        assert!(
            std::path::Path::new(dir).join("node_modules/oidc-provider").exists(),
            "the test OpenID Provider is not installed: npm ci --prefix tests/oidc (bash .ci/run does it)"
        );
        let mut process = Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()))
            .arg(format!("{dir}/provider.mjs"))
            .env("PORT", port.to_string())
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("REDIRECT_URI", format!("{app}/login/sso/callback"))
            .env("POST_LOGOUT_URI", format!("{app}/login"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node (Node.js) runs the test OpenID Provider");
        let mut out = std::io::BufReader::new(process.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the OpenID Provider did not start");
        // Keep reading what it prints: a closed pipe would end the process at its next line.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Provider { process, issuer: format!("http://127.0.0.1:{port}") }
    }

    /// Makes the token endpoint tamper with the ID tokens it issues from now on.
    async fn tamper(&self, mode: &str) {
        let r = reqwest::Client::new().post(format!("{}/__mode?m={mode}", self.issuer)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
}

/// A Custodian with single sign-on configured against a running provider.
struct Setup {
    app: TestApp,
    idp: Provider,
}

async fn setup_with(jit_role: Option<&str>) -> Setup {
    let (app_port, idp_port) = (free_port(), free_port());
    let app_url = format!("http://127.0.0.1:{app_port}");
    let jit = jit_role.map(String::from);
    let app = spawn_app_with(TestDb::new(), None, |c| {
        c.bind = format!("127.0.0.1:{app_port}");
        c.oidc_issuer_url = Some(format!("http://127.0.0.1:{idp_port}"));
        c.oidc_client_id = Some(CLIENT_ID.into());
        c.oidc_client_secret = Some(CLIENT_SECRET.into());
        c.oidc_redirect_url = Some(format!("{app_url}/login/sso/callback"));
        c.oidc_display_name = "Test IdP".into();
        c.oidc_jit_role = jit;
    })
    .await;
    assert_eq!(app.address, app_url);
    let idp = Provider::start(idp_port, &app.address);
    Setup { app, idp }
}

async fn setup() -> Setup {
    setup_with(None).await
}

/// The fields of the first form of a page: (action, hidden name/value pairs).
fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let form = html.split("<form").nth(1).expect("a form on the provider's page");
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
        Some(tag[at..].split('"').next()?.replace("&amp;", "&"))
    };
    let action = attr(form.split('>').next().unwrap(), "action").unwrap();
    let hidden = form
        .split("<input")
        .skip(1)
        .filter(|i| i.contains("type=\"hidden\""))
        .filter_map(|i| Some((attr(i, "name")?, attr(i, "value").unwrap_or_default())))
        .collect();
    (action, hidden)
}

/// Signs in at the provider as `login` (its development pages: login, then consent), starting
/// from the address Custodian sent the browser to; returns the callback address the provider
/// sends the browser back to.
async fn through_provider(idp: &Provider, start: &str, login: &str) -> String {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client =
        reqwest::Client::builder().cookie_provider(jar).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let absolute = |u: &str| if u.starts_with("http") { u.to_string() } else { format!("{}{u}", idp.issuer) };
    let mut next = client.get(absolute(start)).send().await.unwrap();
    for _ in 0..12 {
        if next.status().is_redirection() {
            let to = location(&next);
            if to.contains("/login/sso/callback") {
                return to;
            }
            next = client.get(absolute(&to)).send().await.unwrap();
            continue;
        }
        let html = next.text().await.unwrap();
        let (action, mut fields) = form_of(&html);
        if html.contains("name=\"login\"") {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "anything".into()));
        }
        next = client.post(absolute(&action)).form(&fields).send().await.unwrap();
    }
    panic!("the provider never sent the browser back");
}

/// The whole round: Custodian's start, the provider, Custodian's callback; returns the answer
/// of the callback.
async fn sso_sign_in(s: &Setup, b: &Browser, login: &str) -> reqwest::Response {
    let r = b.get("/login/sso?next=/contacts").await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with(&s.idp.issuer), "off to the provider: {to}");
    assert!(to.contains("code_challenge_method=S256") && to.contains("nonce=") && to.contains("state="));
    let back = through_provider(&s.idp, &to, login).await;
    b.client.get(&back).send().await.unwrap()
}

fn last_login_method(app: &TestApp) -> String {
    let after: Option<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("user.login"))
        .order(audit_log::id.desc())
        .select(audit_log::after)
        .first(&mut app.conn())
        .unwrap();
    after.unwrap()["method"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_verified_email_signs_in_its_user_and_the_login_page_offers_it() {
    let s = setup().await;
    s.app.create_user("uma@example.com", Role::User);
    let b = s.app.browser();
    assert!(b.page("/login").await.contains("Sign in with Test IdP"));
    // The provider's email in another case still finds the user.
    let r = sso_sign_in(&s, &b, "UMA@example.com").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/contacts");
    assert_eq!(b.get("/").await.status(), 200, "signed in");
    assert_eq!(last_login_method(&s.app), "single_sign_on");

    // The same callback a second time: the flow was used up.
    let again = s.app.browser();
    let r = again.get("/login/sso").await;
    let back = through_provider(&s.idp, &location(&r), "uma@example.com").await;
    assert_eq!(again.client.get(&back).send().await.unwrap().status(), 303);
    let r = again.client.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // Sign-out ends the Custodian session and offers the provider's logout.
    let html = b.page("/").await;
    let r = b.post_raw("/logout", &[("csrf_token", &csrf_token(&html).unwrap())]).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains(&format!("{}/session/end?", s.idp.issuer)), "RP-initiated logout offered");
    assert!(page.contains("id_token_hint="));
    assert_eq!(b.get("/").await.status(), 303, "the Custodian session is over");
}

#[tokio::test]
async fn a_tampered_state_signs_nobody_in() {
    let s = setup().await;
    s.app.create_user("uma@example.com", Role::User);
    let b = s.app.browser();
    let r = b.get("/login/sso").await;
    let back = through_provider(&s.idp, &location(&r), "uma@example.com").await;
    let state = back.split("state=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let forged = back.replace(&format!("state={state}"), "state=forged-state");
    let r = b.client.get(&forged).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not the one this browser started"));
    assert_eq!(b.get("/").await.status(), 303, "not signed in");
    // Nor can the real callback be used after that: the flow is spent.
    assert_eq!(b.client.get(&back).send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn bad_id_tokens_are_refused() {
    let s = setup().await;
    s.app.create_user("uma@example.com", Role::User);
    for mode in ["wrong_nonce", "expired", "wrong_key", "wrong_audience"] {
        s.idp.tamper(mode).await;
        let b = s.app.browser();
        let r = sso_sign_in(&s, &b, "uma@example.com").await;
        assert_eq!(r.status(), 401, "{mode}");
        assert!(r.text().await.unwrap().contains("could not be verified"), "{mode}");
        assert_eq!(b.get("/").await.status(), 303, "{mode}: not signed in");
    }
    s.idp.tamper("normal").await;
    let b = s.app.browser();
    assert_eq!(sso_sign_in(&s, &b, "uma@example.com").await.status(), 303, "the control: untampered works");
}

#[tokio::test]
async fn unverified_unknown_and_deactivated_are_refused() {
    let s = setup().await;
    let uma = s.app.create_user("uma@example.com", Role::User);
    let b = s.app.browser();
    let r = sso_sign_in(&s, &b, "unverified:uma@example.com").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("has not verified the email"));

    let r = sso_sign_in(&s, &b, "nobody@example.com").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("No Custodian user has the email nobody@example.com"));
    let n: i64 = users::table.count().get_result(&mut s.app.conn()).unwrap();
    assert_eq!(n, 1, "nobody created without just-in-time creation");

    diesel::update(users::table.find(uma)).set(users::status.eq("deactivated")).execute(&mut s.app.conn()).unwrap();
    let r = sso_sign_in(&s, &b, "uma@example.com").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("deactivated"));
    assert_eq!(b.get("/").await.status(), 303);
}

#[tokio::test]
async fn just_in_time_creation_makes_a_user_of_the_configured_role_only() {
    let s = setup_with(Some("salesperson")).await;
    let b = s.app.browser();
    let r = sso_sign_in(&s, &b, "newcomer@example.com").await;
    assert_eq!(r.status(), 303);
    let (role, first, status): (String, String, String) = users::table
        .filter(users::email.eq("newcomer@example.com"))
        .select((users::role, users::first_name, users::status))
        .first(&mut s.app.conn())
        .unwrap();
    assert_eq!((role.as_str(), first.as_str(), status.as_str()), ("salesperson", "Newcomer", "active"));
    let created: i64 = audit_log::table
        .filter(audit_log::action.eq("user.create"))
        .filter(audit_log::actor_id.is_null())
        .count()
        .get_result(&mut s.app.conn())
        .unwrap();
    assert_eq!(created, 1, "audited");
    // An unverified email creates nobody, even so.
    let r = sso_sign_in(&s, &s.app.browser(), "unverified:other@example.com").await;
    assert_eq!(r.status(), 403);
    let n: i64 = users::table.count().get_result(&mut s.app.conn()).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn an_administrator_role_for_just_in_time_creation_is_refused_at_start() {
    let mut c = custodian::config::Config::for_database("postgres://x@127.0.0.1/x", "127.0.0.1:0");
    c.oidc_issuer_url = Some("http://127.0.0.1:1".into());
    c.oidc_client_id = Some("c".into());
    c.oidc_redirect_url = Some("http://127.0.0.1:2/login/sso/callback".into());
    c.oidc_jit_role = Some("administrator".into());
    assert!(custodian::auth::sso::Configured::from_config(&c).is_err());
    c.oidc_jit_role = None;
    c.oidc_client_id = None;
    assert!(custodian::auth::sso::Configured::from_config(&c).is_err(), "half a configuration");
}

#[tokio::test]
async fn sso_only_keeps_the_password_for_administrators_alone() {
    let s = setup().await;
    let (_, admin) = s.app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, sam) = s.app.signed_in("sam@example.com", Role::Salesperson).await;
    assert_eq!(sam.submit("/", "/settings/sign-in", &[("sso_only", "on")]).await.status(), 403);
    let r = admin.submit("/settings/sign-in", "/settings/sign-in", &[("sso_only", "on")]).await;
    assert_eq!(r.status(), 303);

    let r = s.app.browser().login("sam@example.com", TEST_PASSWORD).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("use “Sign in with Test IdP”"));
    // A wrong password says only that: nothing about who may use a password.
    let r = s.app.browser().login("sam@example.com", "wrong password").await;
    assert!(r.text().await.unwrap().contains("Email or password is incorrect"));
    assert_eq!(s.app.browser().login("ada@example.com", TEST_PASSWORD).await.status(), 303);
    assert_eq!(sso_sign_in(&s, &s.app.browser(), "sam@example.com").await.status(), 303);

    admin.submit("/settings/sign-in", "/settings/sign-in", &[]).await;
    assert_eq!(s.app.browser().login("sam@example.com", TEST_PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn broken_callbacks_and_an_unconfigured_server_never_answer_5xx() {
    let s = setup().await;
    let b = s.app.browser();
    for q in [
        "",
        "?code=x",
        "?state=y",
        "?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        &format!("?code={}&state=z", "c".repeat(3_000)),
    ] {
        let r = b.get(&format!("/login/sso/callback{q}")).await;
        assert!(r.status().is_client_error(), "{q:.40}: {}", r.status());
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "the provider's words are escaped");
    }
    // A started flow with a garbage code: the token endpoint refuses, nobody is signed in.
    let r = b.get("/login/sso").await;
    let to = location(&r);
    let state = url_param(&to, "state");
    let r = b.get(&format!("/login/sso/callback?code=garbage&state={state}")).await;
    assert_eq!(r.status(), 401);

    let plain = spawn_app().await;
    let r = plain.browser().get("/login/sso").await;
    assert_eq!(r.status(), 404);
    assert!(!plain.browser().page("/login").await.contains("Sign in with"));
}

fn url_param(url: &str, name: &str) -> String {
    url.split(&format!("{name}=")).nth(1).unwrap().split('&').next().unwrap().to_string()
}

/// In Chromium: the button on the sign-in page, the provider's pages, and back signed in.
#[tokio::test]
async fn browser_signs_in_through_the_provider() {
    use thirtyfour::prelude::*;
    let s = setup().await;
    s.app.create_user("uma@example.com", Role::User);
    let chrome = crate::browser::Chrome::start().await;
    chrome.driver.goto(format!("{}/login", s.app.address)).await.unwrap();
    chrome.click_through(By::Id("sso-start")).await;
    let login = chrome.wait_for(By::Css("input[name=login]")).await;
    login.send_keys("uma@example.com").await.unwrap();
    chrome.driver.find(By::Css("input[name=password]")).await.unwrap().send_keys("anything").await.unwrap();
    chrome.click_through(By::Css("button[type=submit]")).await;
    // The provider's consent page.
    chrome.wait_for(By::Css("button[type=submit]")).await;
    chrome.click_through(By::Css("button[type=submit]")).await;
    chrome.wait_for(By::Css("nav.mainnav")).await;
    assert_eq!(chrome.driver.current_url().await.unwrap().path(), "/");
    chrome.quit().await;
}

/// Issue #26 S5: a verified email that only PostgreSQL's Unicode folding makes equal to an
/// account's is not that account: "admİn@example.com" does not sign in as admin@example.com.
#[tokio::test]
async fn a_provider_email_equal_only_under_unicode_folding_signs_nobody_in() {
    let s = setup().await;
    s.app.create_user("admin@example.com", Role::Administrator);
    let b = s.app.browser();
    let r = sso_sign_in(&s, &b, "adm\u{130}n@example.com").await;
    assert_eq!(r.status(), 403);
    assert_eq!(b.get("/").await.status(), 303, "not signed in");
}

/// Issue #26 S9: just-in-time creation validates the account as the wizard does: no account
/// named "not-an-email" or with a 300-character address.
#[tokio::test]
async fn just_in_time_creation_validates_the_account() {
    let s = setup_with(Some("salesperson")).await;
    let long = format!("{}@example.com", "a".repeat(300));
    for login in ["not-an-email", long.as_str()] {
        let b = s.app.browser();
        let r = sso_sign_in(&s, &b, login).await;
        assert_eq!(r.status(), 403, "{login}");
        assert_eq!(b.get("/").await.status(), 303);
    }
    let n: i64 = users::table.count().get_result(&mut s.app.conn()).unwrap();
    assert_eq!(n, 0, "nobody created");
}

/// Review of #26: with just-in-time creation on, an address equal to an account's only under
/// Unicode folding creates nobody and answers plainly (the unique index would refuse it).
#[tokio::test]
async fn just_in_time_creation_refuses_an_address_another_account_holds_folded() {
    let s = setup_with(Some("salesperson")).await;
    s.app.create_user("admin@example.com", Role::Administrator);
    let b = s.app.browser();
    let r = sso_sign_in(&s, &b, "adm\u{130}n@example.com").await;
    assert_eq!(r.status(), 403);
    assert_eq!(b.get("/").await.status(), 303);
    let n: i64 = users::table.count().get_result(&mut s.app.conn()).unwrap();
    assert_eq!(n, 1);
}
