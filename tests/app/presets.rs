//! Presets (screen 4): list counts, create and "Save as new", no escalation, read-only system
//! presets, edit with impact preview and optimistic locking, rename, delete with replacement,
//! compare. Every refused action is checked to have changed nothing in the database.

use crate::helpers::*;
use custodian::db::schema::{audit_log, presets, users};
use custodian::db::views::user_presets;
use custodian::permissions::{store, PermSet, Role};
use custodian::presets as model;
use diesel::prelude::*;

pub fn set(keys: &[&str]) -> PermSet {
    let s = PermSet::from_keys(keys.iter().copied());
    assert_eq!(s.len(), keys.len(), "unknown key in {keys:?}");
    s
}

/// A custom preset created directly (author holds everything).
pub fn custom(app: &TestApp, author: i64, name: &str, keys: &[&str]) -> i64 {
    model::create_custom(&mut app.conn(), author, PermSet::all(), name, set(keys)).unwrap()
}

pub fn hold(app: &TestApp, user: i64, preset: i64) {
    diesel::insert_into(user_presets::table)
        .values((user_presets::user_id.eq(user), user_presets::preset_id.eq(preset)))
        .execute(&mut app.conn())
        .unwrap();
}

pub fn keys_of(app: &TestApp, preset: i64) -> PermSet {
    store::keys_of(&mut app.conn(), preset).unwrap()
}

fn sys(app: &TestApp, role: Role) -> i64 {
    store::system_preset_id(&mut app.conn(), role).unwrap()
}

/// (id, name, version) of every preset, to prove refused actions changed nothing.
fn snapshot(app: &TestApp) -> Vec<(i64, String, i32, Vec<&'static str>)> {
    let rows: Vec<(i64, String, i32)> = presets::table
        .select((presets::id, presets::name, presets::version))
        .order(presets::id)
        .load(&mut app.conn())
        .unwrap();
    rows.into_iter().map(|(id, n, v)| (id, n, v, keys_of(app, id).keys())).collect()
}

fn held_by(app: &TestApp, user: i64) -> Vec<i64> {
    user_presets::table
        .filter(user_presets::user_id.eq(user))
        .select(user_presets::preset_id)
        .order(user_presets::preset_id)
        .load(&mut app.conn())
        .unwrap()
}

pub fn preset_named(app: &TestApp, name: &str) -> Option<i64> {
    presets::table.filter(presets::name.eq(name)).select(presets::id).first(&mut app.conn()).optional().unwrap()
}

fn audit_actions(app: &TestApp, object_type: &str) -> Vec<String> {
    audit_log::table
        .filter(audit_log::object_type.eq(object_type))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.conn())
        .unwrap()
}

