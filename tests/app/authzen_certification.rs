//! Issue #28: the OpenID AuthZEN certification scenario ("AuthZEN Authorization API 1.0 -
//! Certification Scenario", openid/authzen `certification/authorization-api-1_0-scenario.md`),
//! replayed over HTTP against the demo data. Each case's request is the scenario's text, in
//! the scenario's own names; the fixture (c-1) is Custodian's demo organisation, so before a
//! request is sent its names are read as:
//!
//! | scenario | Custodian (demo data) |
//! |---|---|
//! | subject `alice` | Sam Sales (sales@example.com), by user id |
//! | subject `bob` | Sid Seller (sales2@example.com), by user id |
//! | resource type `record` | `contact` |
//! | `record-1` | the newest contact Sam owns and Sid co-owns read-only, in no access group |
//! | `record-2` | a contact Sam owns and Sid co-owns with the right to edit |
//! | action `read` / `write` / `delete` | `contacts.view` / `contacts.edit` / `contacts.delete` |
//!
//! Rules 1–4 of c-1-4 hold on that data: the main owner views and edits, a read-only
//! co-owner views and does not edit. The scenario's Core, Batch Core, Search Core and
//! Discovery levels are checked in full, with every decision value the harness validates.
//! The Properties sub-levels (rules 5–8) do not apply: they need a PDP that decides from
//! attributes the caller asserts (`"role": "admin"` lets bob write), and Custodian decides from
//! its own records only — a PEP that could raise access by claiming a role would be a hole.
//! Their requests are still sent and must be accepted (200, a well-formed answer).

use crate::helpers::*;
use custodian::db::schema::{contact_access_groups, contacts, users};
use custodian::db::views::contact_owners;
use diesel::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const PDP: &str = "https://pdp.example.com";

