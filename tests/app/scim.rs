//! Issue #12 (first slice): SCIM 2.0 Users over HTTP with a provisioning token — discovery,
//! create, read, filter and page, replace, patch, delete — and each refusal as an RFC 7644
//! error: scope, escalation, own account, reused email, bad phone, malformed filter and PATCH,
//! unknown attribute, wrong media type, oversized body. Nothing is half-applied.

use crate::helpers::*;
use custodian::api_tokens::Scope;
use custodian::db::schema::{audit_log, users};
use custodian::permissions::Role;
use diesel::prelude::*;
use serde_json::{json, Value};

pub(crate) struct Scim {
    pub(crate) app: TestApp,
    pub(crate) token: String,
    pub(crate) admin: i64,
}

pub(crate) async fn scim() -> Scim {
    let app = spawn_app().await;
    let admin = app.create_user("ada@example.com", Role::Administrator);
    let (_, token) = custodian::api_tokens::create(&mut app.conn(), "Okta", admin, &[Scope::Scim]).unwrap();
    Scim { app, token, admin }
}

/// One SCIM call with `token`; the status and the body (which must be `application/scim+json`).
pub(crate) async fn call_as(
    address: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(method, format!("{address}/scim/v2{path}")).bearer_auth(token);
    if let Some(b) = body {
        r = r.header("content-type", "application/scim+json").body(b.to_string());
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    if status != 204 {
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(ct, "application/scim+json", "{path}: {status}");
    }
    let text = r.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

pub(crate) fn patch_op(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

impl Scim {
    pub(crate) async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        call_as(&self.app.address, &self.token, method, path, body).await
    }
    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
    pub(crate) async fn post(&self, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, "/Users", Some(body)).await
    }
    pub(crate) async fn patch(&self, id: &str, ops: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, &format!("/Users/{id}"), Some(patch_op(ops))).await
    }
}

pub(crate) fn new_user(email: &str, role: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email, "externalId": format!("okta-{email}"),
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "phoneNumbers": [{"value": "+48 600 700 800", "type": "work"}],
        "roles": [{"value": role, "primary": true}],
        "active": true
    })
}