/// The HTML of the `<tr>` carrying `attr` (e.g. `data-preset="3"`).
fn row<'a>(html: &'a str, attr: &str) -> &'a str {
    let start = html.find(attr).unwrap_or_else(|| panic!("no row {attr} in {html}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

/// The value of a hidden field.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Form fields: the given pairs plus one `perm` per key.
fn fields<'a>(extra: &[(&'a str, &'a str)], keys: &'a [&'static str]) -> Vec<(&'a str, &'a str)> {
    let mut f = extra.to_vec();
    f.extend(keys.iter().map(|k| ("perm", *k)));
    f
}

/// The keys tagged in one cell class (`gains` / `losses`) of an impact row.
fn tagged(row_html: &str, class: &str) -> PermSet {
    let Some(at) = row_html.find(&format!("class=\"{class}\"")) else {
        return PermSet::EMPTY;
    };
    let cell = &row_html[at..row_html[at..].find("</td>").unwrap() + at];
    PermSet::from_keys(cell.split("data-key=\"").skip(1).map(|s| s.split('"').next().unwrap()))
}

#[tokio::test]
async fn list_counts_holders_in_one_table_per_kind() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let s1 = app.create_user("s1@example.com", Role::Salesperson);
    app.create_user("s2@example.com", Role::Salesperson);
    let gone = app.create_user("gone@example.com", Role::Salesperson);
    diesel::update(users::table.find(gone)).set(users::status.eq("deleted")).execute(&mut app.conn()).unwrap();
    let b2b = custom(&app, admin, "B2B", &["contacts.view", "email.send"]);
    let unused = custom(&app, admin, "Unused", &["sms.send"]);
    hold(&app, s1, b2b);
    hold(&app, gone, b2b);
    let html = b.page("/presets").await;
    let count = |id: i64| {
        let r = row(&html, &format!("data-preset=\"{id}\""));
        r.split("class=\"holders\">").nth(1).unwrap().split('<').next().unwrap().to_string()
    };
    assert_eq!(count(sys(&app, Role::Salesperson)), "2", "deleted accounts are not counted");
    assert_eq!(count(sys(&app, Role::Administrator)), "1");
    assert_eq!(count(sys(&app, Role::Manager)), "0");
    assert_eq!(count(b2b), "1");
    assert_eq!(count(unused), "0");
    assert!(html.contains("href=\"/presets/new\""), "administrators get the New preset button");
    assert!(html.contains(&format!("href=\"/presets/compare?a=p:{b2b}\"")));
}

#[tokio::test]
async fn who_may_see_the_preset_screens() {
    let app = spawn_app().await;
    let (_, manager) = app.signed_in("max@example.com", Role::Manager).await;
    let (_, marketer) = app.signed_in("mia@example.com", Role::Marketer).await;
    let (_, sales) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let id = sys(&app, Role::User);
    // Manager: users_view, so may look, but has no forms and no "New preset".
    let list = manager.page("/presets").await;
    assert!(!list.contains("href=\"/presets/new\""));
    let page = manager.page(&format!("/presets/{id}")).await;
    assert!(!page.contains("id=\"preset-form\"") && !page.contains("id=\"save-as-new\""));
    manager.page("/presets/compare").await;
    assert_eq!(manager.get("/presets/new").await.status(), 403);
    // Marketer: presets_manage.
    assert!(marketer.page("/presets").await.contains("href=\"/presets/new\""));
    assert!(marketer.page(&format!("/presets/{id}")).await.contains("id=\"save-as-new\""));
    // Salesperson: none of the keys.
    for path in ["/presets".to_string(), format!("/presets/{id}"), "/presets/compare".into(), "/presets/new".into()] {
        assert_eq!(sales.get(&path).await.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn create_blank_and_prefilled_with_unique_names() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let keys = ["contacts.view", "sms.send"];
    let r = b.submit("/presets/new", "/presets/new", &fields(&[("name", "  Texters ")], &keys)).await;
    assert_eq!(r.status(), 303);
    let id = preset_named(&app, "Texters").expect("created with the name trimmed");
    assert_eq!(location(&r), format!("/presets/{id}"));
    assert_eq!(keys_of(&app, id), set(&keys));
    assert!(b.page(&format!("/presets/{id}")).await.contains("Preset “Texters” created."));
    let before = snapshot(&app);
    let dup = b.submit("/presets/new", "/presets/new", &fields(&[("name", "TEXTERS")], &keys)).await;
    assert_eq!(dup.status(), 422);
    let html = dup.text().await.unwrap();
    assert!(html.contains("A preset with this name already exists.") && html.contains("value=\"TEXTERS\""), "{html}");
    assert!(html.contains("value=\"sms.send\" data-module=\"sms\" checked"), "ticks are kept");
    let empty = b.submit("/presets/new", "/presets/new", &fields(&[("name", "")], &keys)).await;
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("Give the preset a name."));
    let none = b.submit("/presets/new", "/presets/new", &[("name", "Nothing")]).await;
    assert_eq!(none.status(), 422);
    assert_eq!(snapshot(&app), before, "refused creations change nothing");
    // Pre-filled from another preset.
    let from = b.page(&format!("/presets/new?from={}", sys(&app, Role::SendingOperator))).await;
    assert!(from.contains("Starting from a copy of <strong>Sending operator</strong>"));
    assert!(from.contains("value=\"campaigns.view\" data-module=\"campaigns\" checked"));
    assert!(!from.contains("value=\"contacts.view\" data-module=\"contacts\" checked"));
    let actions = audit_actions(&app, "preset");
    assert_eq!(actions, ["preset.create"]);
    let _ = admin;
}

#[tokio::test]
async fn save_as_new_from_a_system_preset_leaves_it_unchanged() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sales = sys(&app, Role::Salesperson);
    let page = format!("/presets/{sales}");
    let html = b.page(&page).await;
    assert!(html.contains("action=\"/presets/new\"") && html.contains("formaction=\"/presets/new\""));
    assert!(!html.contains("name=\"version\""), "no edit form on a system preset");
    let mut keys = Role::Salesperson.default_permissions().keys();
    keys.push("tests.ab_messages");
    let r = b.submit(&page, "/presets/new", &fields(&[("name", "SalespersonA")], &keys)).await;
    assert_eq!(r.status(), 303);
    let id = preset_named(&app, "SalespersonA").unwrap();
    assert_eq!(keys_of(&app, id), set(&keys));
    assert_eq!(keys_of(&app, sales), Role::Salesperson.default_permissions());
}

#[tokio::test]
async fn escalation_attempts_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.create_user("ada@example.com", Role::Administrator);
    let (_, marketer) = app.signed_in("mia@example.com", Role::Marketer).await;
    let (_, sales) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, manager) = app.signed_in("max@example.com", Role::Manager).await;
    let team = custom(&app, admin, "Team", &["contacts.view", "contacts.all", "email.send"]);
    let before = snapshot(&app);

    // A Marketer may create presets, but only with keys they hold.
    let r = marketer
        .submit(
            "/presets/new",
            "/presets/new",
            &fields(&[("name", "Sneaky")], &["contacts.view", "administration.users_manage"]),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("administration.users_manage"));
    // A Salesperson and a Manager may not create presets at all (token from a page they can open).
    for (who, b) in [("salesperson", &sales), ("manager", &manager)] {
        let r = b.submit("/", "/presets/new", &fields(&[("name", "Mine")], &["contacts.view"])).await;
        assert_eq!(r.status(), 403, "{who}");
        let r = b.submit("/", &format!("/presets/{team}"), &fields(&[("step", "confirm")], &["contacts.view"])).await;
        assert_eq!(r.status(), 403, "{who} edits");
        let r = b.submit("/", &format!("/presets/{team}/rename"), &[("name", "Hijacked")]).await;
        assert_eq!(r.status(), 403, "{who} renames");
        let r = b.submit("/", &format!("/presets/{team}/delete"), &[]).await;
        assert_eq!(r.status(), 403, "{who} deletes");
    }
    // A Marketer adding a key they lack to an existing preset, at preview or at confirmation.
    let page = format!("/presets/{team}");
    for step in ["preview", "confirm"] {
        let keys = ["contacts.view", "contacts.all", "email.send", "administration.users_manage"];
        let r = marketer.submit(&page, &page, &fields(&[("step", step), ("version", "1")], &keys)).await;
        assert_eq!(r.status(), 403, "{step}");
    }
    assert_eq!(snapshot(&app), before, "nothing changed");
    assert!(preset_named(&app, "Sneaky").is_none() && preset_named(&app, "Mine").is_none());
}

