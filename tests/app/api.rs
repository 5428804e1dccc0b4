//! The authorization API (SPEC 7): tokens made on the screen, bearer authentication, the
//! permissions list and the check endpoint, JSON errors.

use crate::helpers::*;
use custodian::db::schema::{api_tokens, audit_log};
use custodian::permissions::{store, Role};
use diesel::prelude::*;
use serde_json::{json, Value};

/// Creates a token on the /api-tokens screen as `b`; returns (id, token).
async fn new_token(app: &TestApp, b: &Browser, name: &str) -> (i64, String) {
    let r = b.submit("/api-tokens", "/api-tokens", &[("name", name), ("scope", "authorization")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let token = html
        .split("<code class=\"token-value\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("token shown after creation")
        .to_string();
    let id = api_tokens::table.filter(api_tokens::name.eq(name)).select(api_tokens::id).first(&mut app.conn()).unwrap();
    (id, token)
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{}{path}", app.address)).bearer_auth(token).send().await.unwrap()
}

async fn check(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/check", app.address))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Status and JSON body; the body must be JSON whatever the status.
async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(ct.starts_with("application/json"), "status {status}: content-type {ct}");
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn a_token_made_on_the_screen_works_is_shown_once_and_stored_hashed() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (id, token) = new_token(&app, &b, "ERP").await;
    assert!(token.starts_with("cst_") && token.len() > 30, "{token}");
    let stored: String = api_tokens::table.find(id).select(api_tokens::token_hash).first(&mut app.conn()).unwrap();
    assert_eq!(stored, custodian::api_tokens::hash(&token));
    assert_ne!(stored, token);
    let list = b.page("/api-tokens").await;
    assert!(list.contains("ERP") && !list.contains(&token), "the token is shown only once");

    let (status, body) = json_of(get(&app, &token, &format!("/api/v1/users/{admin}/permissions")).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], admin);
    let used: Option<chrono::DateTime<chrono::Utc>> =
        api_tokens::table.find(id).select(api_tokens::last_used_at).first(&mut app.conn()).unwrap();
    assert!(used.is_some(), "last use is recorded");
    // A second call within the minute does not write again.
    get(&app, &token, &format!("/api/v1/users/{admin}/permissions")).await;
    let again: Option<chrono::DateTime<chrono::Utc>> =
        api_tokens::table.find(id).select(api_tokens::last_used_at).first(&mut app.conn()).unwrap();
    assert_eq!(used, again);

    let create: Option<Value> = audit_log::table
        .filter(audit_log::action.eq("api_token.create"))
        .select(audit_log::after)
        .first(&mut app.conn())
        .unwrap();
    let create = create.unwrap().to_string();
    assert!(create.contains("ERP") && !create.contains(&token) && !create.contains(&stored), "{create}");
    let r = b.submit("/api-tokens", "/api-tokens", &[("name", "  ")]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(api_tokens::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 1);
}

#[tokio::test]
async fn revoked_garbage_and_missing_tokens_get_401_json() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (id, token) = new_token(&app, &b, "ERP").await;
    let path = format!("/api/v1/users/{admin}/permissions");
    assert_eq!(get(&app, &token, &path).await.status(), 200);

    let r = b.submit("/api-tokens", &format!("/api-tokens/{id}/revoke"), &[]).await;
    assert_eq!(r.status(), 303);
    let revoked: Option<chrono::DateTime<chrono::Utc>> =
        api_tokens::table.find(id).select(api_tokens::revoked_at).first(&mut app.conn()).unwrap();
    assert!(revoked.is_some());
    let actions: Vec<String> = audit_log::table
        .filter(audit_log::object_type.eq("api_token"))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(actions, ["api_token.create", "api_token.revoke"]);

    let (status, body) = json_of(get(&app, &token, &path).await).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid or revoked token"));
    let (status, _) = json_of(get(&app, "cst_garbage", &path).await).await;
    assert_eq!(status, 401);
    let (status, _) =
        json_of(check(&app, "nonsense", json!({"user_id": admin, "permission": "email.send"})).await).await;
    assert_eq!(status, 401);
    let r = reqwest::Client::new().get(format!("{}{path}", app.address)).send().await.unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(json_of(r).await.0, 401);
    let r = reqwest::Client::new()
        .get(format!("{}{path}", app.address))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(r).await.0, 401);
}

#[tokio::test]
async fn permissions_endpoint_returns_exactly_the_effective_keys() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, token) = new_token(&app, &b, "ERP").await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    // A per-user grant and revoke on top of the preset.
    diesel::sql_query(format!(
        "INSERT INTO user_overrides (user_id, perm_key, granted) VALUES ({sam}, 'tests.ab_messages', true), ({sam}, 'email.send', false)"
    ))
    .execute(&mut app.conn())
    .unwrap();
    let (status, body) = json_of(get(&app, &token, &format!("/api/v1/users/{sam}/permissions")).await).await;
    assert_eq!(status, 200);
    let keys: Vec<String> =
        body["permissions"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
    let expected: Vec<String> =
        store::effective_of(&mut app.conn(), sam).unwrap().keys().into_iter().map(String::from).collect();
    assert_eq!(keys, expected);
    assert!(keys.contains(&"tests.ab_messages".to_string()) && !keys.contains(&"email.send".to_string()));
    assert_eq!((body["role"].as_str(), body["status"].as_str()), (Some("salesperson"), Some("active")));

    diesel::sql_query(format!("UPDATE users SET status = 'deactivated' WHERE id = {sam}"))
        .execute(&mut app.conn())
        .unwrap();
    let (_, body) = json_of(get(&app, &token, &format!("/api/v1/users/{sam}/permissions")).await).await;
    assert_eq!(body["permissions"], json!([]));
    assert_eq!(body["status"], "deactivated");

    let (status, body) = json_of(get(&app, &token, "/api/v1/users/999999/permissions").await).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(json_of(get(&app, &token, "/api/v1/users/abc/permissions").await).await.0, 404);
}

