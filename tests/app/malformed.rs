//! Issue #16: malformed values sent to every route of the route table (read from
//! `src/web/mod.rs`, so a new route is covered without editing this test), as a signed-in
//! Administrator with a valid CSRF token. Whatever arrives — control characters, invalid UTF-8,
//! over-long text, negative and overflowing ids, unknown enum values, missing fields — the
//! answer is never a 5xx; text with a control character or invalid UTF-8 is refused with a
//! message naming the field, and nothing is written.

use crate::helpers::*;
use custodian::db::schema::{audit_log, contacts, users};
use custodian::permissions::Role;
use diesel::prelude::*;

/// (method, path) of every route in the route table: the routes of `routes`, and those of each
/// `fn x_routes` under the prefix its `web::scope("/prefix").configure(x_routes)` gives.
fn route_table() -> Vec<(String, String)> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs")).unwrap();
    let mut prefixes = std::collections::HashMap::new();
    let mut scope = None;
    for line in src.lines() {
        if let Some(a) = line.find("web::scope(\"") {
            scope = Some(line[a + 12..].split('"').next().unwrap().to_string());
        }
        // The `.configure(x_routes)` of the last scope opened, on its line or a later one.
        if let (Some(b), Some(prefix)) = (line.find(".configure("), scope.clone()) {
            let name = line[b + 11..].split(')').next().unwrap().to_string();
            prefixes.insert(name, prefix);
            scope = None;
        }
    }
    let mut out = Vec::new();
    let mut prefix = String::new();
    for line in src.lines() {
        if let Some(name) = line.strip_prefix("fn ").and_then(|l| l.split('(').next()) {
            prefix = prefixes.get(name).cloned().unwrap_or_default();
        }
        for part in line.split(".route(\"").skip(1) {
            let path = format!("{prefix}{}", part.split('"').next().unwrap());
            let method = if part.contains("web::post()") { "POST" } else { "GET" };
            out.push((method.to_string(), path));
        }
    }
    assert!(out.len() > 80, "the route table was read: {}", out.len());
    assert!(out.contains(&("GET".into(), "/contacts/{id:[0-9]+}".into())), "scopes were read: {out:?}");
    assert!(out.contains(&("POST".into(), "/access/v1/evaluation".into())), "scopes were read: {out:?}");
    out
}

/// Fills the `{...}` segments of a route with `id`.
fn fill(path: &str, id: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { id.to_string() } else { seg.to_string() })
        .collect::<Vec<_>>()
        .join("/")
}

/// Field names the forms of the console use (the urlencoded ones).
const FIELDS: &[&str] = &[
    "q",
    "email",
    "name",
    "first_name",
    "last_name",
    "phone",
    "company",
    "category",
    "tag",
    "tags",
    "add",
    "remove",
    "op",
    "user_id",
    "group_id",
    "level",
    "role",
    "preset",
    "perm",
    "action",
    "next",
    "page",
    "sort",
    "dir",
    "owner",
    "group",
    "audience",
    "channel",
    "template",
    "body",
    "subject",
    "trigger",
    "action_user",
    "version",
    "step",
    "replacement",
    "successor",
    "confidential",
    "read_only",
    "ids",
    "team",
    "manager",
    "member",
    "description",
    "from",
    "to",
    "actor",
    "object_type",
    "w",
    "on",
    "label",
    "token",
    "domain",
    "has_tag",
    "set_main_owner",
    "add_co_owner",
    "remove_owner",
    "add_group",
    "remove_group",
    "selection",
    "digest",
    "preset_name",
    "password",
];

#[tokio::test]
async fn malformed_values_on_every_route_never_answer_5xx_and_control_characters_write_nothing() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let contact = crate::fixtures::contact(&mut app.conn(), "Target", Some(sam));
    let token = csrf_token(&admin.page("/").await).unwrap();
    // Over-long text, in the two fields most forms have (a whole query of it would exceed any
    // URL limit before reaching the app).
    let long = format!("name={0}&q={0}&email={0}", "x".repeat(9_000));
    let ids = ["-1", "0", "99999999999999999999", "x%00", &contact.to_string()];
    // (value, refused at the boundary)
    let values: [(&str, bool); 5] =
        [("a%00b", true), ("%FF%FE", true), ("line%0Bbreak", true), ("bogus-enum", false), (long.as_str(), false)];
    let writes = |app: &TestApp| -> (i64, i64, i64) {
        let mut c = app.conn();
        (
            audit_log::table.count().get_result(&mut c).unwrap(),
            contacts::table.count().get_result(&mut c).unwrap(),
            users::table.count().get_result(&mut c).unwrap(),
        )
    };
    let mut requests = 0;
    for (method, route) in route_table() {
        // Signing out would end the rest of the run; setup needs no session.
        if route == "/logout" {
            continue;
        }
        let ids: &[&str] = if route.contains('{') { &ids } else { &ids[..1] };
        for id in ids {
            let path = fill(&route, id);
            for (value, refused) in values {
                let before = writes(&app);
                let query: String = if value.len() > 1_000 {
                    value.to_string()
                } else {
                    FIELDS.iter().map(|f| format!("{f}={value}")).collect::<Vec<_>>().join("&")
                };
                let r = if method == "GET" {
                    admin.client.get(admin.url(&format!("{path}?{query}"))).send().await.unwrap()
                } else {
                    admin
                        .client
                        .post(admin.url(&path))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(format!("csrf_token={token}&{query}"))
                        .send()
                        .await
                        .unwrap()
                };
                requests += 1;
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                assert!(status.as_u16() < 500, "{method} {path} with {value:.20} answered {status}: {body:.400}");
                let body: String = body.chars().take(2_000).collect();
                if refused {
                    assert_eq!(status.as_u16(), 400, "{method} {path} with {value:.20}: {body:.300}");
                    assert!(body.contains("The field") || body.contains("The request"), "a clear message: {body:.300}");
                    assert_eq!(writes(&app), before, "{method} {path} with {value:.20} wrote something");
                }
            }
            // Missing fields: only the token.
            if method == "POST" {
                let r = admin.post_raw(&path, &[("csrf_token", &token)]).await;
                requests += 1;
                assert!(r.status().as_u16() < 500, "POST {path} with no fields answered {}", r.status());
            }
        }
    }
    assert!(requests > 2_000, "{requests}");
    // The administrator is still signed in: nothing above broke the session.
    assert_eq!(admin.get("/").await.status(), 200);
}