#[tokio::test]
async fn an_edit_keeps_keys_the_author_does_not_hold() {
    let app = spawn_app().await;
    let admin = app.create_user("ada@example.com", Role::Administrator);
    let (_, marketer) = app.signed_in("mia@example.com", Role::Marketer).await;
    let team = custom(&app, admin, "Team", &["contacts.view", "contacts.all", "email.send"]);
    let page = format!("/presets/{team}");
    let html = marketer.page(&page).await;
    assert!(
        html.contains("value=\"contacts.all\" data-module=\"contacts\" checked disabled"),
        "a key the Marketer lacks is locked"
    );
    // The browser does not send the locked box; the Marketer clears email.send, adds sms.send.
    let preview = marketer.submit(&page, &page, &fields(&[("version", "1")], &["contacts.view", "sms.send"])).await;
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert!(html.contains("+ sms.send") && html.contains("− email.send") && !html.contains("− contacts.all"));
    let digest = hidden(&html, "digest");
    let confirm = fields(&[("step", "confirm"), ("version", "1"), ("digest", &digest)], &["contacts.view", "sms.send"]);
    let r = marketer.submit(&page, &page, &confirm).await;
    assert_eq!(r.status(), 303);
    assert_eq!(keys_of(&app, team), set(&["contacts.view", "contacts.all", "sms.send"]));
}

