//! Contact screens: route × role refusals, create/edit/delete, optimistic locking, concurrent
//! owner edits, notifications, and the owner-panel browser flow.

use crate::fixtures::*;
use crate::helpers::*;
use custodian::db::schema::{audit_log, contacts, notifications};
use custodian::permissions::Role;
use diesel::prelude::*;

#[tokio::test]
async fn every_contact_route_refuses_what_it_must() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, op) = app.signed_in("olga@example.com", Role::SendingOperator).await;
    let id = contact(&mut app.conn(), "Target", Some(sam_id));
    let token = csrf_token(&sam.page("/").await).unwrap();
    let op_token = csrf_token(&op.page("/").await).unwrap();
    // A Sending operator has no contacts.view: no list, no card, no forms.
    for path in
        ["/contacts".to_string(), format!("/contacts/{id}"), "/contacts/new".into(), format!("/contacts/{id}/delete")]
    {
        assert_eq!(op.get(&path).await.status(), 403, "GET {path}");
    }
    // A Salesperson lacks contacts.assign and contacts.delete, even on their own contact.
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/contacts/{id}/owners"), vec![("op", "set_me")]),
        (format!("/contacts/{id}/groups"), vec![("op", "add"), ("group_id", "1")]),
        (format!("/contacts/{id}/confidential"), vec![("confidential", "true")]),
        (format!("/contacts/{id}/delete"), vec![]),
    ];
    for (path, fields) in &posts {
        let mut f = vec![("csrf_token", token.as_str())];
        f.extend(fields.iter().copied());
        assert_eq!(sam.post_raw(path, &f).await.status(), 403, "POST {path} as Salesperson");
        let mut f = vec![("csrf_token", op_token.as_str())];
        f.extend(fields.iter().copied());
        assert_eq!(op.post_raw(path, &f).await.status(), 403, "POST {path} as Sending operator");
    }
    assert_eq!(sam.get(&format!("/contacts/{id}/delete")).await.status(), 403);
    let c = contacts::table
        .find(id)
        .select((contacts::main_owner_id, contacts::confidential))
        .first::<(Option<i64>, bool)>(&mut app.conn())
        .unwrap();
    assert_eq!(c, (Some(sam_id), false), "nothing changed");
    // Signed-out visitors are sent to sign in.
    assert_eq!(app.browser().get(&format!("/contacts/{id}")).await.status(), 303);
}

