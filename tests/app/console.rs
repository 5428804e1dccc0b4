//! Issue #14: the console at real scale — the user picker behind every field that names a user,
//! presets as checkboxes, the delete successor by email, notifications always in the header.

use crate::helpers::*;
use custodian::db::schema::users;
use custodian::permissions::Role;
use diesel::prelude::*;
use serde_json::Value;

async fn pick(b: &Browser, q: &str) -> Vec<String> {
    let r = b.get(&format!("/users/pick?q={q}")).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_user_picker_finds_active_users_by_name_or_email() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let ann = app.create_user("ann@example.com", Role::Manager);
    app.create_user("joanne@example.com", Role::Marketer);
    let gone = app.create_user("annabel@example.com", Role::User);
    diesel::update(users::table.find(gone)).set(users::status.eq("deactivated")).execute(&mut app.conn()).unwrap();
    diesel::update(users::table.find(ann))
        .set((users::first_name.eq("Ann"), users::last_name.eq("Zimmer")))
        .execute(&mut app.conn())
        .unwrap();
    for i in 0..30 {
        app.create_user(&format!("bulk{i:02}@example.com"), Role::User);
    }

    // Email starting with what was typed first, then containing it; never deactivated users.
    assert_eq!(pick(&b, "ann").await, vec!["ann@example.com", "joanne@example.com"]);
    assert_eq!(pick(&b, "ZIMM").await, vec!["ann@example.com"], "by name, case-insensitively");
    assert_eq!(pick(&b, "ann%20zim").await, vec!["ann@example.com"], "by full name");
    assert_eq!(pick(&b, "bulk").await.len(), 10, "a short list: type more");
    assert!(pick(&b, "%25").await.is_empty(), "a typed % is a literal, not a wildcard");
    assert!(pick(&b, "").await.is_empty());
    let r: Value = b.get("/users/pick?q=ann").await.json().await.unwrap();
    assert_eq!(r["users"][0]["name"], "Ann Zimmer");
    assert!(r["users"][0].get("role").is_none(), "name and email only");

    // Signed-in users only.
    let anonymous = app.browser();
    assert_ne!(anonymous.get("/users/pick?q=ann").await.status(), 200);

    // Every field that names a user is a picker (a plain email field with suggestions).
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let page = admin.page("/teams/new").await;
    assert!(page.contains("name=\"manager_email\" type=\"email\" value=\"\" data-user-picker"), "{page}");
    assert!(page.contains("/static/js/user_picker.js"));
}

#[tokio::test]
async fn the_delete_successor_is_picked_by_email_and_kept_when_refused() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let leaver = app.create_user("leaver@example.com", Role::Salesperson);
    app.create_user("heir@example.com", Role::Salesperson);
    let path = format!("/users/{leaver}/delete");
    let page = b.page(&path).await;
    assert!(page.contains("name=\"successor_email\"") && page.contains("data-user-picker"));
    let r = b.submit(&path, &path, &[("successor_email", "nobody@example.com")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("No user has this email.") && html.contains("value=\"nobody@example.com\""));
    let r = b.submit(&path, &path, &[("successor_email", "leaver@example.com")]).await;
    assert_eq!(r.status(), 422, "not themselves");
    let r = b.submit(&path, &path, &[("successor_email", "Heir@Example.com")]).await;
    assert_eq!(location(&r), "/users");
    let status: String = users::table.find(leaver).select(users::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "deleted");
}

#[tokio::test]
async fn presets_are_checkboxes_and_notifications_are_always_in_the_header() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let home = b.page("/").await;
    assert!(home.contains("<a class=\"notifications\" href=\"/notifications\">Notifications</a>"), "{home}");
    let r = crate::users::details(&b, "/users/new", None, &crate::users::person("grace@example.com"), None).await;
    let w = crate::users::wizard_id(&location(&r));
    let step2 = b.page(&format!("/users/new?w={w}&step=2")).await;
    assert!(step2.contains("type=\"checkbox\" name=\"preset\""), "{step2}");
    assert!(!step2.contains("multiple size="), "no Ctrl-click multi-select");
}