#[tokio::test]
async fn check_endpoint_allows_and_denies_with_reasons() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, token) = new_token(&app, &b, "ERP").await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    diesel::sql_query(format!(
        "INSERT INTO user_overrides (user_id, perm_key, granted) VALUES ({sam}, 'tests.ab_messages', true), ({sam}, 'templates.view', false)"
    ))
    .execute(&mut app.conn())
    .unwrap();
    let ask = |perm: &str| json!({"user_id": sam, "permission": perm});

    let (status, body) = json_of(check(&app, &token, ask("email.send")).await).await;
    assert_eq!(status, 200);
    assert_eq!((body["allowed"].as_bool(), body["level"].clone()), (Some(true), Value::Null));
    assert!(body["reason"].as_str().unwrap().contains("preset Salesperson"), "{body}");
    let (_, body) = json_of(check(&app, &token, ask("tests.ab_messages")).await).await;
    assert_eq!(body["allowed"], true);
    assert!(body["reason"].as_str().unwrap().contains("per-user grant"), "{body}");
    let (_, body) = json_of(check(&app, &token, ask("templates.view")).await).await;
    assert_eq!(body["allowed"], false);
    assert!(body["reason"].as_str().unwrap().contains("revoked"), "{body}");
    let (_, body) = json_of(check(&app, &token, ask("campaigns.create")).await).await;
    assert_eq!(body["allowed"], false);
    assert!(body["reason"].as_str().unwrap().contains("does not hold campaigns.create"), "{body}");

    diesel::sql_query(format!("UPDATE users SET disable_export = true WHERE id = {sam}"))
        .execute(&mut app.conn())
        .unwrap();
    diesel::sql_query(format!("INSERT INTO user_overrides VALUES ({sam}, 'contacts.export', true)"))
        .execute(&mut app.conn())
        .unwrap();
    let (_, body) = json_of(check(&app, &token, ask("contacts.export")).await).await;
    assert_eq!(body["allowed"], false);
    assert!(body["reason"].as_str().unwrap().contains("export is disabled"), "{body}");

    diesel::sql_query(format!("UPDATE users SET status = 'deleted' WHERE id = {sam}"))
        .execute(&mut app.conn())
        .unwrap();
    let (_, body) = json_of(check(&app, &token, ask("email.send")).await).await;
    assert_eq!(body["allowed"], false);
    assert!(body["reason"].as_str().unwrap().contains("deleted"), "{body}");
}