pub(crate) fn scim_error(v: &Value, scim_type: Option<&str>) {
    assert_eq!(v["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{v}");
    if let Some(t) = scim_type {
        assert_eq!(v["scimType"], t, "{v}");
    }
}

#[tokio::test]
async fn discovery_and_tokens_of_the_wrong_scope() {
    let s = scim().await;
    let (status, spc) = s.get("/ServiceProviderConfig").await;
    assert_eq!(status, 200);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["filter"]["maxResults"], 200);
    let (_, types) = s.get("/ResourceTypes").await;
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");
    let (_, schemas) = s.get("/Schemas").await;
    assert_eq!(schemas["Resources"][0]["id"], "urn:ietf:params:scim:schemas:core:2.0:User");

    let (_, authz) = custodian::api_tokens::create(&mut s.app.conn(), "ERP", s.admin, &[Scope::Authorization]).unwrap();
    let r = reqwest::Client::new()
        .get(format!("{}/scim/v2/Users", s.app.address))
        .bearer_auth(&authz)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    scim_error(&r.json().await.unwrap(), None);
    let r = reqwest::Client::new().get(format!("{}/scim/v2/Users", s.app.address)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn create_read_filter_page_replace_patch_and_delete() {
    let s = scim().await;
    let (status, grace) = s.post(new_user("grace@example.com", "salesperson")).await;
    assert_eq!(status, 201, "{grace}");
    let id = grace["id"].as_str().unwrap().to_string();
    assert_eq!(grace["userName"], "grace@example.com");
    assert_eq!(grace["phoneNumbers"][0]["value"], "+48600700800", "stored E.164");
    assert_eq!(grace["roles"][0]["value"], "salesperson");
    assert_eq!(grace["externalId"], "okta-grace@example.com");
    assert!(grace["meta"]["location"].as_str().unwrap().ends_with(&format!("/scim/v2/Users/{id}")));
    let uid: i64 = id.parse().unwrap();
    let sources = custodian::permissions::store::sources(&mut s.app.conn(), uid).unwrap();
    assert_eq!(sources.effective(), Role::Salesperson.default_permissions(), "the role's system preset");
    let actor: Option<i64> = audit_log::table
        .filter(audit_log::action.eq("user.create"))
        .filter(audit_log::object_id.eq(&id))
        .select(audit_log::actor_id)
        .first(&mut s.app.conn())
        .unwrap();
    assert_eq!(actor, Some(s.admin), "audited as the token's creator");
    // No role: the default, User.
    let (_, linus) = s.post(json!({"userName": "linus@example.com", "name": {"familyName": "Torvalds"}})).await;
    assert_eq!(linus["roles"][0]["value"], "user");

    let (_, got) = s.get(&format!("/Users/{id}")).await;
    assert_eq!(got, grace);
    let (status, _) = s.get("/Users/999999").await;
    assert_eq!(status, 404);

    // Filters, paging and attributes.
    let ids = |v: &Value| -> Vec<String> {
        v["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap().to_string()).collect()
    };
    for (f, expected) in [
        ("userName eq \"GRACE@example.com\"", vec!["grace@example.com"]),
        ("emails.value co \"linus\"", vec!["linus@example.com"]),
        ("externalId eq \"okta-grace@example.com\"", vec!["grace@example.com"]),
        ("name.familyName sw \"torv\"", vec!["linus@example.com"]),
        ("userName pr and active eq true", vec!["ada@example.com", "grace@example.com", "linus@example.com"]),
        (
            "userName eq \"grace@example.com\" or userName eq \"linus@example.com\"",
            vec!["grace@example.com", "linus@example.com"],
        ),
    ] {
        let (status, v) = s.get(&format!("/Users?filter={}", urlencode(f))).await;
        assert_eq!(status, 200, "{f}");
        assert_eq!(ids(&v), expected, "{f}");
        assert_eq!(v["totalResults"], expected.len(), "{f}");
    }
    let (_, page) = s.get("/Users?startIndex=2&count=1&attributes=userName").await;
    assert_eq!(
        (page["totalResults"].as_u64(), page["itemsPerPage"].as_u64(), page["startIndex"].as_u64()),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(ids(&page), ["grace@example.com"]);
    assert!(page["Resources"][0].get("name").is_none(), "only the attributes asked for");
    assert!(page["Resources"][0].get("id").is_some(), "id always");
    let (status, bad) = s.get(&format!("/Users?filter={}", urlencode("userName eq"))).await;
    assert_eq!(status, 400);
    scim_error(&bad, Some("invalidFilter"));

    // PATCH with a path, and without one.
    let (status, p) =
        s.patch(&id, json!([{"op": "replace", "path": "name.familyName", "value": "Murray Hopper"}])).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["name"]["familyName"], "Murray Hopper");
    let (status, p) = s.patch(&id, json!([{"op": "replace", "value": {"active": false}}])).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["active"], false);
    let status: String = users::table.find(uid).select(users::status).first(&mut s.app.conn()).unwrap();
    assert_eq!(status, "deactivated");
    let (_, p) = s.patch(&id, json!([{"op": "replace", "path": "active", "value": true}])).await;
    assert_eq!(p["active"], true);

    // PUT replaces the whole resource.
    let mut put = new_user("grace.hopper@example.com", "marketer");
    put["phoneNumbers"] = json!([]);
    let (status, r) = s.call(reqwest::Method::PUT, &format!("/Users/{id}"), Some(put)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["userName"], "grace.hopper@example.com");
    assert_eq!(r["roles"][0]["value"], "marketer");
    assert!(r.get("phoneNumbers").is_none(), "the phone left out is cleared");

    // DELETE deactivates: nothing the user owns is lost.
    let (status, _) = s.call(reqwest::Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 204);
    let status: String = users::table.find(uid).select(users::status).first(&mut s.app.conn()).unwrap();
    assert_eq!(status, "deactivated");
}

fn urlencode(s: &str) -> String {
    custodian::web::urls::url_encode(s)
}

#[tokio::test]
async fn refusals_are_scim_errors_and_change_nothing() {
    let s = scim().await;
    let before = || -> i64 { users::table.count().get_result(&mut s.app.conn()).unwrap() };
    let n = before();
    let (status, e) = s.post(new_user("ada@example.com", "user")).await;
    assert_eq!(status, 409);
    scim_error(&e, Some("uniqueness"));
    let mut bad_phone = new_user("phone@example.com", "user");
    bad_phone["phoneNumbers"] = json!([{"value": "600 700 800"}]);
    let (status, e) = s.post(bad_phone).await;
    assert_eq!(status, 400);
    scim_error(&e, Some("invalidValue"));
    assert!(e["detail"].as_str().unwrap().contains("country code"));
    let (status, e) = s.post(new_user("role@example.com", "emperor")).await;
    assert_eq!(status, 400);
    scim_error(&e, Some("invalidValue"));
    let mut unknown = new_user("unknown@example.com", "user");
    unknown["favouriteColour"] = json!("blue");
    let (status, e) = s.post(unknown).await;
    assert_eq!(status, 400);
    scim_error(&e, Some("invalidPath"));
    assert_eq!(before(), n, "nothing created");

    // The creator cannot deactivate themselves through the token.
    let (status, e) = s.patch(&s.admin.to_string(), json!([{"op": "replace", "path": "active", "value": false}])).await;
    assert_eq!(status, 403, "{e}");
    let (status, e) = s.patch(&s.admin.to_string(), json!({"not": "a list"})).await;
    assert_eq!(status, 400);
    scim_error(&e, Some("invalidSyntax"));
    let (status, _) = s.patch(&s.admin.to_string(), json!([{"op": "explode", "path": "active"}])).await;
    assert_eq!(status, 400);

    // Media type and size.
    let r = reqwest::Client::new()
        .post(format!("{}/scim/v2/Users", s.app.address))
        .bearer_auth(&s.token)
        .header("content-type", "text/plain")
        .body(new_user("x@example.com", "user").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let huge = json!({"userName": "big@example.com", "name": {"givenName": "x".repeat(3_000_000)}});
    let r = reqwest::Client::new()
        .post(format!("{}/scim/v2/Users", s.app.address))
        .bearer_auth(&s.token)
        .header("content-type", "application/scim+json")
        .body(huge.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/scim+json");
    assert_eq!(before(), n);
}

/// A token made by a user manager who is not an Administrator: provisioning can do no more
/// than they could on the screens.
#[tokio::test]
async fn a_token_acts_with_its_creators_authority() {
    let s = scim().await;
    let boss = s.app.create_user("boss@example.com", Role::Manager);
    s.app.override_key(boss, "administration.users_manage", true);
    let (_, token) = custodian::api_tokens::create(&mut s.app.conn(), "HR", boss, &[Scope::Scim]).unwrap();
    let a = s.app.address.clone();
    let (status, e) =
        call_as(&a, &token, reqwest::Method::POST, "/Users", Some(new_user("root@example.com", "administrator"))).await;
    assert_eq!(status, 403, "{e}");
    scim_error(&e, None);
    let path = format!("/Users/{}", s.admin);
    let ops = patch_op(json!([{"op": "replace", "path": "active", "value": false}]));
    let (status, e) = call_as(&a, &token, reqwest::Method::PATCH, &path, Some(ops)).await;
    assert_eq!(status, 403, "a manager cannot deactivate an Administrator: {e}");
    let active: String = users::table.find(s.admin).select(users::status).first(&mut s.app.conn()).unwrap();
    assert_eq!(active, "active");
}

/// The provisioning page: the base URL, the token, the default role, and the events, each
/// audited as coming through the token.
#[tokio::test]
async fn the_provisioning_page_and_the_default_role() {
    let s = scim().await;
    let b = s.app.browser();
    b.login("ada@example.com", TEST_PASSWORD).await;
    let html = b.page("/settings/provisioning").await;
    assert!(html.contains(&format!("{}/scim/v2", s.app.address)));
    assert!(html.contains("<span class=\"tag\">Okta</span>"));
    let r = b.submit("/settings/provisioning", "/settings/provisioning", &[("default_role", "administrator")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Only an Administrator makes Administrators"), "beside the field");
    b.submit("/settings/provisioning", "/settings/provisioning", &[("default_role", "salesperson")]).await;
    let (status, v) = s.post(json!({"userName": "newbie@example.com"})).await;
    assert_eq!(status, 201);
    assert_eq!(v["roles"][0]["value"], "salesperson", "the default role");
    let via: Option<String> = audit_log::table
        .filter(audit_log::action.eq("user.create"))
        .filter(audit_log::object_id.eq(v["id"].as_str().unwrap()))
        .select(audit_log::via)
        .first(&mut s.app.conn())
        .unwrap();
    assert_eq!(via.as_deref(), Some("SCIM token Okta"));
    let page = b.page("/settings/provisioning").await;
    assert!(page.contains("SCIM token Okta (acting for ada@example.com)"), "the events list");
    let card = b.page(&format!("/users/{}", v["id"].as_str().unwrap())).await;
    assert!(card.contains("SCIM token Okta"), "the user's card history says where the change came from");
    // Not for users without administration.settings.
    let (_, sam) = s.app.signed_in("sam@example.com", Role::Salesperson).await;
    assert_eq!(sam.get("/settings/provisioning").await.status(), 403);
}