#[tokio::test]
async fn forged_posts_against_a_system_preset_are_refused() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sales = sys(&app, Role::Salesperson);
    let other = app.create_user("sam@example.com", Role::Salesperson);
    let before = snapshot(&app);
    let page = format!("/presets/{sales}");
    let all = PermSet::all().keys();
    for step in ["preview", "confirm"] {
        let r = b.submit(&page, &page, &fields(&[("step", step), ("version", "1")], &all)).await;
        assert_eq!(r.status(), 403, "edit {step}");
    }
    assert_eq!(b.submit(&page, &format!("{page}/rename"), &[("name", "Sales")]).await.status(), 403);
    assert_eq!(b.get(&format!("{page}/delete")).await.status(), 403);
    let replacement = sys(&app, Role::User).to_string();
    let r = b.submit(&page, &format!("{page}/delete"), &[("replacement", &replacement)]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(snapshot(&app), before);
    assert_eq!(held_by(&app, other), [sales]);
    assert!(audit_actions(&app, "preset").is_empty());
}

#[tokio::test]
async fn impact_preview_matches_the_effective_permissions_after_saving() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let p = custom(&app, admin, "Reach", &["email.send", "sms.send"]);
    let a = app.create_user("a@example.com", Role::Salesperson); // Salesperson + Reach
    let bb = app.create_user("b@example.com", Role::SendingOperator); // + Reach, tests.ab_messages revoked
    let c = app.create_user("c@example.com", Role::User);
    let bystander = app.create_user("d@example.com", Role::Salesperson);
    diesel::delete(user_presets::table.filter(user_presets::user_id.eq(c))).execute(&mut app.conn()).unwrap();
    for u in [a, bb, c] {
        hold(&app, u, p);
    }
    app.override_key(bb, "tests.ab_messages", false);
    let ids = [a, bb, c, bystander];
    let effective = |app: &TestApp| -> Vec<PermSet> {
        let mut conn = app.conn();
        ids.iter().map(|u| store::effective_of(&mut conn, *u).unwrap()).collect()
    };
    let before = effective(&app);
    let page = format!("/presets/{p}");
    let new_keys = ["sms.send", "tests.ab_messages"];
    let r = b.submit(&page, &page, &fields(&[("step", "preview"), ("version", "1")], &new_keys)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("<strong>2</strong> of 3 users"), "a gains, c changes, b is covered by its other preset");
    let shown: Vec<(PermSet, PermSet)> = [a, bb, c]
        .iter()
        .map(|u| {
            let r = row(&html, &format!("data-user=\"{u}\""));
            (tagged(r, "gains"), tagged(r, "losses"))
        })
        .collect();
    assert_eq!(shown[0], (set(&["tests.ab_messages"]), PermSet::EMPTY));
    assert_eq!(shown[1], (PermSet::EMPTY, PermSet::EMPTY), "email.send stays from Sending operator; ab revoked");
    assert_eq!(shown[2], (set(&["tests.ab_messages"]), set(&["email.send"])));
    assert!(!html.contains(&format!("data-user=\"{bystander}\"")));
    assert_eq!(keys_of(&app, p), set(&["email.send", "sms.send"]), "a preview saves nothing");
    let digest = hidden(&html, "digest");
    let r =
        b.submit(&page, &page, &fields(&[("step", "confirm"), ("version", "1"), ("digest", &digest)], &new_keys)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(keys_of(&app, p), set(&new_keys));
    let after = effective(&app);
    for (i, (gains, losses)) in shown.iter().enumerate() {
        assert_eq!(after[i].difference(before[i]), *gains, "user #{i} gains");
        assert_eq!(before[i].difference(after[i]), *losses, "user #{i} losses");
    }
    assert_eq!(after[3], before[3], "a user not holding the preset is untouched");
    let (version,): (i32,) = presets::table.find(p).select((presets::version,)).first(&mut app.conn()).unwrap();
    assert_eq!(version, 2);
    let entry: (Option<serde_json::Value>, Option<serde_json::Value>) = audit_log::table
        .filter(audit_log::action.eq("preset.update"))
        .select((audit_log::before, audit_log::after))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(entry.0.unwrap()["keys"], serde_json::json!(["email.send", "sms.send"]));
    let after_json = entry.1.unwrap();
    assert_eq!(after_json["keys"], serde_json::json!(["sms.send", "tests.ab_messages"]));
    assert_eq!(after_json["affected_users"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_stale_confirmation_is_refused_and_shows_the_new_impact() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, other) = app.signed_in("eve@example.com", Role::Administrator).await;
    let p = custom(&app, admin, "Reach", &["email.send"]);
    let page = format!("/presets/{p}");
    let mine = ["email.send", "sms.send"];
    let html = b.submit(&page, &page, &fields(&[("version", "1")], &mine)).await.text().await.unwrap();
    let digest = hidden(&html, "digest");
    // Someone else saves an edit in between.
    let theirs = ["email.send", "analytics.basic"];
    let h2 = other.submit(&page, &page, &fields(&[("version", "1")], &theirs)).await.text().await.unwrap();
    let d2 = hidden(&h2, "digest");
    let r =
        other.submit(&page, &page, &fields(&[("step", "confirm"), ("version", "1"), ("digest", &d2)], &theirs)).await;
    assert_eq!(r.status(), 303);
    let r = b.submit(&page, &page, &fields(&[("step", "confirm"), ("version", "1"), ("digest", &digest)], &mine)).await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("Nothing was saved"));
    assert!(html.contains("name=\"version\" value=\"2\""), "the new preview carries the new version");
    assert!(html.contains("+ sms.send") && html.contains("− analytics.basic"));
    assert_eq!(keys_of(&app, p), set(&theirs));
    // A user who starts holding the preset between preview and confirmation also makes it stale.
    let digest = hidden(&html, "digest");
    let newcomer = app.create_user("new@example.com", Role::SendingOperator);
    hold(&app, newcomer, p);
    let r = b.submit(&page, &page, &fields(&[("step", "confirm"), ("version", "2"), ("digest", &digest)], &mine)).await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("data-user=\"{newcomer}\"")));
    let digest = hidden(&html, "digest");
    let r = b.submit(&page, &page, &fields(&[("step", "confirm"), ("version", "2"), ("digest", &digest)], &mine)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(keys_of(&app, p), set(&mine));
}