/// What the harness checks of an answer.
enum Expect {
    /// 200 and this decision (a fixture rule).
    Decision(bool),
    /// 200 and a boolean decision (a structural case, or a Properties case).
    SomeDecision,
    /// 200, an `evaluations` array of this length; the decisions given are validated.
    Evaluations(&'static [Option<bool>]),
    /// This status (an error case).
    Status(u16),
    /// 200, `results` of the given type holding at least these (scenario) ids.
    Includes(&'static str, &'static [&'static str]),
    /// 200, action `results` holding at least these (scenario) names.
    Actions(&'static [&'static str]),
    /// 200, a well-formed `results` array (a Properties search).
    SomeResults,
    /// 200 and `results: []`.
    Empty,
}

use Expect::*;

/// The scenario's cases: (test id, endpoint, request as the scenario writes it, expectation).
const CASES: &[(&str, &str, &str, Expect)] = &[
    // c-2: Access Evaluation API.
    (
        "c-2-2-1",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Decision(true),
    ),
    (
        "c-2-2-2",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "bob"}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Decision(false),
    ),
    (
        "c-2-2-3",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}, "context": {"time": "2025-06-27T18:03-07:00", "ip": "192.168.1.1"}}"#,
        Decision(true),
    ),
    (
        "c-2-2-4 (Properties)",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}"#,
        SomeDecision,
    ),
    (
        "c-2-2-5 (Properties)",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}"#,
        SomeDecision,
    ),
    (
        "c-2-2-6 (Properties)",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "delete", "properties": {"soft": true}}, "resource": {"type": "record", "id": "record-1"}}"#,
        SomeDecision,
    ),
    (
        "c-2-2-7 (Properties)",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "delete", "properties": {"soft": false}}, "resource": {"type": "record", "id": "record-1"}}"#,
        SomeDecision,
    ),
    (
        "c-2-2-8",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice", "properties": {"department": "Sales", "role": "manager"}}, "action": {"name": "read", "properties": {"method": "GET"}}, "resource": {"type": "record", "id": "record-1", "properties": {"status": "active", "owner": "bob"}}}"#,
        Decision(true),
    ),
    (
        "c-2-2-9",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}, "foo": "bar", "futureField": {"nested": true}}"#,
        Decision(true),
    ),
    (
        "c-2-4-1 no subject",
        "evaluation",
        r#"{"action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Status(400),
    ),
    (
        "c-2-4-1 no action",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Status(400),
    ),
    (
        "c-2-4-1 no resource",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}}"#,
        Status(400),
    ),
    (
        "c-2-4-2 subject.type",
        "evaluation",
        r#"{"subject": {"id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Status(400),
    ),
    (
        "c-2-4-2 subject.id",
        "evaluation",
        r#"{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Status(400),
    ),
    (
        "c-2-4-2 action.name",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {}, "resource": {"type": "record", "id": "record-1"}}"#,
        Status(400),
    ),
    (
        "c-2-4-2 resource.type",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"id": "record-1"}}"#,
        Status(400),
    ),
    (
        "c-2-4-2 resource.id",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record"}}"#,
        Status(400),
    ),
    (
        "c-2-4-6 subject string",
        "evaluation",
        r#"{"subject": "alice", "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Status(400),
    ),
    (
        "c-2-4-6 action.name number",
        "evaluation",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": 123}, "resource": {"type": "record", "id": "record-1"}}"#,
        Status(400),
    ),
    // c-3: Access Evaluations API.
    (
        "c-3-2-1",
        "evaluations",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "evaluations": [{"resource": {"type": "record", "id": "record-1"}}, {"resource": {"type": "record", "id": "record-2"}}]}"#,
        Evaluations(&[None, None]),
    ),
    (
        "c-3-2-2",
        "evaluations",
        r#"{"subject": {"type": "user", "id": "bob"}, "resource": {"type": "record", "id": "record-1"}, "evaluations": [{"action": {"name": "read"}}, {"action": {"name": "write"}}]}"#,
        Evaluations(&[Some(true), Some(false)]),
    ),
    (
        "c-3-2-3 (Properties)",
        "evaluations",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "write"}, "evaluations": [{"resource": {"type": "record", "id": "record-1", "properties": {"status": "active"}}}, {"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}]}"#,
        Evaluations(&[None, None]),
    ),
    (
        "c-3-2-4 (Properties)",
        "evaluations",
        r#"{"action": {"name": "write"}, "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}, "evaluations": [{"subject": {"type": "user", "id": "alice"}}, {"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}}]}"#,
        Evaluations(&[None, None]),
    ),
    (
        "c-3-2-5",
        "evaluations",
        r#"{"evaluations": [{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}, {"subject": {"type": "user", "id": "bob"}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-1"}}]}"#,
        Evaluations(&[Some(true), Some(false)]),
    ),
    (
        "c-3-2-6",
        "evaluations",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "context": {"time": "2025-06-27T18:03-07:00"}, "evaluations": [{"resource": {"type": "record", "id": "record-1"}}, {"resource": {"type": "record", "id": "record-2"}, "context": {"time": "2025-06-27T19:00-07:00", "source": "batch-override"}}]}"#,
        Evaluations(&[None, None]),
    ),
    // c-3-2-7 is a Properties case, but its merging of a default `type` into an item's
    // resource is protocol, not policy: the first item must be record-1, which alice may write.
    (
        "c-3-2-7",
        "evaluations",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "write"}, "resource": {"type": "record"}, "evaluations": [{"resource": {"id": "record-1", "properties": {"status": "active"}}}, {"resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}]}"#,
        Evaluations(&[Some(true), None]),
    ),
    (
        "c-3-4-1",
        "evaluations",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "evaluations": [{"resource": {"type": "record", "id": "record-1"}}, {}]}"#,
        Evaluations(&[Some(true), Some(false)]),
    ),
    (
        "c-3-4-2",
        "evaluations",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Decision(true),
    ),
    (
        "c-3-4-3",
        "evaluations",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}, "evaluations": []}"#,
        Decision(true),
    ),
    // c-4: the searches.
    (
        "c-4-2-1",
        "search/subject",
        r#"{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Includes("user", &["alice", "bob"]),
    ),
    (
        "c-4-2-2",
        "search/subject",
        r#"{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}, "context": {"time": "2025-06-27T18:03-07:00"}}"#,
        Includes("user", &["alice", "bob"]),
    ),
    (
        "c-4-2-4 (Properties)",
        "search/subject",
        r#"{"subject": {"type": "user"}, "action": {"name": "write"}, "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}"#,
        SomeResults,
    ),
    (
        "c-4-3-1",
        "search/resource",
        r#"{"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "record"}}"#,
        Includes("record", &["record-1"]),
    ),
    (
        "c-4-3-3 (Properties)",
        "search/resource",
        r#"{"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}, "action": {"name": "write"}, "resource": {"type": "record"}}"#,
        SomeResults,
    ),
    (
        "c-4-4-1",
        "search/action",
        r#"{"subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Actions(&["read", "write"]),
    ),
    (
        "c-4-4-2",
        "search/action",
        r#"{"subject": {"type": "user", "id": "alice"}, "resource": {"type": "record", "id": "record-1"}, "context": {"time": "2025-06-27T18:03-07:00"}}"#,
        Actions(&["read", "write"]),
    ),
    (
        "c-4-4-3 (Properties)",
        "search/action",
        r#"{"subject": {"type": "user", "id": "bob", "properties": {"role": "admin"}}, "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}"#,
        SomeResults,
    ),
    (
        "c-4-6-1",
        "search/action",
        r#"{"subject": {"type": "user", "id": "nonexistent-user"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Empty,
    ),
    (
        "c-4-6-2",
        "search/subject",
        r#"{"subject": {"type": "spaceship"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Empty,
    ),
    (
        "c-4-7-1 subject search",
        "search/subject",
        r#"{"subject": {"type": "user"}, "resource": {"type": "record", "id": "record-1"}}"#,
        Status(400),
    ),
    (
        "c-4-7-1 resource search",
        "search/resource",
        r#"{"action": {"name": "read"}, "resource": {"type": "record"}}"#,
        Status(400),
    ),
    ("c-4-7-1 action search", "search/action", r#"{"subject": {"type": "user", "id": "alice"}}"#, Status(400)),
    (
        "c-4-7-2 subject search",
        "search/subject",
        r#"{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"}}"#,
        Status(400),
    ),
    (
        "c-4-7-2 resource search",
        "search/resource",
        r#"{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"}}"#,
        Status(400),
    ),
];