#[tokio::test]
async fn create_validates_and_makes_the_creator_main_owner() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let bad = sam
        .submit(
            "/contacts/new",
            "/contacts/new",
            &[("email", "not-an-email"), ("first_name", "Ann"), ("phone", "600100200")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.unwrap();
    assert!(body.contains("Enter a valid email address"));
    assert!(body.contains("country code"));
    assert!(body.contains("value=\"Ann\""), "typed input kept");
    let ok = sam
        .submit(
            "/contacts/new",
            "/contacts/new",
            &[("email", "ann@acme.test"), ("first_name", "Ann"), ("phone", "+48 600-100 200")],
        )
        .await;
    assert_eq!(ok.status(), 303);
    let (owner, phone): (Option<i64>, Option<String>) = contacts::table
        .filter(contacts::email.eq("ann@acme.test"))
        .select((contacts::main_owner_id, contacts::phone))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(phone.as_deref(), Some("+48600100200"), "issue #30: stored in E.164, as users' phones are");
    // Issue #30: one phone rule: a number its country cannot have is refused too.
    let short = sam
        .submit(
            "/contacts/new",
            "/contacts/new",
            &[("email", "bo@acme.test"), ("first_name", "Bo"), ("phone", "+48 600")],
        )
        .await;
    assert_eq!(short.status(), 422);
    assert!(short.text().await.unwrap().contains("not a valid phone number for its country code"));
    assert_eq!(owner, Some(sam_id));
    let dup =
        sam.submit("/contacts/new", "/contacts/new", &[("email", "ANN@acme.test"), ("first_name", "Again")]).await;
    assert_eq!(dup.status(), 422);
    assert!(dup.text().await.unwrap().contains("Another contact already has this email"));
}

#[tokio::test]
async fn a_stale_form_is_refused_with_what_changed_and_the_input_kept() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    let id = contact(&mut app.conn(), "Original", Some(sam_id));
    let path = format!("/contacts/{id}");
    let sam_html = sam.page(&path).await;
    let sam_token = csrf_token(&sam_html).unwrap();
    // The manager saves first.
    let r = mgr
        .submit(
            &path,
            &path,
            &[
                ("version", "1"),
                ("orig_first_name", "Original"),
                ("first_name", "Managers"),
                ("email", "original@contacts.test"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    // Sam's form still carries version 1.
    let r = sam
        .post_raw(
            &path,
            &[
                ("csrf_token", &sam_token),
                ("version", "1"),
                ("orig_first_name", "Original"),
                ("orig_email", "original@contacts.test"),
                ("first_name", "Sams"),
                ("email", "original@contacts.test"),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("Someone else saved this contact"));
    assert!(body.contains("First name: now “Managers”"), "says what changed");
    assert!(body.contains("value=\"Sams\""), "Sam's input is kept");
    assert_eq!(first_name(&mut app.conn(), id), "Managers", "nothing of Sam's was saved");
}

#[tokio::test]
async fn concurrent_owner_edits_lose_no_update() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let id = contact(&mut app.conn(), "Busy", None);
    let users: Vec<i64> = (0..16).map(|i| app.create_user(&format!("co{i}@example.com"), Role::User)).collect();
    let path = format!("/contacts/{id}");
    let token = csrf_token(&admin.page(&path).await).unwrap();
    let action = format!("/contacts/{id}/owners");
    let requests = (0..16).map(|i| {
        let email = format!("co{i}@example.com");
        let ro = if i % 2 == 0 { "true" } else { "false" };
        let fields = vec![
            ("csrf_token".to_string(), token.clone()),
            ("op".into(), "add".into()),
            ("email".into(), email),
            ("read_only".into(), ro.into()),
        ];
        admin.client.post(admin.url(&action)).form(&fields).send()
    });
    let results = futures_util::future::join_all(requests).await;
    assert!(results.iter().all(|r| r.as_ref().unwrap().status() == 303));
    let rows = co_owners_of(&mut app.conn(), id);
    assert_eq!(rows.len(), 16, "every co-owner added");
    for (uid, ro) in rows {
        let i = users.iter().position(|u| *u == uid).unwrap();
        assert_eq!(ro, i % 2 == 0);
    }
    // Concurrent saves of the same form version: exactly one wins, the others are told.
    let saves = (0..8).map(|i| {
        let fields = vec![
            ("csrf_token".to_string(), token.clone()),
            ("version".into(), "1".into()),
            ("first_name".into(), format!("Name{i}")),
        ];
        admin.client.post(admin.url(&path)).form(&fields).send()
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(saves).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
}

#[tokio::test]
async fn owner_panel_sets_owners_and_owners_are_notified() {
    let app = spawn_app().await;
    let (owner_id, owner) = app.signed_in("owner@example.com", Role::Salesperson).await;
    let (mgr_id, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    app.create_user("co@example.com", Role::Salesperson);
    let id = contact(&mut app.conn(), "Panel", Some(owner_id));
    let path = format!("/contacts/{id}");
    let owners = format!("/contacts/{id}/owners");
    let r = mgr.submit(&path, &owners, &[("op", "add"), ("email", "nobody@example.com")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("There is no active user with the email"));
    assert_eq!(
        mgr.submit(&path, &owners, &[("op", "add"), ("email", "co@example.com"), ("read_only", "true")]).await.status(),
        303
    );
    // The owner hears about it: unread badge, list, mark read.
    let dash = owner.page("/").await;
    assert!(dash.contains("1 unread notifications"), "{dash}");
    let list = owner.page("/notifications").await;
    assert!(list.contains("max@example.com changed the owners of “Panel”"));
    owner.submit("/notifications", "/notifications/read", &[]).await;
    assert!(!owner.page("/").await.contains("unread notifications"));
    // "Set me" makes the manager main owner; the actor is not notified of their own change.
    assert_eq!(mgr.submit(&path, &owners, &[("op", "set_me")]).await.status(), 303);
    let main: Option<i64> = contacts::table.find(id).select(contacts::main_owner_id).first(&mut app.conn()).unwrap();
    assert_eq!(main, Some(mgr_id));
    let mine: i64 =
        notifications::table.filter(notifications::user_id.eq(mgr_id)).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(mine, 0);
    let audited: i64 = audit_log::table
        .filter(audit_log::object_type.eq("contact"))
        .filter(audit_log::object_id.eq(id.to_string()))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 2);
    let card = mgr.page(&path).await;
    assert!(card.contains("contact.add_co_owner") && card.contains("contact.set_main_owner"), "history on the card");
}

#[tokio::test]
async fn delete_confirms_then_removes_and_audits() {
    let app = spawn_app().await;
    let (_, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    let id = contact(&mut app.conn(), "Doomed", None);
    let confirm = mgr.page(&format!("/contacts/{id}/delete")).await;
    assert!(confirm.contains("Delete Doomed?"));
    let r = mgr.submit(&format!("/contacts/{id}/delete"), &format!("/contacts/{id}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(mgr.get(&format!("/contacts/{id}")).await.status(), 404);
    let before: Option<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("contact.delete"))
        .select(audit_log::before)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(before.unwrap()["contact"]["first_name"], "Doomed");
}

#[tokio::test]
async fn browser_sets_a_co_owner_read_only_and_the_co_owner_sees_a_read_only_card() {
    use thirtyfour::prelude::*;
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let co = app.create_user("co@example.com", Role::Salesperson);
    let id = contact(&mut app.conn(), "Browsed", None);
    co_owner(&mut app.conn(), id, co, false);
    let chrome = crate::browser::Chrome::start().await;
    chrome.login(&app.address, "ada@example.com", TEST_PASSWORD).await;
    chrome.driver.goto(format!("{}/contacts/{id}", app.address)).await.unwrap();
    chrome.wait_for(By::Id(format!("ro-{co}"))).await.click().await.unwrap();
    let flash = chrome.wait_for(By::Css(".flash")).await.text().await.unwrap();
    assert_eq!(flash, "Co-owner updated.");
    let owners = chrome.driver.find(By::Css(".co-owners")).await.unwrap().text().await.unwrap();
    assert!(owners.contains("co@example.com read-only"), "{owners}");
    assert_eq!(co_owners_of(&mut app.conn(), id), vec![(co, true)]);
    // The co-owner signs in: the card shows, without any edit form.
    chrome.click_through(By::Css("form[action='/logout'] button")).await;
    chrome.login(&app.address, "co@example.com", TEST_PASSWORD).await;
    chrome.driver.goto(format!("{}/contacts/{id}", app.address)).await.unwrap();
    let access = chrome.wait_for(By::Css("main p.muted")).await.text().await.unwrap();
    assert!(access.contains("Your access: see"), "{access}");
    assert!(chrome.driver.find_all(By::Css("form[action='/contacts/{id}'] button")).await.unwrap().is_empty());
    assert!(chrome.driver.find_all(By::Css("input[name=first_name]")).await.unwrap().is_empty(), "no edit form");
    chrome.quit().await;
}

/// Issue #30: "Save details" with nothing changed changes nothing: no new version (others'
/// open forms stay current), no audit entry, no notice to the owners.
#[tokio::test]
async fn saving_details_unchanged_changes_nothing() {
    use custodian::db::schema::{audit_log, contacts, notifications};
    let app = spawn_app().await;
    let (sam_id, _) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    let c = &mut app.conn();
    let id = contact(c, "Same", Some(sam_id));
    let path = format!("/contacts/{id}");
    let email: Option<String> = contacts::table.find(id).select(contacts::email).first(c).unwrap();
    let email = email.unwrap_or_default();
    // The stored values, retyped with spaces around (stored trimmed: still the same).
    let r = mgr.submit(&path, &path, &[("version", "1"), ("first_name", " Same "), ("email", &email)]).await;
    assert_eq!(r.status(), 303);
    assert!(mgr.page(&path).await.contains("Nothing to save: no field was changed."));
    let version: i32 = contacts::table.find(id).select(contacts::version).first(c).unwrap();
    assert_eq!(version, 1, "no new version");
    let audited: i64 = audit_log::table.filter(audit_log::action.eq("contact.update")).count().get_result(c).unwrap();
    assert_eq!(audited, 0, "no audit entry");
    let told: i64 = notifications::table.filter(notifications::user_id.eq(sam_id)).count().get_result(c).unwrap();
    assert_eq!(told, 0, "no notice to the owner");
    // A real change still saves, records and tells.
    let r = mgr.submit(&path, &path, &[("version", "1"), ("first_name", "Changed"), ("email", &email)]).await;
    assert_eq!(r.status(), 303);
    let version: i32 = contacts::table.find(id).select(contacts::version).first(c).unwrap();
    assert_eq!(version, 2);
    let audited: i64 = audit_log::table.filter(audit_log::action.eq("contact.update")).count().get_result(c).unwrap();
    assert_eq!(audited, 1);
    let told: i64 = notifications::table.filter(notifications::user_id.eq(sam_id)).count().get_result(c).unwrap();
    assert_eq!(told, 1);
}