#[tokio::test]
async fn rename_needs_a_unique_name() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let p = custom(&app, admin, "Reach", &["email.send"]);
    custom(&app, admin, "Other", &["sms.send"]);
    let page = format!("/presets/{p}");
    for taken in ["other", "Salesperson", ""] {
        let r = b.submit(&page, &format!("{page}/rename"), &[("name", taken)]).await;
        assert_eq!(r.status(), 422, "{taken:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"e-rename\"") && html.contains(&format!("value=\"{taken}\"")));
    }
    assert_eq!(preset_named(&app, "Reach"), Some(p));
    let r = b.submit(&page, &format!("{page}/rename"), &[("name", "Wide reach")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(preset_named(&app, "Wide reach"), Some(p));
    let after: Option<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("preset.rename"))
        .select(audit_log::after)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(after.unwrap()["name"], "Wide reach");
}

#[tokio::test]
async fn delete_with_replacement_moves_the_holders() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, marketer) = app.signed_in("mia@example.com", Role::Marketer).await;
    let p = custom(&app, admin, "Reach", &["email.send"]);
    let q = custom(&app, admin, "Wide", &["email.send", "sms.send"]);
    let u1 = app.create_user("u1@example.com", Role::Salesperson);
    let u2 = app.create_user("u2@example.com", Role::Salesperson);
    hold(&app, u1, p);
    hold(&app, u2, p);
    hold(&app, u2, q);
    let page = format!("/presets/{p}/delete");
    let html = b.page(&page).await;
    assert!(html.contains("2 users hold this preset") && html.contains("u1@example.com"));
    let before = snapshot(&app);
    // No replacement chosen; the preset itself; an Administrator preset offered by a Marketer.
    let admin_preset = sys(&app, Role::Administrator).to_string();
    for (b, repl) in [(&b, String::new()), (&b, p.to_string()), (&marketer, admin_preset)] {
        let r = b.submit(&page, &page, &[("replacement", &repl)]).await;
        assert_eq!(r.status(), 422, "replacement {repl:?}");
        assert!(r.text().await.unwrap().contains("id=\"e-replacement\""));
    }
    assert!(!marketer.page(&page).await.contains(&format!("value=\"{}\"", sys(&app, Role::Administrator))));
    assert_eq!(snapshot(&app), before);
    let r = b.submit(&page, &page, &[("replacement", &q.to_string())]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/presets");
    assert!(preset_named(&app, "Reach").is_none());
    let sales = sys(&app, Role::Salesperson);
    let mut expect = vec![sales, q];
    expect.sort();
    assert_eq!(held_by(&app, u1), expect);
    assert_eq!(held_by(&app, u2), expect);
    let actions = audit_actions(&app, "preset");
    assert_eq!(actions.last().map(String::as_str), Some("preset.delete"));
    assert_eq!(audit_actions(&app, "user").iter().filter(|a| *a == "user.presets").count(), 2);
    // A preset nobody holds needs no replacement.
    let r = b.submit(&format!("/presets/{q}/delete"), &format!("/presets/{q}/delete"), &[]).await;
    assert_eq!(r.status(), 422, "q is held now");
    let lone = custom(&app, admin, "Lone", &["sms.send"]);
    let lone_page = format!("/presets/{lone}/delete");
    assert!(b.page(&lone_page).await.contains("Nobody holds this preset"));
    assert_eq!(b.submit(&lone_page, &lone_page, &[]).await.status(), 303);
    assert!(preset_named(&app, "Lone").is_none());
}