/// The PDP under test, its token and the fixture's names.
struct Pdp {
    app: TestApp,
    token: String,
    names: HashMap<&'static str, String>,
}

async fn pdp() -> Pdp {
    let app = spawn_app_with(TestDb::new(), None, |c| c.public_url = Some(PDP.into())).await;
    let mut c = app.conn();
    custodian::demo::seed(&mut c).unwrap();
    let id_of = |c: &mut PgConnection, email: &str| -> i64 {
        users::table.filter(users::email.eq(email)).select(users::id).first(c).unwrap()
    };
    let (admin, sam, sid) =
        (id_of(&mut c, "admin@example.com"), id_of(&mut c, "sales@example.com"), id_of(&mut c, "sales2@example.com"));
    let sid_read_only = contact_owners::table
        .filter(contact_owners::user_id.eq(sid).and(contact_owners::read_only))
        .select(contact_owners::contact_id);
    // The newest such contact in no access group (a group could give Sid more): the harness
    // reads the first page of a resource search only, and it comes newest first.
    let record_1: i64 = contacts::table
        .filter(contacts::main_owner_id.eq(sam).and(contacts::id.eq_any(sid_read_only)))
        .filter(contacts::id.ne_all(contact_access_groups::table.select(contact_access_groups::contact_id)))
        .select(contacts::id)
        .order(contacts::id.desc())
        .first(&mut c)
        .unwrap();
    let sid_editing = contact_owners::table
        .filter(contact_owners::user_id.eq(sid).and(contact_owners::read_only.eq(false)))
        .select(contact_owners::contact_id);
    let record_2: i64 = contacts::table
        .filter(contacts::main_owner_id.eq(sam).and(contacts::id.eq_any(sid_editing)))
        .select(contacts::id)
        .order(contacts::id)
        .first(&mut c)
        .unwrap();
    let (_, token) =
        custodian::api_tokens::create(&mut c, "certification", admin, &[custodian::api_tokens::Scope::Authorization])
            .unwrap();
    let names = HashMap::from([
        ("alice", sam.to_string()),
        ("bob", sid.to_string()),
        ("record", "contact".to_string()),
        ("record-1", record_1.to_string()),
        ("record-2", record_2.to_string()),
        ("read", "contacts.view".to_string()),
        ("write", "contacts.edit".to_string()),
        ("delete", "contacts.delete".to_string()),
    ]);
    Pdp { app, token, names }
}

