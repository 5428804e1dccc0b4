//! Issue #26: every entry point obeys the rules. Each finding of the outside attack, reproduced
//! black-box against the running application: what the screens refuse, SCIM, the settings
//! pages, the token pages, the JSON APIs and sign-in refuse too, because the check lives in
//! the change itself (`access::authority`, `access::escalation`).

use crate::fixtures;
use crate::helpers::*;
use crate::scim::{call_as, new_user, patch_op};
use custodian::access::Level;
use custodian::api_tokens::Scope;
use custodian::db::schema::{api_tokens, app_settings, audit_log, teams, users};
use custodian::db::views::team_members;
use custodian::permissions::Role;
use diesel::prelude::*;
use serde_json::{json, Value};

/// How many contacts `user` reaches at view level now (the access rules' own count).
fn visible(app: &TestApp, user: i64) -> i64 {
    let mut c = app.conn();
    let s = custodian::access::facts::subject(&mut c, user).unwrap().unwrap();
    custodian::access::filter::count(&mut c, &s, Level::View).unwrap()
}

/// A browser with Uma's sign-in waiting for its code (she is enrolled), and its CSRF token.
async fn pending_second_step(app: &TestApp) -> (Browser, String) {
    let (uma, b) = app.signed_in("uma@example.com", Role::User).await;
    crate::two_factor::enrol(app, &b, uma).await;
    let x = app.browser();
    let r = x.login("uma@example.com", TEST_PASSWORD).await;
    assert_eq!(location(&r), "/login/two-factor");
    let token = csrf_token(&x.page("/login/two-factor").await).unwrap();
    (x, token)
}

/// The people of the S16 chain: an Administrator (signed in), a Manager with a contact of
/// theirs, and a Marketer who cannot see it.
struct Chain {
    ada: i64,
    admin: Browser,
    max: i64,
    mia: i64,
    known: i64,
}