#[tokio::test]
async fn check_endpoint_rejects_bad_requests_with_json_errors() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, token) = new_token(&app, &b, "ERP").await;
    let (status, body) =
        json_of(check(&app, &token, json!({"user_id": 999999, "permission": "email.send"})).await).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = json_of(check(&app, &token, json!({"user_id": admin, "permission": "email.fly"})).await).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("unknown permission"), "{body}");
    let (status, _) = json_of(check(&app, &token, json!({"permission": "email.send"})).await).await;
    assert_eq!(status, 400);
    let (status, _) = json_of(check(&app, &token, json!({"user_id": "one", "permission": "email.send"})).await).await;
    assert_eq!(status, 400);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/check", app.address))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().starts_with("malformed request body"), "{body}");
    let (status, _) = json_of(get(&app, &token, "/api/v1/check").await).await;
    assert_eq!(status, 404, "wrong method: JSON 404");
    let (status, _) = json_of(get(&app, &token, "/api/v2/nothing").await).await;
    assert_eq!(status, 404);
    // A contact that does not exist: JSON 404.
    let (status, body) = json_of(
        check(&app, &token, json!({"user_id": admin, "permission": "contacts.view", "contact_id": 987654})).await,
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn check_endpoint_answers_for_a_contact_with_level_and_reason() {
    use crate::fixtures::{co_owner, contact};
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, token) = new_token(&app, &admin, "crm").await;
    let owner = app.create_user("owner@example.com", Role::Salesperson);
    let reader = app.create_user("reader@example.com", Role::Salesperson);
    let stranger = app.create_user("stranger@example.com", Role::Salesperson);
    let id = contact(&mut app.conn(), "Apied", Some(owner));
    co_owner(&mut app.conn(), id, reader, true);
    let ask = |user: i64, perm: &str| json!({"user_id": user, "permission": perm, "contact_id": id});
    let (status, body) = json_of(check(&app, &token, ask(owner, "email.send")).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["allowed"], true, "{body}");
    assert_eq!(body["level"], "act");
    assert!(body["reason"].as_str().unwrap().contains("is the main owner"), "{body}");
    let (_, body) = json_of(check(&app, &token, ask(reader, "contacts.view")).await).await;
    assert_eq!((body["allowed"].clone(), body["level"].clone()), (json!(true), json!("view")));
    let (_, body) = json_of(check(&app, &token, ask(reader, "contacts.edit")).await).await;
    assert_eq!(body["allowed"], false);
    assert!(body["reason"].as_str().unwrap().contains("edit is needed"), "{body}");
    let (_, body) = json_of(check(&app, &token, ask(stranger, "contacts.view")).await).await;
    assert_eq!((body["allowed"].clone(), body["level"].clone()), (json!(false), json!("none")));
    assert!(body["reason"].as_str().unwrap().contains("no ownership, team or access-group rule"), "{body}");
    // A Salesperson lacks sms.send: refused whatever the level.
    let (_, body) = json_of(check(&app, &token, ask(owner, "sms.send")).await).await;
    assert_eq!(body["allowed"], false);
    assert!(body["reason"].as_str().unwrap().contains("lacks the permission sms.send"), "{body}");
}

/// Issue #12: tokens carry scopes. A provisioning-only token is refused (403) by the
/// authorization API; a token must be for something.
#[tokio::test]
async fn a_token_is_made_for_chosen_scopes_and_refused_elsewhere() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let r = admin.submit("/api-tokens", "/api-tokens", &[("name", "Nothing")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Choose what the token is for."));
    let r = admin.submit("/api-tokens", "/api-tokens", &[("name", "Okta"), ("scope", "scim")]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let token = html.split("<code class=\"token-value\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert!(html.contains("<td>scim</td>"));
    let (status, body) = json_of(check(&app, &token, json!({"user_id": 1, "permission": "contacts.view"})).await).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("not for"));
    let r = reqwest::Client::new()
        .post(format!("{}/access/v1/evaluation", app.address))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Both scopes: the authorization API answers.
    let r = admin
        .submit("/api-tokens", "/api-tokens", &[("name", "Both"), ("scope", "authorization"), ("scope", "scim")])
        .await;
    let html = r.text().await.unwrap();
    let both = html.split("<code class=\"token-value\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(json_of(check(&app, &both, json!({"user_id": 1, "permission": "contacts.view"})).await).await.0, 200);
}