impl Pdp {
    /// The scenario's request in Custodian's names.
    fn translate(&self, v: &mut Value) {
        match v {
            Value::String(s) => {
                if let Some(n) = self.names.get(s.as_str()) {
                    *s = n.clone();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.translate(i)),
            Value::Object(members) => members.values_mut().for_each(|m| self.translate(m)),
            _ => {}
        }
    }

    /// A scenario name in Custodian's words (`user` is `user` in both).
    fn name<'a>(&'a self, scenario: &'a str) -> &'a str {
        self.names.get(scenario).map_or(scenario, String::as_str)
    }

    fn request(&self, endpoint: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new().post(format!("{}/access/v1/{endpoint}", self.app.address)).bearer_auth(&self.token)
    }

    /// Sends the scenario's request `text`; the status, the body, and the Content-Type.
    async fn send(&self, endpoint: &str, text: &str) -> (u16, Value, String) {
        let mut body: Value = serde_json::from_str(text).unwrap();
        self.translate(&mut body);
        let r = self.request(endpoint).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        let media = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (status, r.json().await.unwrap(), media)
    }
}

/// A decision object: a boolean `decision`, and a `context` that is an object if present.
fn check_decision(case: &str, d: &Value) -> bool {
    assert!(d["decision"].is_boolean(), "{case}: {d}");
    assert!(d.get("context").is_none_or(Value::is_object), "{case}: {d}");
    d["decision"].as_bool().unwrap()
}

/// A search answer: a `results` array and, when present, a `page` with a string `next_token`.
fn check_results<'a>(case: &str, r: &'a Value) -> &'a Vec<Value> {
    if let Some(page) = r.get("page") {
        assert!(page["next_token"].is_string(), "{case}: {r}");
    }
    r["results"].as_array().unwrap_or_else(|| panic!("{case}: {r}"))
}

#[tokio::test]
async fn the_certification_scenario_passes_on_the_demo_data() {
    let p = pdp().await;
    for (case, endpoint, text, expect) in CASES {
        let (status, body, media) = p.send(endpoint, text).await;
        if let Status(want) = expect {
            assert_eq!(status, *want, "{case}: {body}");
            continue;
        }
        assert_eq!(status, 200, "{case}: {body}");
        assert!(media.starts_with("application/json"), "{case} (c-5): {media}");
        match expect {
            Decision(want) => assert_eq!(check_decision(case, &body), *want, "{case}: {body}"),
            SomeDecision => {
                check_decision(case, &body);
            }
            Evaluations(want) => {
                let got = body["evaluations"].as_array().unwrap_or_else(|| panic!("{case}: {body}"));
                assert_eq!(got.len(), want.len(), "{case} (c-3-3-1): {body}");
                for (d, w) in got.iter().zip(want.iter()) {
                    let decision = check_decision(case, d);
                    if let Some(w) = w {
                        assert_eq!(decision, *w, "{case}: {body}");
                    }
                }
            }
            Includes(kind, ids) => {
                let results = check_results(case, &body);
                for e in results {
                    assert_eq!(e["type"], p.name(kind), "{case}: {body}");
                    assert!(e["id"].is_string(), "{case}: {body}");
                }
                for id in *ids {
                    assert!(results.iter().any(|e| e["id"] == p.name(id)), "{case}: {id} in {body}");
                }
            }
            Actions(names) => {
                let results = check_results(case, &body);
                assert!(results.iter().all(|a| a["name"].is_string()), "{case}: {body}");
                for n in *names {
                    assert!(results.iter().any(|a| a["name"] == p.name(n)), "{case}: {n} in {body}");
                }
            }
            SomeResults => {
                check_results(case, &body);
            }
            Empty => assert_eq!(check_results(case, &body).len(), 0, "{case}: {body}"),
            Status(_) => unreachable!(),
        }
    }
}

