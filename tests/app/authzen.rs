//! Issue #13: the AuthZEN Authorization API 1.0 over HTTP with a bearer token. Decisions equal
//! `/api/v1/check` and the card's explainer on every path of SPEC 3; batches follow the three
//! `evaluations_semantic` options; searches page in a stable order; transport as the
//! specification requires (X-Request-ID, 400 for missing parts, 401 with WWW-Authenticate).

use crate::fixtures::*;
use crate::helpers::*;
use custodian::db::schema::users;
use custodian::permissions::Role;
use diesel::prelude::*;
use serde_json::{json, Value};

struct Api {
    app: TestApp,
    token: String,
    admin: Browser,
}

async fn api() -> Api {
    let app = spawn_app().await;
    let (admin_id, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, token) = custodian::api_tokens::create(
        &mut app.conn(),
        "authzen tests",
        admin_id,
        &[custodian::api_tokens::Scope::Authorization],
    )
    .unwrap();
    Api { app, token, admin }
}

impl Api {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.app.address))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    async fn evaluate(&self, user: i64, action: &str, contact: i64) -> Value {
        let (status, body) = self
            .post(
                "/access/v1/evaluation",
                json!({"subject": {"type": "user", "id": user.to_string()}, "action": {"name": action},
                       "resource": {"type": "contact", "id": contact.to_string()}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn v1_check(&self, user: i64, action: &str, contact: i64) -> Value {
        let (status, body) =
            self.post("/api/v1/check", json!({"user_id": user, "permission": action, "contact_id": contact})).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The level the card's explainer shows for `email` on `contact`.
    async fn explainer_level(&self, contact: i64, email: &str) -> String {
        let html = self.admin.page(&format!("/contacts/{contact}?why={email}")).await;
        let at = html.find("level <strong data-level=\"").expect("the explainer answered")
            + "level <strong data-level=\"".len();
        html[at..].split('"').next().unwrap().to_string()
    }
}

#[tokio::test]
async fn every_path_of_spec_3_decides_as_the_v1_check_and_the_explainer() {
    let a = api().await;
    let mut c = a.app.conn();
    let sam = a.app.create_user("sam@example.com", Role::Salesperson);
    let co = a.app.create_user("co@example.com", Role::Salesperson);
    let ro = a.app.create_user("ro@example.com", Role::Salesperson);
    let boss = a.app.create_user("boss@example.com", Role::Manager);
    let granted = a.app.create_user("granted@example.com", Role::Salesperson);
    let all = a.app.create_user("all@example.com", Role::Salesperson);
    a.app.override_key(all, "contacts.all", true);
    let owned_only = a.app.create_user("owned@example.com", Role::Salesperson);
    a.app.override_key(owned_only, "contacts.all", true);
    set_only_owned(&mut c, owned_only);
    let gone = a.app.create_user("gone@example.com", Role::Salesperson);
    let nobody = a.app.create_user("nobody@example.com", Role::Salesperson);

    let plain = contact(&mut c, "Plain", Some(sam));
    co_owner(&mut c, plain, co, false);
    co_owner(&mut c, plain, ro, true);
    team(&mut c, "North", Some(boss), &[sam]);
    let g = group(&mut c, "Partners");
    grant(&mut c, g, Some(granted), None, "edit");
    in_group(&mut c, plain, g);
    let secret = contact(&mut c, "Secret", Some(sam));
    set_confidential(&mut c, secret);
    co_owner(&mut c, secret, gone, false);
    diesel::update(users::table.find(gone)).set(users::status.eq("deactivated")).execute(&mut c).unwrap();

    let who = [
        (sam, "sam@example.com"),
        (co, "co@example.com"),
        (ro, "ro@example.com"),
        (boss, "boss@example.com"),
        (granted, "granted@example.com"),
        (all, "all@example.com"),
        (owned_only, "owned@example.com"),
        (gone, "gone@example.com"),
        (nobody, "nobody@example.com"),
    ];
    let mut allowed = 0;
    for contact in [plain, secret] {
        for (uid, email) in who {
            for action in ["contacts.view", "contacts.edit", "contacts.assign", "email.send", "campaigns.activate"] {
                let z = a.evaluate(uid, action, contact).await;
                let v1 = a.v1_check(uid, action, contact).await;
                assert_eq!(z["decision"], v1["allowed"], "{email} {action} on {contact}");
                assert_eq!(z["context"]["reason"], v1["reason"], "{email} {action} on {contact}");
                assert_eq!(z["context"]["level"], v1["level"], "{email} {action} on {contact}");
                allowed += usize::from(z["decision"] == true);
            }
            let z = a.evaluate(uid, "contacts.view", contact).await;
            assert_eq!(z["context"]["level"].as_str().unwrap(), a.explainer_level(contact, email).await, "{email}");
        }
    }
    assert!(allowed > 10, "the paths allow something: {allowed}");
    // Spot checks of the paths themselves.
    assert_eq!(a.evaluate(ro, "contacts.edit", plain).await["decision"], false, "read-only co-owner");
    assert_eq!(a.evaluate(ro, "contacts.view", plain).await["decision"], true);
    assert_eq!(a.evaluate(boss, "contacts.edit", plain).await["decision"], true, "team manager");
    assert_eq!(a.evaluate(granted, "contacts.edit", plain).await["decision"], true, "group grant");
    assert_eq!(a.evaluate(all, "contacts.view", secret).await["decision"], false, "confidential");
    assert_eq!(a.evaluate(owned_only, "contacts.view", plain).await["decision"], false, "only owned");
    assert_eq!(a.evaluate(gone, "contacts.view", secret).await["decision"], false, "inactive");
}

#[tokio::test]
async fn users_by_email_the_crm_resource_and_things_that_do_not_exist() {
    let a = api().await;
    let sam = a.app.create_user("sam@example.com", Role::Salesperson);
    let plain = contact(&mut a.app.conn(), "Plain", Some(sam));
    let ask = |subject: Value, action: &str, resource: Value| json!({"subject": subject, "action": {"name": action}, "resource": resource, "context": {"time": "now"}, "extra": 1});
    // By email, in any case; unknown fields are ignored.
    let (s, z) = a
        .post(
            "/access/v1/evaluation",
            ask(
                json!({"type": "user", "id": "SAM@example.com"}),
                "contacts.edit",
                json!({"type": "contact", "id": plain.to_string()}),
            ),
        )
        .await;
    assert_eq!((s, z["decision"].clone()), (200, json!(true)));
    // One spelling per id: a JSON number is the wrong type (400); "05", "+5", " 5 " name nobody.
    let (s, _) = a
        .post(
            "/access/v1/evaluation",
            ask(
                json!({"type": "user", "id": sam}),
                "contacts.view",
                json!({"type": "contact", "id": plain.to_string()}),
            ),
        )
        .await;
    assert_eq!(s, 400, "a numeric id");
    for alias in [format!("0{sam}"), format!("+{sam}"), format!(" {sam} "), format!("{sam}.0")] {
        let (s, z) = a
            .post(
                "/access/v1/evaluation",
                ask(
                    json!({"type": "user", "id": alias}),
                    "contacts.view",
                    json!({"type": "contact", "id": plain.to_string()}),
                ),
            )
            .await;
        assert_eq!((s, z["decision"].clone()), (200, json!(false)), "{alias:?}");
        assert_eq!(z["context"]["error"]["status"], 404, "{alias:?}: {z}");
        let (_, z) = a
            .post(
                "/access/v1/evaluation",
                ask(
                    json!({"type": "user", "id": sam.to_string()}),
                    "contacts.view",
                    json!({"type": "contact", "id": alias.replace(&sam.to_string(), &plain.to_string())}),
                ),
            )
            .await;
        assert_eq!(z["decision"], false, "contact {alias:?}");
    }
    // No contact involved: the CRM as a whole.
    let (_, z) = a
        .post(
            "/access/v1/evaluation",
            ask(
                json!({"type": "user", "id": sam.to_string()}),
                "contacts.import",
                json!({"type": "crm", "id": "custodian"}),
            ),
        )
        .await;
    let (_, v1) = a.post("/api/v1/check", json!({"user_id": sam, "permission": "contacts.import"})).await;
    assert_eq!(z["decision"], v1["allowed"]);
    assert_eq!(z["context"]["reason"], v1["reason"]);
    // What does not exist: a deny with a reason, HTTP 200.
    for (subject, action, resource, says) in [
        (
            json!({"type": "user", "id": "424242"}),
            "contacts.view",
            json!({"type": "contact", "id": plain.to_string()}),
            "no user",
        ),
        (
            json!({"type": "user", "id": "nobody@example.com"}),
            "contacts.view",
            json!({"type": "contact", "id": "1"}),
            "no user",
        ),
        (
            json!({"type": "user", "id": sam.to_string()}),
            "contacts.view",
            json!({"type": "contact", "id": "999999"}),
            "no contact",
        ),
        (
            json!({"type": "user", "id": sam.to_string()}),
            "contacts.fly",
            json!({"type": "contact", "id": plain.to_string()}),
            "unknown action",
        ),
        (
            json!({"type": "robot", "id": "r2"}),
            "contacts.view",
            json!({"type": "contact", "id": plain.to_string()}),
            "unknown subject type",
        ),
        (
            json!({"type": "user", "id": sam.to_string()}),
            "contacts.view",
            json!({"type": "invoice", "id": "7"}),
            "unknown resource type",
        ),
    ] {
        let (s, z) = a.post("/access/v1/evaluation", ask(subject, action, resource)).await;
        assert_eq!(s, 200);
        assert_eq!(z["decision"], false, "{says}");
        assert!(z["context"]["reason"].as_str().unwrap().contains(says), "{says}: {z}");
        assert_eq!(z["context"]["error"]["status"], 404, "{says}: what does not exist is a 404 in the context");
    }
    let (_, z) = a
        .post(
            "/access/v1/evaluation",
            ask(json!({"type": "user", "id": "424242"}), "contacts.view", json!({"type": "contact", "id": "1"})),
        )
        .await;
    assert_eq!(z["context"]["error"]["status"], 404);
}

#[tokio::test]
async fn transport_request_ids_missing_parts_and_tokens() {
    let a = api().await;
    let client = reqwest::Client::new();
    let url = format!("{}/access/v1/evaluation", a.app.address);
    // No token: 401 with WWW-Authenticate, the request id echoed.
    let r = client.post(&url).header("X-Request-ID", "req-17").json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(r.headers()["x-request-id"], "req-17");
    let r = client.post(&url).bearer_auth("cst_not-a-token").json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // Missing required parts: 400 naming them.
    for (body, names) in [
        (json!({}), "subject"),
        (json!({"subject": {"type": "user", "id": "1"}, "resource": {"type": "contact", "id": "1"}}), "action"),
        (
            json!({"subject": {"type": "user"}, "action": {"name": "contacts.view"}, "resource": {"type": "contact", "id": "1"}}),
            "subject.id is required",
        ),
        (
            json!({"subject": {"type": "user", "id": "1"}, "action": {}, "resource": {"type": "contact", "id": "1"}}),
            "action.name",
        ),
    ] {
        let r = client.post(&url).bearer_auth(&a.token).header("X-Request-ID", "r2").json(&body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(r.headers()["x-request-id"], "r2");
        let e: Value = r.json().await.unwrap();
        assert!(e["error"].as_str().unwrap().contains(names), "{e}");
    }
    for raw in ["not json", "[1, 2]", "{\"subject\": 5}"] {
        let r = client
            .post(&url)
            .bearer_auth(&a.token)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{raw}");
    }
    // Wrong JSON types (c-2-4-6) and members named twice (I-JSON): 400, whatever the rest says.
    let ok = r#""subject": {"type": "user", "id": "1"}, "action": {"name": "contacts.view"}, "resource": {"type": "contact", "id": "1"}"#;
    for raw in [
        format!(r#"{{{ok}, "context": "now"}}"#),
        format!(r#"{{{ok}, "context": [1]}}"#),
        r#"{"subject": {"type": "user", "id": "1", "properties": "admin"}, "action": {"name": "contacts.view"}, "resource": {"type": "contact", "id": "1"}}"#.to_string(),
        r#"{"subject": {"type": "user", "id": "1"}, "action": {"name": "contacts.view", "properties": ["x"]}, "resource": {"type": "contact", "id": "1"}}"#.to_string(),
        r#"{"subject": {"type": "user", "id": "1"}, "action": {"name": "contacts.view"}, "resource": {"type": "contact", "id": 1}}"#.to_string(),
        format!(r#"{{{ok}, "subject": {{"type": "user", "id": "2"}}}}"#),
        r#"{"subject": {"type": "user", "id": "1", "id": "2"}, "action": {"name": "contacts.view"}, "resource": {"type": "contact", "id": "1"}}"#.to_string(),
    ] {
        let r = client
            .post(&url)
            .bearer_auth(&a.token)
            .header("content-type", "application/json")
            .body(raw.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{raw}");
        let e: Value = r.json().await.unwrap();
        assert!(e["error"].is_string(), "{raw}: {e}");
    }
    let r = client
        .post(&url)
        .bearer_auth(&a.token)
        .header("content-type", "application/json")
        .body(r#"{"subject": {"type": "user", "id": "1"}, "subject": {"type": "user", "id": "2"}}"#)
        .send()
        .await
        .unwrap();
    let e: Value = r.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("\"subject\" appears twice"), "{e}");
    // No token and a body that is not JSON: the 401 comes first (a caller without a token
    // learns nothing of how its body would be read).
    let r = client.post(&url).header("content-type", "text/plain").body("hello").send().await.unwrap();
    assert_eq!(r.status(), 401);
    // A body over the limit is refused before any handler, in JSON, with the request id.
    let r = client
        .post(&url)
        .bearer_auth(&a.token)
        .header("content-type", "application/json")
        .header("X-Request-ID", "big")
        .body(format!("{{\"pad\": \"{}\"}}", "x".repeat(2 << 20)))
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["x-request-id"].to_str().unwrap()), (413, "big"));
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    // The scheme's name in any case (RFC 9110).
    let body = json!({"subject": {"type": "user", "id": "1"}, "action": {"name": "contacts.view"}, "resource": {"type": "contact", "id": "1"}});
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let r = client
            .post(&url)
            .header("authorization", format!("{scheme} {}", a.token))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{scheme}");
    }
    // Another method, or no such endpoint: JSON, not the HTML error page; the id still echoed.
    let r = client.get(&url).header("X-Request-ID", "r3").send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    assert_eq!(r.headers()["x-request-id"], "r3");
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    let r = client
        .post(format!("{}/access/v1/evaluate", a.app.address))
        .bearer_auth(&a.token)
        .header("X-Request-ID", "r4")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["x-request-id"].to_str().unwrap()), (404, "r4"));
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    // The metadata, the request id echoed.
    let r = client
        .get(format!("{}/.well-known/authzen-configuration", a.app.address))
        .header("X-Request-ID", "m1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "m1");
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["policy_decision_point"], a.app.address.as_str());
    assert_eq!(m["access_evaluation_endpoint"], format!("{}/access/v1/evaluation", a.app.address));
    for k in
        ["access_evaluations_endpoint", "search_subject_endpoint", "search_resource_endpoint", "search_action_endpoint"]
    {
        assert!(m[k].as_str().unwrap().starts_with(&a.app.address), "{k}");
    }
}

#[tokio::test]
async fn batches_take_defaults_and_follow_the_three_semantics() {
    let a = api().await;
    let sam = a.app.create_user("sam@example.com", Role::Salesperson);
    let mut c = a.app.conn();
    let mine = contact(&mut c, "Mine", Some(sam));
    let other = contact(&mut c, "Other", None);
    let item = |id: i64| json!({"resource": {"type": "contact", "id": id.to_string()}});
    let body = |semantic: Option<&str>| {
        let mut b = json!({
            "subject": {"type": "user", "id": sam.to_string()},
            "action": {"name": "contacts.view"},
            "evaluations": [item(mine), item(other), item(mine), {"action": {"name": "contacts.edit"}, "resource": {"type": "contact", "id": mine.to_string()}}]
        });
        if let Some(s) = semantic {
            b["options"] = json!({"evaluations_semantic": s});
        }
        b
    };
    let decisions = |v: &Value| -> Vec<bool> {
        v["evaluations"].as_array().unwrap().iter().map(|d| d["decision"].as_bool().unwrap()).collect()
    };
    let (s, all) = a.post("/access/v1/evaluations", body(None)).await;
    assert_eq!(s, 200);
    assert_eq!(decisions(&all), [true, false, true, true]);
    let (_, all2) = a.post("/access/v1/evaluations", body(Some("execute_all"))).await;
    assert_eq!(decisions(&all2), [true, false, true, true]);
    let (_, d) = a.post("/access/v1/evaluations", body(Some("deny_on_first_deny"))).await;
    assert_eq!(decisions(&d), [true, false], "up to and including the first deny");
    let (_, p) = a.post("/access/v1/evaluations", body(Some("permit_on_first_permit"))).await;
    assert_eq!(decisions(&p), [true], "up to and including the first permit");
    // Each decision equals the single evaluation.
    let single = a.evaluate(sam, "contacts.view", other).await;
    assert_eq!(all["evaluations"][1], single);

    let (s, e) = a
        .post(
            "/access/v1/evaluations",
            json!({"evaluations": [item(mine)], "options": {"evaluations_semantic": "sometimes"}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    // An item missing a part (from it and the defaults) is that item's deny with a 400 in its
    // context; the others are answered.
    let (s, r) = a
        .post(
            "/access/v1/evaluations",
            json!({"action": {"name": "contacts.view"}, "evaluations": [
                item(mine),
                {"subject": {"type": "user", "id": sam.to_string()}, "resource": {"type": "contact", "id": mine.to_string()}},
                {"subject": {"type": "user", "id": sam.to_string()}, "resource": {"type": "contact"}},
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(decisions(&r), [false, true, false]);
    assert_eq!(r["evaluations"][0]["context"]["error"]["status"], 400);
    assert!(r["evaluations"][0]["context"]["error"]["message"].as_str().unwrap().contains("subject"), "{r}");
    assert!(r["evaluations"][2]["context"]["reason"].as_str().unwrap().contains("resource.id is required"), "{r}");
    // Without items the top level is the question: a part missing there is the request's 400.
    let (s, _) = a.post("/access/v1/evaluations", json!({"action": {"name": "contacts.view"}})).await;
    assert_eq!(s, 400, "no subject, no items");
    // An item's resource takes a `type` it leaves out from the defaults (the scenario's c-3-2-7).
    let (s, r) = a
        .post(
            "/access/v1/evaluations",
            json!({"subject": {"type": "user", "id": sam.to_string()}, "action": {"name": "contacts.view"},
                   "resource": {"type": "contact"}, "evaluations": [{"resource": {"id": mine.to_string()}}, {"resource": {"id": other.to_string()}}]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(decisions(&r), [true, false]);
    // No `evaluations`: the single question of the top level.
    let (s, one) = a
        .post(
            "/access/v1/evaluations",
            json!({"subject": {"type": "user", "id": sam.to_string()}, "action": {"name": "contacts.view"}, "resource": {"type": "contact", "id": mine.to_string()}, "evaluations": []}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(one["decision"], true);
}

#[tokio::test]
async fn searches_page_through_the_same_answers_as_the_screens() {
    let a = api().await;
    let sam = a.app.create_user("sam@example.com", Role::Salesperson);
    let (_, sam_b) = (0, a.app.browser());
    sam_b.login("sam@example.com", TEST_PASSWORD).await;
    let mut c = a.app.conn();
    let mut mine: Vec<i64> = (0..7).map(|i| contact(&mut c, &format!("Mine {i}"), Some(sam))).collect();
    contact(&mut c, "Not mine", None);
    mine.reverse(); // newest first

    let search = |token: Option<String>, limit: i64| {
        let mut page = json!({"limit": limit});
        if let Some(t) = token {
            page["token"] = json!(t);
        }
        json!({"subject": {"type": "user", "id": sam.to_string()}, "action": {"name": "contacts.view"}, "resource": {"type": "contact"}, "page": page})
    };
    let mut got = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let (s, r) = a.post("/access/v1/search/resource", search(token.clone(), 3)).await;
        assert_eq!(s, 200, "{r}");
        for e in r["results"].as_array().unwrap() {
            assert_eq!(e["type"], "contact");
            got.push(e["id"].as_str().unwrap().parse::<i64>().unwrap());
        }
        assert_eq!(r["page"]["count"].as_u64().unwrap() as usize, r["results"].as_array().unwrap().len());
        let next = r["page"]["next_token"].as_str().unwrap().to_string();
        if next.is_empty() {
            break;
        }
        token = Some(next);
    }
    assert_eq!(got, mine, "three pages, newest first, nothing repeated or missing");
    // The contact list shows the same set.
    let list = sam_b.page("/contacts").await;
    for id in &mine {
        assert!(list.contains(&format!("/contacts/{id}\"")), "{id} on the list");
    }
    // The follow-up may send the token alone (the specification's example): it carries the limit.
    let (_, first) = a.post("/access/v1/search/resource", search(None, 3)).await;
    let t = first["page"]["next_token"].as_str().unwrap().to_string();
    let mut alone = search(None, 3);
    alone["page"] = json!({"token": t});
    let (s, second) = a.post("/access/v1/search/resource", alone.clone()).await;
    assert_eq!(s, 200, "{second}");
    let ids = |r: &Value| -> Vec<i64> {
        r["results"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().parse().unwrap()).collect()
    };
    assert_eq!(ids(&second), mine[3..6]);
    assert_eq!(a.post("/access/v1/search/resource", search(Some(t.clone()), 3)).await.1, second, "or repeat the limit");
    // A token with a changed search is refused: the action, the limit, the context.
    let mut other = search(Some(t.clone()), 3);
    other["action"]["name"] = json!("contacts.edit");
    assert_eq!(a.post("/access/v1/search/resource", other).await.0, 400);
    assert_eq!(a.post("/access/v1/search/resource", search(Some(t.clone()), 4)).await.0, 400, "another limit");
    let mut context = alone.clone();
    context["context"] = json!({"time": "later"});
    let (s, e) = a.post("/access/v1/search/resource", context).await;
    assert_eq!(s, 400, "another context");
    assert!(e["error"].as_str().unwrap().contains("another search"), "{e}");
    // Member order is not a change; the resource's ignored id is not either.
    let mut reordered: Value = serde_json::from_str(&alone.to_string()).unwrap();
    reordered["resource"] = json!({"id": "whatever", "type": "contact"});
    assert_eq!(a.post("/access/v1/search/resource", reordered).await.1, second);
    assert_eq!(a.post("/access/v1/search/resource", search(Some("garbage".into()), 3)).await.0, 400);
    // Limit 0 asks for nothing: an empty last page. Above the maximum: pages of the maximum.
    let (s, zero) = a.post("/access/v1/search/resource", search(None, 0)).await;
    assert_eq!(s, 200);
    assert_eq!((zero["results"].clone(), zero["page"]["next_token"].clone()), (json!([]), json!("")));
    let (s, big) = a.post("/access/v1/search/resource", search(None, 1_000_000)).await;
    assert_eq!(s, 200);
    assert_eq!(ids(&big), mine);
    assert_eq!(a.post("/access/v1/search/resource", search(None, -1)).await.0, 400);
    // No `page`: the first 50, newest first.
    let mut no_page = search(None, 1);
    no_page.as_object_mut().unwrap().remove("page");
    let (_, all) = a.post("/access/v1/search/resource", no_page).await;
    assert_eq!((ids(&all), all["page"]["next_token"].clone()), (mine.clone(), json!("")));
    // Each search names what it is missing; a type Custodian does not know finds nothing.
    let (s, e) = a
        .post(
            "/access/v1/search/resource",
            json!({"subject": {"id": sam.to_string()}, "action": {"name": "contacts.view"}, "resource": {"type": "contact"}}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"], "subject.type is required");
    let (s, none) = a
        .post(
            "/access/v1/search/resource",
            json!({"subject": {"type": "user", "id": sam.to_string()}, "action": {"name": "contacts.view"}, "resource": {"type": "invoice"}}),
        )
        .await;
    assert_eq!((s, none["results"].clone()), (200, json!([])));

    // Who may edit the first contact: the card's list.
    let (s, who) = a
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user"}, "action": {"name": "contacts.edit"}, "resource": {"type": "contact", "id": mine[0].to_string()}}),
        )
        .await;
    assert_eq!(s, 200);
    let ids: Vec<String> =
        who["results"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let ada: i64 = users::table.filter(users::email.eq("ada@example.com")).select(users::id).first(&mut c).unwrap();
    let mut expected = vec![ada.to_string(), sam.to_string()];
    expected.sort_by_key(|s| s.parse::<i64>().unwrap());
    assert_eq!(ids, expected);
    assert_eq!(who["page"]["next_token"], "");
    // The subject's id is ignored, as the specification says it MUST be.
    let (_, same) = a
        .post(
            "/access/v1/search/subject",
            json!({"subject": {"type": "user", "id": "someone"}, "action": {"name": "contacts.edit"}, "resource": {"type": "contact", "id": mine[0].to_string()}}),
        )
        .await;
    assert_eq!(same, who);
    // Each with its email, for a PEP that names users by email.
    assert_eq!(who["results"][1]["properties"]["email"], "sam@example.com", "{who}");

    // Which actions sam may take on it: each one an allowed evaluation, the others denied.
    let (s, acts) = a
        .post("/access/v1/search/action", json!({"subject": {"type": "user", "id": sam.to_string()}, "resource": {"type": "contact", "id": mine[0].to_string()}}))
        .await;
    assert_eq!(s, 200);
    // The action search answers in one page and ignores `page`, whatever it holds.
    let (s, again) = a
        .post("/access/v1/search/action", json!({"subject": {"type": "user", "id": sam.to_string()}, "resource": {"type": "contact", "id": mine[0].to_string()}, "page": {"token": "garbage", "limit": 1}}))
        .await;
    assert_eq!((s, &again), (200, &acts));
    let names: Vec<&str> = acts["results"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"contacts.view") && names.contains(&"contacts.edit"), "{names:?}");
    assert!(!names.contains(&"contacts.all"), "{names:?}");
    for key in custodian::permissions::catalog::ALL {
        let z = a.evaluate(sam, key.key(), mine[0]).await;
        assert_eq!(z["decision"] == true, names.contains(&key.key()), "{}", key.key());
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_json_endpoint() {
    let a = api().await;
    let r = reqwest::get(format!("{}/api/openapi.json", a.app.address)).await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/check",
        "/api/v1/users/{id}/permissions",
        "/access/v1/evaluation",
        "/access/v1/evaluations",
        "/access/v1/search/subject",
        "/access/v1/search/resource",
        "/access/v1/search/action",
        "/.well-known/authzen-configuration",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // The two APIs' answers are two schemas (one name for both once made them one).
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Decision"]["properties"]["decision"].is_object(), "AuthZEN's decision");
    assert!(schemas["CheckDecision"]["properties"]["allowed"].is_object(), "/api/v1/check's decision");
    let check_ok =
        &doc["paths"]["/api/v1/check"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(check_ok, "#/components/schemas/CheckDecision");
    // The tokens page links it, with an example.
    let page = a.admin.page("/api-tokens").await;
    assert!(page.contains("/api/openapi.json"));
    assert!(page.contains("/access/v1/evaluation"));
}