#[tokio::test]
async fn compare_shows_differences_and_sources() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, marketer) = app.signed_in("mia@example.com", Role::Marketer).await;
    let (sales, market) = (sys(&app, Role::Salesperson), sys(&app, Role::Marketer));
    let html = b.page(&format!("/presets/compare?a={sales}&b=p:{market}")).await;
    let expected = Role::Salesperson
        .default_permissions()
        .difference(Role::Marketer.default_permissions())
        .union(Role::Marketer.default_permissions().difference(Role::Salesperson.default_permissions()))
        .len();
    assert!(html.contains(&format!("<strong>{expected}</strong> permissions differ")), "{html}");
    assert!(row(&html, "data-key=\"administration.presets_manage\"").contains("differs diff-only-b"));
    // Only the differences by default; every key a click away.
    assert_eq!(html.matches("<tr data-key=").count(), expected, "{html}");
    assert!(!html.contains("data-key=\"contacts.view\""));
    assert!(html.contains(&format!("href=\"/presets/compare?a={sales}&#38;b=p%3A{market}&#38;all=1\" id=\"compare-toggle\">Show every permission")), "{html}");
    let html = b.page(&format!("/presets/compare?a={sales}&b=p:{market}&all=1")).await;
    assert!(html.contains(">Show only the differences</a>"));
    assert!(!row(&html, "data-key=\"contacts.view\"").contains("differs"));
    // Two users: presets, a grant and a revoke as sources.
    let extra = custom(&app, admin, "Texting", &["sms.send", "email.send"]);
    let u = app.create_user("u@example.com", Role::Salesperson);
    let v = app.create_user("v@example.com", Role::Salesperson);
    hold(&app, u, extra);
    app.override_key(u, "contacts.delete", true);
    app.override_key(u, "analytics.basic", false);
    let html = b.page(&format!("/presets/compare?a=u:{u}&b=u:{v}&all=1")).await;
    assert!(html.contains("<strong>3</strong> permissions differ"), "sms.send, contacts.delete, analytics.basic");
    // Users by name in the headings, with their email beneath.
    assert!(
        html.contains(&format!(
            "<a href=\"/users/{u}\">Test Salesperson</a><br><small class=\"muted\">u@example.com</small>"
        )),
        "{html}"
    );
    let email = row(&html, "data-key=\"email.send\"");
    assert!(email.contains("Salesperson, Texting") && !email.contains("differs"));
    assert!(row(&html, "data-key=\"sms.send\"").contains("Texting"));
    assert!(row(&html, "data-key=\"contacts.delete\"").contains("granted for this user"));
    let analytics = row(&html, "data-key=\"analytics.basic\"");
    assert!(analytics.contains("revoked for this user") && analytics.contains("differs diff-only-b"));
    // Same permissions aside, what else decides their contacts: data settings, teams, reach.
    let c = &mut app.conn();
    crate::fixtures::team(c, "North", Some(v), &[u]);
    crate::fixtures::set_only_owned(c, u);
    let owned = crate::fixtures::contact(c, "Owned", Some(u));
    crate::fixtures::contact(c, "Other", Some(app.create_user("w@example.com", Role::Salesperson)));
    crate::fixtures::co_owner(c, owned, v, true);
    let html = b.page(&format!("/presets/compare?a=u:{u}&b=u:{v}")).await;
    let line = |label: &str| row(&html, &format!("data-fact=\"{label}\"")).to_string();
    let only = line("Only contacts this user owns");
    assert!(only.contains("differs") && only.contains("<td class=\"side-a\">yes</td>"), "{only}");
    assert!(line("Member of teams").contains("<td class=\"side-a\">North</td>"));
    assert!(line("Manages teams").contains("<td class=\"side-b\">North</td>"));
    // u owns Owned; v reaches it as read-only co-owner and, as manager of North (u is its
    // main owner), at act: one contact each, not marked.
    let reached = line("Contacts reached (view or more)");
    assert!(!reached.contains("differs"), "{reached}");
    assert!(reached.contains("<td class=\"side-a\">1</td>") && reached.contains("<td class=\"side-b\">1</td>"));
    let change = line("Contacts they can change (edit or more)");
    assert!(!change.contains("differs"), "both change Owned: {change}");
    let preset_side = b.page(&format!("/presets/compare?a=u:{u}&b=p:{market}")).await;
    assert!(preset_side.contains("— (a preset)"));
    let presets_only = b.page(&format!("/presets/compare?a={sales}&b=p:{market}")).await;
    assert!(!presets_only.contains("id=\"compare-access\""), "no user, no contact access table");
    // A Marketer manages presets but may not look at users' permissions.
    assert_eq!(marketer.get(&format!("/presets/compare?a=u:{u}&b=u:{v}")).await.status(), 403);
    let page = marketer.page("/presets/compare").await;
    assert!(!page.contains("u@example.com"));
    assert!(page.contains("id=\"users-why\""), "the Marketer is told why users are not offered: {page}");
    assert_eq!(b.get("/presets/compare?a=p:999999&b=p:1").await.status(), 404);
}