/// c-2-4-3 to c-2-4-5, c-2-5, c-2-6: media types, malformed and empty bodies, request ids,
/// idempotency.
#[tokio::test]
async fn transport_headers_and_idempotency() {
    let p = pdp().await;
    let mut good: Value = serde_json::from_str(CASES[0].2).unwrap();
    p.translate(&mut good);
    let text = good.to_string();
    for media in ["text/plain", "application/x-www-form-urlencoded", "application/xml", "application/jsonx"] {
        let r = p.request("evaluation").header("content-type", media).body(text.clone()).send().await.unwrap();
        assert_eq!(r.status(), 400, "c-2-4-3: {media}");
    }
    let r = p.request("evaluation").body(text.clone()).send().await.unwrap();
    assert_eq!(r.status(), 400, "c-2-4-3: no Content-Type");
    for media in ["application/json", "application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"] {
        let r = p.request("evaluation").header("content-type", media).body(text.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200, "{media} is JSON");
    }
    for (case, raw) in [("c-2-4-4", "{\"subject\": "), ("c-2-4-5", ""), ("c-2-4-5", "  \n")] {
        let r = p.request("evaluation").header("content-type", "application/json").body(raw).send().await.unwrap();
        assert_eq!(r.status(), 400, "{case}: {raw:?}");
        let e: Value = r.json().await.unwrap();
        assert!(e["error"].is_string(), "{case}: {e}");
    }
    // c-2-5: the request id is echoed by every endpoint; without one nothing fails.
    for endpoint in ["evaluation", "evaluations", "search/subject", "search/resource", "search/action"] {
        let r = p.request(endpoint).header("X-Request-ID", "cert-1").json(&good).send().await.unwrap();
        assert_eq!(r.headers()["x-request-id"], "cert-1", "{endpoint}");
    }
    let r = p.request("evaluation").json(&good).send().await.unwrap();
    assert_eq!(r.status(), 200, "c-2-5-2");
    // c-2-6: the same request, the same decision.
    for _ in 0..5 {
        let (s, d, _) = p.send("evaluation", CASES[0].2).await;
        assert_eq!((s, d["decision"].clone()), (200, json!(true)));
    }
}