async fn chain(app: &TestApp) -> Chain {
    let (ada, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let mut c = app.conn();
    let max = create_user(&mut c, "max@example.com", Role::Manager);
    let mia = create_user(&mut c, "mia@example.com", Role::Marketer);
    let known = fixtures::contact(&mut c, "Known", Some(max));
    Chain { ada, admin, max, mia, known }
}

/// How many access groups contact `id` is in.
fn groups_of(c: &mut PgConnection, id: i64) -> i64 {
    use custodian::db::schema::contact_access_groups as cag;
    cag::table.filter(cag::contact_id.eq(id)).count().get_result(c).unwrap()
}

/// A token for `scopes` stored as made by `creator` (as an earlier version let anyone with
/// `administration.settings` make one).
fn token_of(app: &TestApp, creator: i64, scopes: &[Scope]) -> String {
    custodian::api_tokens::create(&mut app.conn(), "Directory", creator, scopes).unwrap().1
}

/// Sales: a team managed by nobody whose member Sid owns `n` contacts, one of them confidential.
fn sales_with_contacts(app: &TestApp, n: usize) -> (i64, i64) {
    let mut c = app.conn();
    let sid = create_user(&mut c, "sid@example.com", Role::Salesperson);
    for i in 0..n {
        let id = fixtures::contact(&mut c, &format!("Lead {i}"), Some(sid));
        if i == 0 {
            diesel::sql_query("UPDATE contacts SET confidential = true WHERE id = $1")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .execute(&mut c)
                .unwrap();
        }
    }
    (fixtures::team(&mut c, "Sales", None, &[sid]), sid)
}

// S1: one unauthenticated request crashed the process (the filter parser recursed once per
// "("). The token is checked first, and the parser refuses nesting past its depth.
#[tokio::test]
async fn a_deeply_nested_scim_filter_is_refused_without_crashing_anything() {
    let s = crate::scim::scim().await;
    let deep = format!("{}userName pr{}", "(".repeat(2000), ")".repeat(2000));
    let q = format!("/Users?filter={}", custodian::web::urls::url_encode(&deep));
    let (status, _) = call_as(&s.app.address, "cst_nobody", reqwest::Method::GET, &q, None).await;
    assert_eq!(status, 401, "no token, no parsing");
    let (status, body) = s.get(&q).await;
    assert_eq!(status, 400);
    assert_eq!(body["scimType"], "invalidFilter");
    assert!(body["detail"].as_str().unwrap().contains("nests more than"), "{body}");
    let (status, _) = s.get(&format!("/Groups?filter={}", custodian::web::urls::url_encode(&deep))).await;
    assert_eq!(status, 400);
    // Long chains of and/or are bounded too (matching them recurses).
    let chain = vec!["userName pr"; 300].join(" and ");
    let (status, _) = s.get(&format!("/Users?filter={}", custodian::web::urls::url_encode(&chain))).await;
    assert_eq!(status, 400);
    let r = reqwest::get(format!("{}/healthz", s.app.address)).await.unwrap();
    assert_eq!(r.status(), 200, "the server is still there");
}

// S8 + S6: tokens are made by Administrators, and a token carries its creator's authority at
// each call: a settings-only user's token, or one whose creator was deactivated, refuses.
#[tokio::test]
async fn tokens_are_for_administrators_and_die_with_their_creators_authority() {
    let app = spawn_app().await;
    let (sam, b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    app.override_key(sam, "administration.settings", true);
    let r = b.get("/api-tokens").await;
    assert_eq!(r.status(), 403, "the token page is an Administrator's");
    let r = b.post_raw("/api-tokens", &[("name", "mine"), ("scope", "authorization")]).await;
    assert!(r.status() == 403 || r.status() == 400, "{}", r.status());
    let n: i64 = api_tokens::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
    assert!(!b.page("/").await.contains("href=\"/api-tokens\""), "not offered either");

    // A token such a user holds from before answers nothing.
    let theirs = token_of(&app, sam, &[Scope::Authorization, Scope::Scim]);
    let client = reqwest::Client::new();
    let search = json!({"subject": {"type": "user", "id": sam.to_string()}, "action": {"name": "contacts.view"},
                        "resource": {"type": "contact"}});
    let r = client
        .post(format!("{}/access/v1/search/resource", app.address))
        .bearer_auth(&theirs)
        .json(&search)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (status, _) = call_as(&app.address, &theirs, reqwest::Method::GET, "/Users", None).await;
    assert_eq!(status, 403);

    // An Administrator's token works until the Administrator is deactivated.
    let ada = app.create_user("ada@example.com", Role::Administrator);
    app.create_user("second-admin@example.com", Role::Administrator);
    let token = token_of(&app, ada, &[Scope::Authorization, Scope::Scim]);
    let post = |t: String| {
        let (client, url, body) =
            (client.clone(), format!("{}/access/v1/search/resource", app.address), search.clone());
        async move { client.post(url).bearer_auth(t).json(&body).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(token.clone()).await, 200);
    assert_eq!(call_as(&app.address, &token, reqwest::Method::GET, "/Users", None).await.0, 200);
    // The Bearer scheme is case-insensitive (RFC 9110).
    let r = client
        .post(format!("{}/access/v1/search/resource", app.address))
        .header("authorization", format!("bearer {token}"))
        .json(&search)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    diesel::update(users::table.find(ada)).set(users::status.eq("deactivated")).execute(&mut app.conn()).unwrap();
    assert_eq!(post(token.clone()).await, 403);
    assert_eq!(call_as(&app.address, &token, reqwest::Method::GET, "/Users", None).await.0, 403);
    let r = client
        .post(format!("{}/api/v1/check", app.address))
        .bearer_auth(&token)
        .json(&json!({"user_id": sam, "permission": "contacts.view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "every scope, every endpoint");
}

// S2 + S10: SCIM user writes need what the console needs (users_manage, users_view to read),
// and never touch the token's creator.
#[tokio::test]
async fn scim_needs_the_user_permissions_of_the_console() {
    let s = crate::scim::scim().await;
    let other = s.app.create_user("bob@example.com", Role::Salesperson);
    // The creator keeps the role but loses the user keys.
    s.app.override_key(s.admin, "administration.users_manage", false);
    s.app.override_key(s.admin, "administration.users_view", false);
    let (status, _) = s.get("/Users").await;
    assert_eq!(status, 403, "no directory without users_view");
    let (status, _) = s.get(&format!("/Users/{other}")).await;
    assert_eq!(status, 403);
    let (status, _) = s.post(new_user("eve@example.com", "user")).await;
    assert_eq!(status, 403);
    let (status, _) = s.patch(&other.to_string(), json!([{"op": "replace", "path": "active", "value": false}])).await;
    assert_eq!(status, 403);
    let (status, _) =
        s.patch(&other.to_string(), json!([{"op": "replace", "path": "userName", "value": "x@example.com"}])).await;
    assert_eq!(status, 403);
    let (email, state): (String, String) =
        users::table.find(other).select((users::email, users::status)).first(&mut s.app.conn()).unwrap();
    assert_eq!((email.as_str(), state.as_str()), ("bob@example.com", "active"));
    let n: i64 = users::table.filter(users::email.eq("eve@example.com")).count().get_result(&mut s.app.conn()).unwrap();
    assert_eq!(n, 0);

    // With the keys back, the creator's own account is still not the provider's to change.
    diesel::delete(custodian::db::views::user_overrides::table).execute(&mut s.app.conn()).unwrap();
    for (path, value) in
        [("userName", json!("ada2@example.com")), ("externalId", json!("x")), ("name.givenName", json!("Eve"))]
    {
        let (status, _) = s.patch(&s.admin.to_string(), json!([{"op": "replace", "path": path, "value": value}])).await;
        assert_eq!(status, 403, "{path}");
    }
    let email: String = users::table.find(s.admin).select(users::email).first(&mut s.app.conn()).unwrap();
    assert_eq!(email, "ada@example.com");
}

// S12 + S3: security settings are an Administrator's; a settings-only user cannot name a
// successor (and so receive others' contacts), nor weaken sign-in.
#[tokio::test]
async fn security_settings_are_for_administrators() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let (sam, b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    app.override_key(sam, "administration.settings", true);
    for page in ["/settings/two-factor", "/settings/provisioning"] {
        assert_eq!(b.get(page).await.status(), 403, "{page}");
    }
    // Forms posted anyway (the CSRF token of another page of the session).
    let token = csrf_token(&b.page("/").await).unwrap();
    let r = b
        .post_raw(
            "/settings/provisioning",
            &[("csrf_token", &token), ("default_role", "manager"), ("delete_successor", "sam@example.com")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = b.post_raw("/settings/two-factor", &[("csrf_token", &token)]).await;
    assert_eq!(r.status(), 403);
    let n: i64 = app_settings::table
        .filter(app_settings::key.eq_any(["scim_delete_successor", "scim_default_role"]))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(n, 0, "nothing saved");
    let n: i64 =
        audit_log::table.filter(audit_log::action.like("settings.%")).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
}

// S3 (the class): naming a successor on deletion gives them the deleted user's contacts and
// teams: a user manager who could not give those contacts by hand cannot name anyone.
#[tokio::test]
async fn a_successor_gets_only_what_the_deleting_user_could_give() {
    let app = spawn_app().await;
    let (_, sid) = sales_with_contacts(&app, 3);
    let uma = crate::security::plain_user_manager(&app, "uma@example.com");
    let heir = app.create_user("heir@example.com", Role::Salesperson);
    let b = app.browser();
    assert_eq!(b.login("uma@example.com", TEST_PASSWORD).await.status(), 303);
    let r = b
        .submit(&format!("/users/{sid}/delete"), &format!("/users/{sid}/delete"), &[("successor", &heir.to_string())])
        .await;
    assert_eq!(r.status(), 422, "{}", r.text().await.unwrap());
    assert_eq!(visible(&app, heir), 0);
    let status: String = users::table.find(sid).select(users::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "active");
    let _ = uma;
}

// S7: a teams_manage holder cannot make themselves (or anyone) a manager or member that
// reaches contacts they could not give by hand — on the team page and over SCIM Groups; an
// access_groups_manage holder cannot grant a group's contacts they could not give.
#[tokio::test]
async fn organising_access_never_gives_more_than_the_actor_could_give() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let (sales, _) = sales_with_contacts(&app, 4);
    let (sam, b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    app.override_key(sam, "administration.teams_manage", true);
    app.override_key(sam, "administration.access_groups_manage", true);
    assert_eq!(visible(&app, sam), 0);

    // Manager of Sales, on the team page: refused beside the field.
    let r = b
        .submit(
            &format!("/teams/{sales}"),
            &format!("/teams/{sales}"),
            &[("name", "Sales"), ("manager_email", "sam@example.com")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("cannot give access to yourself"));
    let manager: Option<i64> = teams::table.find(sales).select(teams::manager_id).first(&mut app.conn()).unwrap();
    assert_eq!(manager, None);

    // A team Sam manages, with Sid's contacts joining through a new member.
    let mut c = app.conn();
    let own = fixtures::team(&mut c, "Sam's", Some(sam), &[]);
    let r = b.submit(&format!("/teams/{own}"), &format!("/teams/{own}/members"), &[("email", "sid@example.com")]).await;
    assert_eq!(r.status(), 422, "a member whose contacts the manager would reach");
    let n: i64 = team_members::table.filter(team_members::team_id.eq(own)).count().get_result(&mut c).unwrap();
    assert_eq!(n, 0);

    // A group of Sid's contacts granted to a team Sam is in.
    let g = fixtures::group(&mut c, "Finland");
    diesel::sql_query("INSERT INTO contact_access_groups (contact_id, group_id) SELECT id, $1 FROM contacts")
        .bind::<diesel::sql_types::BigInt, _>(g)
        .execute(&mut c)
        .unwrap();
    let mine = fixtures::team(&mut c, "Mine", None, &[sam]);
    let r = b
        .submit(
            &format!("/access-groups/{g}"),
            &format!("/access-groups/{g}/grants"),
            &[("target", "team"), ("team_id", &mine.to_string()), ("level", "act")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = b
        .submit(
            &format!("/access-groups/{g}"),
            &format!("/access-groups/{g}/grants"),
            &[("target", "user"), ("email", "sam@example.com"), ("level", "view")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(visible(&app, sam), 0, "no path opened");

    // Over SCIM Groups with an Administrator's token the same changes are the Administrator's
    // to make; the rule is the actor's, and a team member's own team grant stays refused to Sam.
    let ada: i64 = users::table.filter(users::email.eq("ada@example.com")).select(users::id).first(&mut c).unwrap();
    let token = token_of(&app, ada, &[Scope::Scim]);
    let (status, _) = call_as(
        &app.address,
        &token,
        reqwest::Method::PATCH,
        &format!("/Groups/{sales}"),
        Some(patch_op(json!([{"op": "replace", "path": "urn:custodian:params:scim:schemas:extension:team:2.0:Group:manager", "value": {"value": sam.to_string()}}]))),
    )
    .await;
    assert_eq!(status, 200, "an Administrator may");
    assert!(visible(&app, sam) > 0);
}

// S4: parallel attempts from one pending session cannot exceed the limit: each is counted
// before it is checked.
#[tokio::test]
async fn parallel_wrong_codes_and_passwords_stop_at_the_limit() {
    use custodian::auth::throttle::ACCOUNT_LIMIT;
    let app = spawn_app().await;
    let (x, token) = pending_second_step(&app).await;
    let attempts = (0..30).map(|i| {
        let (client, url, token) = (x.client.clone(), x.url("/login/two-factor"), token.clone());
        async move {
            let code = format!("{:06}", 100_000 + i);
            client.post(url).form(&[("csrf_token", token.as_str()), ("code", &code)]).send().await.unwrap().status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| s.as_u16() == 422).count();
    assert!(checked <= ACCOUNT_LIMIT as usize, "{checked} codes checked: {statuses:?}");
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("user.two_factor_failed"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert!(audited <= ACCOUNT_LIMIT as i64, "{audited} failures recorded");

    // Passwords: one address, one account, 30 at once.
    app.create_user("vic@example.com", Role::User);
    let y = app.browser_from(3);
    let token = csrf_token(&y.page("/login").await).unwrap();
    let attempts = (0..30).map(|i| {
        let (client, url, token) = (y.client.clone(), y.url("/login"), token.clone());
        async move {
            let password = format!("wrong-{i}");
            client
                .post(url)
                .form(&[("csrf_token", token.as_str()), ("email", "vic@example.com"), ("password", &password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| s.as_u16() == 422).count();
    assert!(checked <= ACCOUNT_LIMIT as usize, "{checked} passwords checked: {statuses:?}");
}

// S5 (password side): one email identity, no Unicode folding to ASCII: "admİn@…" is not the
// Administrator's address, whatever PostgreSQL's lower() makes of it.
#[tokio::test]
async fn an_address_that_folds_to_another_is_not_that_account() {
    let app = spawn_app().await;
    app.create_user("admin@example.com", Role::Administrator);
    let b = app.browser();
    let r = b.login("adm\u{130}n@example.com", TEST_PASSWORD).await;
    assert_eq!(r.status(), 422, "not signed in as admin@example.com");
    let r = b.login("ADMIN@example.com", TEST_PASSWORD).await;
    assert_eq!(r.status(), 303, "ASCII case still does not matter");
    assert!(custodian::accounts::find_by_email(&mut app.conn(), "\u{212a}@example.com").unwrap().is_none());
}

// S13: the AuthZEN metadata names this server, not whatever a client forwards.
#[tokio::test]
async fn forwarded_headers_from_untrusted_peers_are_ignored() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let v: Value = client
        .get(format!("{}/.well-known/authzen-configuration", app.address))
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .header("forwarded", "host=evil.example;proto=https")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pdp = v["policy_decision_point"].as_str().unwrap();
    assert_eq!(pdp, app.address, "{v}");
    assert!(v["access_evaluation_endpoint"].as_str().unwrap().starts_with(&app.address));
}

// S13 (configured): with PUBLIC_URL set, that is the identifier.
#[tokio::test]
async fn the_public_url_names_the_decision_point() {
    let app = spawn_app_with(TestDb::new(), None, |c| c.public_url = Some("https://crm.example.com".into())).await;
    let v: Value =
        reqwest::get(format!("{}/.well-known/authzen-configuration", app.address)).await.unwrap().json().await.unwrap();
    assert_eq!(v["policy_decision_point"], "https://crm.example.com");
    assert_eq!(v["access_evaluation_endpoint"], "https://crm.example.com/access/v1/evaluation");
}

// S14: a NUL in an imported file's header row is a plain refusal, never a 500.
#[tokio::test]
async fn a_control_character_in_an_import_header_is_refused_plainly() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let r = crate::imports::upload(&b, "Email,Na\0me\nx@example.com,A\n").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("control character"));
}

// S17: the user picker answers only those who name users somewhere.
#[tokio::test]
async fn the_user_picker_is_for_those_who_name_users() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let (_, operator) = app.signed_in("operator@example.com", Role::SendingOperator).await;
    assert_eq!(operator.get("/users/pick?q=a").await.status(), 403);
    let (_, manager) = app.signed_in("max@example.com", Role::Manager).await;
    let r = manager.get("/users/pick?q=a").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["users"].as_array().unwrap().iter().any(|u| u["email"] == "ada@example.com"));
}

// S16: a shared rule fired by an anonymous form post cannot lend its reach to another rule's
// access action: the Marketer's "form submitted → tag X" reaches the Manager's contact (tags
// are what shared rules may add), but the Administrator's "tag X → access group Finland"
// applies only where everyone behind the chain could give that access by hand.
#[tokio::test]
async fn authority_travels_along_a_chain_of_rules() {
    use crate::automation::{base, insert_rule, R};
    let app = spawn_app().await;
    let Chain { ada, admin, max, mia, known } = chain(&app).await;
    let mut c = app.conn();
    let email: Option<String> = custodian::db::schema::contacts::table
        .find(known)
        .select(custodian::db::schema::contacts::email)
        .first(&mut c)
        .unwrap();
    let finland = fixtures::group(&mut c, "Finland");
    let marketing = fixtures::team(&mut c, "Marketing", None, &[mia]);
    fixtures::grant(&mut c, finland, None, Some(marketing), "act");
    let (_, key) = crate::forms::make_form(&app, &admin, &[("name", "Leads"), ("enabled", "on")]).await;
    insert_rule(&mut c, R { tag: Some("x"), shared: true, ..base(mia, "form_submitted", "add_tag") });
    insert_rule(
        &mut c,
        R { trigger_tag: Some("x"), group: Some(finland), ..base(ada, "tag_added", "add_access_group") },
    );
    assert_eq!(visible(&app, mia), 0);
    let r = crate::forms::post(&app, &key, &[("email", &email.unwrap()), ("first_name", "Known")]).await;
    assert_eq!(r.status(), 200);
    let groups = groups_of(&mut c, known);
    assert_eq!(groups, 0, "the contact joined no group through the chain");
    assert_eq!(visible(&app, mia), 0, "the Marketer's card stays 404");
    let b = app.browser();
    assert_eq!(b.login("mia@example.com", TEST_PASSWORD).await.status(), 303);
    assert_eq!(b.get(&format!("/contacts/{known}")).await.status(), 404);

    // The same Administrator's rule still works for a tag someone who may give access adds.
    let other = fixtures::contact(&mut c, "Other", Some(max));
    let maxb = app.browser();
    assert_eq!(maxb.login("max@example.com", TEST_PASSWORD).await.status(), 303);
    let r = maxb.submit(&format!("/contacts/{other}"), &format!("/contacts/{other}/tags"), &[("add", "x")]).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let groups = groups_of(&mut c, other);
    assert_eq!(groups, 1, "the Administrator's rule applies where nobody borrowed authority");
}

// S18: an owner change racing a deletion of the same contact is never a 409 or a 500: both
// take the contact's row first, so one waits for the other.
#[tokio::test]
async fn owner_changes_racing_deletions_queue_instead_of_deadlocking() {
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let other = app.create_user("ola@example.com", Role::Salesperson);
    let mut c = app.conn();
    let ids: Vec<i64> = (0..40).map(|i| fixtures::contact(&mut c, &format!("Race {i}"), Some(ada))).collect();
    let token = csrf_token(&b.page("/").await).unwrap();
    let _ = other;
    let mut calls = Vec::new();
    for id in &ids {
        let (client, token) = (b.client.clone(), token.clone());
        let owners = b.url(&format!("/contacts/{id}/owners"));
        let delete = b.url(&format!("/contacts/{id}/delete"));
        calls.push(tokio::spawn(async move {
            let add = client.post(owners).form(&[
                ("csrf_token", token.as_str()),
                ("op", "add"),
                ("email", "ola@example.com"),
            ]);
            let del = client.post(delete).form(&[("csrf_token", token.as_str())]);
            let (a, d) = tokio::join!(add.send(), del.send());
            (a.unwrap().status().as_u16(), d.unwrap().status().as_u16())
        }));
    }
    for call in calls {
        let (a, d) = call.await.unwrap();
        assert!(a == 303 || a == 404, "owner change answered {a}");
        assert_eq!(d, 303, "delete answered {d}");
    }
}

// S16 (the chain itself): a rule's tag on a contact its owner may edit but not give access to
// starts the Administrator's access rule, which then applies only where the first owner could
// have given that access by hand too.
#[tokio::test]
async fn an_access_rule_down_a_chain_needs_everyone_before_it() {
    use crate::automation::{base, insert_rule, R};
    let app = spawn_app().await;
    let mut c = app.conn();
    let ada = create_user(&mut c, "ada@example.com", Role::Administrator);
    let (sam, b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let finland = fixtures::group(&mut c, "Finland");
    insert_rule(&mut c, R { tag: Some("x"), ..base(sam, "contact_created", "add_tag") });
    insert_rule(
        &mut c,
        R { trigger_tag: Some("x"), group: Some(finland), ..base(ada, "tag_added", "add_access_group") },
    );
    let r = b.submit("/contacts/new", "/contacts/new", &[("first_name", "Lea"), ("email", "lea@example.com")]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    let tags: Vec<String> = custodian::db::schema::contact_tags::table
        .filter(custodian::db::schema::contact_tags::contact_id.eq(id))
        .select(custodian::db::schema::contact_tags::tag)
        .load(&mut c)
        .unwrap();
    assert_eq!(tags, vec!["x"], "Sam's rule tagged her own contact");
    let groups = groups_of(&mut c, id);
    assert_eq!(groups, 0, "Sam may not give access to it by hand (no contacts.assign), so the chain may not either");
}

// Review of #26: a new password (or sign-in email) for someone else is a way into their
// account and its reach: a user manager who could not give that reach by hand may not set it;
// the details alone they may still change.
#[tokio::test]
async fn a_user_manager_cannot_take_over_an_account_that_reaches_more_than_they_could_give() {
    use crate::users::{details, save, wizard_id, NEW_PASSWORD};
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let (_, sid) = sales_with_contacts(&app, 2);
    let (uma, b) = app.signed_in("uma@example.com", Role::Salesperson).await;
    app.override_key(uma, "administration.users_manage", true);
    let base = format!("/users/{sid}/edit");
    let fields = [
        ("first_name", "Sid"),
        ("last_name", "S"),
        ("email", "sid@example.com"),
        ("password", NEW_PASSWORD),
        ("password_confirm", NEW_PASSWORD),
    ];
    let w = wizard_id(&location(&details(&b, &base, None, &fields, None).await));
    let r = save(&b, &base, &w).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("sign in as them"));
    assert_eq!(app.browser().login("sid@example.com", NEW_PASSWORD).await.status(), 422, "the password did not change");
    // The details alone: allowed.
    let fields = [("first_name", "Sidney"), ("last_name", "S"), ("email", "sid@example.com")];
    let w = wizard_id(&location(&details(&b, &base, None, &fields, None).await));
    assert_eq!(save(&b, &base, &w).await.status(), 303);
}

// Review of #26: a deleted user's automation rules and live segments act with their owner's
// or saver's authority; handed to the successor they are switched off, so nobody lends a rule
// the successor's reach by deleting its owner.
#[tokio::test]
async fn a_successor_gets_the_rules_and_segments_switched_off() {
    use crate::automation::{base, insert_rule, R};
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let mut c = app.conn();
    let x = create_user(&mut c, "x@example.com", Role::User);
    let rule = insert_rule(&mut c, R { tag: Some("t"), ..base(x, "contact_created", "add_tag") });
    let g = fixtures::group(&mut c, "G");
    diesel::sql_query(
        "INSERT INTO segments (name, tags, group_id, keep_applying, created_by, saved_by) VALUES ('S', '{t}', $1, true, $2, $2)",
    )
    .bind::<diesel::sql_types::BigInt, _>(g)
    .bind::<diesel::sql_types::BigInt, _>(x)
    .execute(&mut c)
    .unwrap();
    let r = b
        .submit(&format!("/users/{x}/delete"), &format!("/users/{x}/delete"), &[("successor", &ada.to_string())])
        .await;
    assert_eq!(r.status(), 303);
    let (owner, enabled): (i64, bool) = custodian::db::schema::automation_rules::table
        .find(rule)
        .select((custodian::db::schema::automation_rules::owner_id, custodian::db::schema::automation_rules::enabled))
        .first(&mut c)
        .unwrap();
    assert_eq!((owner, enabled), (ada, false));
    let (saver, live): (Option<i64>, bool) = custodian::db::schema::segments::table
        .select((custodian::db::schema::segments::saved_by, custodian::db::schema::segments::keep_applying))
        .first(&mut c)
        .unwrap();
    assert_eq!((saver, live), (Some(ada), false));
}

// Review of #26 (S4 across addresses): one pending sign-in replayed from many addresses gets no
// more guesses than the account's second step allows.
#[tokio::test]
async fn a_pending_sign_in_from_many_addresses_stops_at_the_accounts_limit() {
    use custodian::auth::throttle::SECOND_STEP_LIMIT;
    let app = spawn_app().await;
    let (x, token) = pending_second_step(&app).await;
    let mut statuses = Vec::new();
    for n in 2..8u8 {
        // Another machine with the same session cookie.
        let client = reqwest::Client::builder()
            .cookie_provider(x.jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .local_address(Some(std::net::IpAddr::from([127, 0, 0, n])))
            .build()
            .unwrap();
        for i in 0..5 {
            let code = format!("{:06}", 200_000 + u32::from(n) * 10 + i);
            let r = client
                .post(x.url("/login/two-factor"))
                .form(&[("csrf_token", token.as_str()), ("code", &code)])
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
    }
    let checked = statuses.iter().filter(|s| **s == 422).count();
    assert!(checked <= SECOND_STEP_LIMIT as usize, "{checked} codes checked: {statuses:?}");
    assert!(statuses.contains(&429));
}

// Review of #26 (S16 through a segment): the tag a shared rule adds beyond its owner's reach is
// lent, and an Administrator's live segment "tag x → Finland" does not count it, however many
// events follow.
#[tokio::test]
async fn a_lent_tag_starts_no_segment() {
    use crate::automation::{base, insert_rule, R};
    let app = spawn_app().await;
    let Chain { ada, admin, max, mia, known } = chain(&app).await;
    let mut c = app.conn();
    let finland = fixtures::group(&mut c, "Finland");
    diesel::sql_query(
        "INSERT INTO segments (name, tags, group_id, keep_applying, created_by, saved_by) VALUES ('X', '{x}', $1, true, $2, $2)",
    )
    .bind::<diesel::sql_types::BigInt, _>(finland)
    .bind::<diesel::sql_types::BigInt, _>(ada)
    .execute(&mut c)
    .unwrap();
    let (_, key) = crate::forms::make_form(&app, &admin, &[("name", "Leads"), ("enabled", "on")]).await;
    insert_rule(&mut c, R { tag: Some("x"), shared: true, ..base(mia, "form_submitted", "add_tag") });
    for _ in 0..2 {
        let r = crate::forms::post(&app, &key, &[("email", "known@contacts.test"), ("first_name", "Known")]).await;
        assert_eq!(r.status(), 200);
    }
    let lent: Vec<bool> = custodian::db::schema::contact_tags::table
        .filter(custodian::db::schema::contact_tags::contact_id.eq(known))
        .select(custodian::db::schema::contact_tags::lent)
        .load(&mut c)
        .unwrap();
    assert_eq!(lent, vec![true], "tagged, as a shared rule may, but lent");
    let groups = groups_of(&mut c, known);
    assert_eq!(groups, 0, "the segment did not count the lent tag");
    // The same tag added by its Manager, by hand, on another contact: the segment applies.
    let other = fixtures::contact(&mut c, "Other", Some(max));
    let maxb = app.browser();
    assert_eq!(maxb.login("max@example.com", TEST_PASSWORD).await.status(), 303);
    let r = maxb.submit(&format!("/contacts/{other}"), &format!("/contacts/{other}/tags"), &[("add", "x")]).await;
    assert!(r.status().is_redirection());
    let groups = groups_of(&mut c, other);
    assert_eq!(groups, 1);
}

// Review of #26: an import matches a row's email to a contact the way the contacts' unique index
// does (PostgreSQL's lower()): "admİn@…" finds the hidden "admin@…" contact and is refused like
// any hidden contact's row, instead of failing the whole job on the index (which told the
// importer such a contact exists).
#[tokio::test]
async fn an_import_row_folding_onto_a_hidden_contact_is_refused_like_any_hidden_one() {
    let app = spawn_app().await;
    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let max = app.create_user("max@example.com", Role::Manager);
    diesel::sql_query("INSERT INTO contacts (first_name, email, main_owner_id) VALUES ('Hidden', 'admin@xi.test', $1)")
        .bind::<diesel::sql_types::BigInt, _>(max)
        .execute(&mut app.conn())
        .unwrap();
    let csv = "Email;First name\nadmin@x\u{130}.test;Eve\nnew@x.test;New\n";
    let fields = [("map_0", "email"), ("map_1", "first_name"), ("dedup", "update"), ("hidden_ok", "1")];
    let id = crate::imports::import(&app, &mia, csv, &fields).await;
    let rejects = crate::imports::rejects(&app, id);
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert!(rejects[0].1.contains(custodian::imports::run::UNUSABLE), "{rejects:?}");
}

/// Issue #27: the commands moved out of the screens refuse by themselves, whoever calls them
/// (a screen pre-checks too; these call the domain directly, as a future entry point would).
#[tokio::test]
async fn the_commands_moved_below_web_refuse_by_themselves() {
    use custodian::access::{facts, Denied};
    use custodian::audit::Actor;
    let app = spawn_app().await;
    let mut c = app.conn();
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let mia = app.create_user("mia@example.com", Role::Marketer);
    let subject = |c: &mut PgConnection, id: i64| facts::subject(c, id).unwrap().unwrap();
    let (sam_s, mia_s) = (subject(&mut c, sam), subject(&mut c, mia));
    let actor = |id: i64| Actor { id, ip: None, via: None };
    let refused = |r: Result<(), Denied>| matches!(r, Err(Denied::Forbidden(_)));
    // The audit log, its page and its export, needs audit_view.
    let f = custodian::audit::query::Filters::default();
    assert!(refused(custodian::audit::read::page(&mut c, &mia_s, &f, None, 10).map(|_| ())));
    assert!(matches!(
        custodian::audit::read::export(&mut c, &actor(mia), &mia_s, &f),
        Err(custodian::audit::read::ExportError::Denied(Denied::Forbidden(_)))
    ));
    // Comparing users needs the user directory; a Marketer may compare presets only.
    use custodian::presets::compare::{compare, Pick, Request};
    let users = Request { a: Some(Pick::User(sam)), b: Some(Pick::User(mia)), a_user: None, b_user: None };
    assert!(refused(compare(&mut c, &mia_s, users).map(|_| ())));
    let by_email = Request { a: None, b: None, a_user: Some("sam@example.com".into()), b_user: None };
    assert!(refused(compare(&mut c, &mia_s, by_email).map(|_| ())));
    // Public forms are made by holders of administration.settings.
    let input = custodian::public_forms::Input { name: "Mine".into(), enabled: true, ..Default::default() };
    assert!(refused(custodian::public_forms::save(&mut c, &actor(mia), &mia_s, None, &input).map(|_| ())));
    // Export needs contacts.export (a Salesperson lacks it); nothing is recorded.
    let filters = custodian::contacts::selection::Filters::default();
    assert!(refused(custodian::contacts::export::begin(&mut c, &actor(sam), &sam_s, &filters)));
    let exports: i64 =
        audit_log::table.filter(audit_log::action.eq("contact.export")).count().get_result(&mut c).unwrap();
    assert_eq!(exports, 0);
    // An import is started by its own uploader, holding contacts.import: someone else's job is
    // not found, and without the permission nothing starts.
    let file = std::env::temp_dir().join(format!("custodian-ep-{}.csv", rand::random::<u64>()));
    std::fs::write(&file, "email\na@example.com\n").unwrap();
    let job = custodian::imports::job::create(&mut c, mia, &file, "a.csv").unwrap().unwrap();
    let _ = std::fs::remove_file(&file);
    let choices = custodian::imports::options::Choices::first(&["email".into()], "mia@example.com");
    use custodian::imports::options::{start, StartError};
    assert!(matches!(
        start(&mut c, &sam_s, "sam@example.com", job, &choices),
        Err(StartError::Denied(Denied::Forbidden(_)))
    ));
    let uma = app.create_user("uma@example.com", Role::User);
    let uma_s = subject(&mut c, uma);
    assert!(matches!(
        start(&mut c, &uma_s, "uma@example.com", job, &choices),
        Err(StartError::Denied(Denied::NotFound))
    ));
    let status: String = custodian::db::schema::import_jobs::table
        .find(job)
        .select(custodian::db::schema::import_jobs::status)
        .first(&mut c)
        .unwrap();
    assert_eq!(status, "uploaded", "nothing started");
}