#[tokio::test]
async fn sources_many_agrees_with_sources() {
    let app = spawn_app().await;
    let admin = app.create_user("ada@example.com", Role::Administrator);
    let p = custom(&app, admin, "Reach", &["sms.send", "tests.ab_messages"]);
    let a = app.create_user("a@example.com", Role::Salesperson);
    let b = app.create_user("b@example.com", Role::Marketer);
    let nobody = app.create_user("c@example.com", Role::User);
    diesel::delete(user_presets::table.filter(user_presets::user_id.eq(nobody))).execute(&mut app.conn()).unwrap();
    hold(&app, a, p);
    app.override_key(a, "contacts.delete", true);
    app.override_key(b, "email.send", false);
    let mut conn = app.conn();
    let ids = [admin, a, b, nobody, 987_654];
    let many = store::sources_many(&mut conn, &ids).unwrap();
    assert_eq!(many.len(), ids.len());
    for id in ids {
        let one = store::sources(&mut conn, id).unwrap();
        let m = &many[&id];
        assert_eq!((&m.presets, m.grants, m.revokes), (&one.presets, one.grants, one.revokes), "user {id}");
    }
    assert!(many[&a].grants.contains(custodian::permissions::Perm::ContactsDelete));
    assert_eq!(many[&a].presets.len(), 2);
    assert!(many[&nobody].effective().is_empty());
}