/// c-4-5: a `page.limit` is honoured, and the follow-up sends the token alone.
#[tokio::test]
async fn pagination_with_a_limit_then_the_token_alone() {
    let p = pdp().await;
    let first = r#"{"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record", "id": "record-1"}, "page": {"limit": 1}}"#;
    let (s, body, _) = p.send("search/subject", first).await;
    assert_eq!(s, 200, "c-4-5-1: {body}");
    let mut seen: Vec<String> = check_results("c-4-5-1", &body).iter().map(|e| e["id"].to_string()).collect();
    assert_eq!(seen.len(), 1, "c-4-5-1: {body}");
    let mut token = body["page"]["next_token"].as_str().unwrap().to_string();
    assert!(!token.is_empty(), "alice and bob both read record-1: more than one page of one");
    while !token.is_empty() {
        let next = format!(
            r#"{{"subject": {{"type": "user"}}, "action": {{"name": "read"}}, "resource": {{"type": "record", "id": "record-1"}}, "page": {{"token": "{token}"}}}}"#
        );
        let (s, body, _) = p.send("search/subject", &next).await;
        assert_eq!(s, 200, "c-4-5-2: {body}");
        let results = check_results("c-4-5-2", &body);
        assert!(results.len() <= 1, "the first page's limit holds: {body}");
        seen.extend(results.iter().map(|e| e["id"].to_string()));
        token = body["page"]["next_token"].as_str().expect("c-4-5-2: page.next_token is a string").to_string();
    }
    for who in ["alice", "bob"] {
        assert!(seen.contains(&format!("\"{}\"", p.name(who))), "{who} in {seen:?}");
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no result twice: {seen:?}");
}

/// c-6: the metadata document, at the configured identifier (HTTPS behind a proxy).
#[tokio::test]
async fn discovery_names_the_configured_decision_point() {
    let p = pdp().await;
    let r = reqwest::Client::new()
        .get(format!("{}/.well-known/authzen-configuration", p.app.address))
        .header("X-Request-ID", "meta-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(r.headers()["x-request-id"], "meta-1");
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["policy_decision_point"], PDP, "c-6-5: matches the base URL used for discovery");
    for (k, path) in [
        ("access_evaluation_endpoint", "evaluation"),
        ("access_evaluations_endpoint", "evaluations"),
        ("search_subject_endpoint", "search/subject"),
        ("search_resource_endpoint", "search/resource"),
        ("search_action_endpoint", "search/action"),
    ] {
        assert_eq!(m[k], format!("{PDP}/access/v1/{path}"), "{k}");
    }
}

/// The interoperability harnesses' request shapes (openid/authzen `interop/`): the todo
/// application's evaluations and batch, the search demo's three searches, the API gateway's
/// route check. Their types (`todo`, `route`, `identity`, `record` with its own ids) are not
/// Custodian's, so every answer is a well-formed deny or an empty result, never an error.
#[tokio::test]
async fn the_interop_harnesses_shapes_are_answered() {
    let p = pdp().await;
    // The todo application: a user by an opaque id, a todo with its owner in `properties`.
    let todo = r#"{"subject":{"type":"user","id":"CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"},"action":{"name":"can_update_todo"},"resource":{"type":"todo","id":"7240d0db-8ff0-41ec-98b2-34a096273b9f","properties":{"ownerID":"rick@the-citadel.com"}}}"#;
    let body: Value = serde_json::from_str(todo).unwrap();
    let r = p.request("evaluation").json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["decision"].clone(), d["context"]["error"]["status"].clone()), (json!(false), json!(404)), "{d}");
    let batch = r#"{"subject":{"type":"user","id":"CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"},"action":{"name":"can_update_todo"},"evaluations":[{"resource":{"type":"todo","id":"7240d0db-8ff0-41ec-98b2-34a096273b9f","properties":{"ownerID":"rick@the-citadel.com"}}},{"resource":{"type":"todo","id":"7240d0db-8ff0-41ec-98b2-34a096273b9f","properties":{"ownerID":"jerry@the-smiths.com"}}}]}"#;
    let (s, r, _) = p.send("evaluations", batch).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["evaluations"].as_array().unwrap().len(), 2);
    // The API gateway: an identity asking for a route, with an empty context.
    let gateway = r#"{"subject":{"type":"identity","id":"CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"},"action":{"name":"POST"},"resource":{"type":"route","id":"/todos"},"context":{}}"#;
    let body: Value = serde_json::from_str(gateway).unwrap();
    let d: Value = p.request("evaluation").json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(d["decision"], false, "{d}");
    // The search demo: no `page`, no `context`; its own ids name nothing here.
    let body = |t: &str| -> Value { serde_json::from_str(t).unwrap() };
    for (endpoint, search) in [
        (
            "search/subject",
            r#"{"resource":{"type":"record","id":"101"},"action":{"name":"edit"},"subject":{"type":"user"}}"#,
        ),
        (
            "search/resource",
            r#"{"subject":{"type":"user","id":"alice"},"action":{"name":"delete"},"resource":{"type":"record"}}"#,
        ),
        ("search/action", r#"{"subject":{"type":"user","id":"alice"},"resource":{"type":"record","id":"110"}}"#),
    ] {
        // Sent as written (no fixture translation): the demo's names are not Custodian's.
        let r = p.request(endpoint).json(&body(search)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{endpoint}");
        let found: Value = r.json().await.unwrap();
        assert_eq!(found["results"], json!([]), "{endpoint}: {found}");
        assert_eq!(found["page"]["next_token"], "", "{endpoint}: {found}");
    }
    // The same searches in Custodian's names find what the screens show (a PEP without `page`
    // gets the first 50 and a `next_token`).
    let (s, r, _) = p
        .send(
            "search/resource",
            r#"{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record"}}"#,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["results"].as_array().unwrap().len(), 50, "{r}");
    assert!(!r["page"]["next_token"].as_str().unwrap().is_empty(), "Sam sees more than 50 demo contacts");
}
