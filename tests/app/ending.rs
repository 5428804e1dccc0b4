//! Access that ends on time (issue #32) over HTTP: an end set on a co-owner (owner panel), an
//! access-group grant (group page: add and change) and a team membership (team page), shown
//! where the access is shown and audited; a wrong end refused beside its field with what was
//! typed kept; ended access gone at once, before the expiry sweep runs; the sweep's removal,
//! audit entry and notices; and giving again what has ended.

use crate::fixtures;
use crate::helpers::*;
use custodian::db::schema::{audit_log, notifications};
use custodian::db::views::{access_group_grants, contact_owners, team_members};
use custodian::permissions::Role;
use diesel::prelude::*;

/// An hour from now, as a date-and-time field sends it.
fn in_an_hour() -> (String, chrono::DateTime<chrono::Utc>) {
    let at = chrono::Utc::now() + chrono::Duration::hours(1);
    let at = at.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M").to_string();
    let parsed = chrono::NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M").unwrap().and_utc();
    (at, parsed)
}

/// Moves every stored end of `table` into the past, as time passing would.
fn time_passes(app: &TestApp, table: &str) {
    diesel::sql_query(format!("UPDATE {table} SET ends_at = now() - interval '1 second' WHERE ends_at IS NOT NULL"))
        .execute(&mut app.conn())
        .unwrap();
}

fn messages_of(app: &TestApp, user: i64) -> Vec<String> {
    notifications::table
        .filter(notifications::user_id.eq(user))
        .order(notifications::id)
        .select(notifications::message)
        .load(&mut app.conn())
        .unwrap()
}

fn actions(app: &TestApp, action: &str) -> i64 {
    audit_log::table.filter(audit_log::action.eq(action)).count().get_result(&mut app.conn()).unwrap()
}

#[tokio::test]
async fn a_co_owner_until_a_time_loses_the_contact_at_that_time() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let sid = app.create_user("sid@example.com", Role::User);
    let contact = fixtures::contact(&mut app.conn(), "Jana", Some(sam));
    let card = format!("/contacts/{contact}");
    let panel = format!("/contacts/{contact}/owners");

    // A wrong end is refused and nothing is written.
    let r =
        b.submit(&card, &panel, &[("op", "add"), ("email", "sid@example.com"), ("until", "2020-01-01T10:00")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("The end must be later than now"));
    assert!(fixtures::co_owners_of(&mut app.conn(), contact).is_empty());

    let (until, at) = in_an_hour();
    let r = b.submit(&card, &panel, &[("op", "add"), ("email", "sid@example.com"), ("until", &until)]).await;
    assert_eq!(r.status(), 303);
    let ends: Option<chrono::DateTime<chrono::Utc>> = contact_owners::table
        .filter(contact_owners::contact_id.eq(contact))
        .select(contact_owners::ends_at)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(ends, Some(at));
    let words = custodian::access::ends::until(at);
    let html = b.page(&card).await;
    assert!(html.contains(&words), "the owner panel shows the end");
    // The explainer's "who can see this contact" says until when Sid's path lasts.
    assert!(html.contains(&format!("is a co-owner, {words}")), "{html}");
    // The audit sentence says until when.
    let log = b.page("/audit").await;
    assert!(log.contains(&format!("</a> {words}")), "{log}");

    // Sid sees the contact until the end; the moment it has come, not any more — before any
    // sweep has removed the row.
    let sid_b = app.browser();
    sid_b.login("sid@example.com", TEST_PASSWORD).await;
    assert_eq!(sid_b.get(&card).await.status(), 200);
    time_passes(&app, "contact_owners_all");
    assert_eq!(sid_b.get(&card).await.status(), 404);
    assert!(b.page(&card).await.contains("No co-owners."), "an ended co-owner is not listed");

    // The sweep removes it, audits it as the system's and tells Sid and whoever set the end.
    custodian::expiry::sweep_once(&mut app.conn()).unwrap();
    let stored: i64 = diesel::sql_query("SELECT count(*) AS n FROM contact_owners_all")
        .get_result::<Count>(&mut app.conn())
        .unwrap()
        .n;
    assert_eq!(stored, 0);
    assert_eq!(actions(&app, "contact.co_owner_ended"), 1);
    assert!(messages_of(&app, sid).contains(&format!("Your co-ownership of contact #{contact} has ended.")));
    assert!(messages_of(&app, admin)
        .contains(&format!("The co-ownership of contact #{contact} of sid@example.com has ended, as you set.")));
    let log = b.page("/audit").await;
    assert!(log.contains("The system removed") && log.contains(": the co-ownership had ended"), "{log}");

    // Given again with no end: Sid sees the contact again.
    let r = b.submit(&card, &panel, &[("op", "add"), ("email", "sid@example.com")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(sid_b.get(&card).await.status(), 200);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test]
async fn a_grant_until_a_time_is_set_changed_and_ends() {
    let app = spawn_app().await;
    let (_admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let uma = app.create_user("uma@example.com", Role::User);
    let group = fixtures::group(&mut app.conn(), "Campaign");
    let contact = fixtures::contact(&mut app.conn(), "Karel", None);
    fixtures::in_group(&mut app.conn(), contact, group);
    let page = format!("/access-groups/{group}");
    let grants = format!("/access-groups/{group}/grants");

    // A wrong end: beside the field, with what was typed kept.
    let r = b
        .submit(
            &page,
            &grants,
            &[("target", "user"), ("email", "uma@example.com"), ("level", "view"), ("until", "soon")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("“soon” is not a date and time"), "{html}");
    assert!(html.contains("value=\"soon\""), "{html}");

    let (until, at) = in_an_hour();
    let r = b
        .submit(
            &page,
            &grants,
            &[("target", "user"), ("email", "uma@example.com"), ("level", "view"), ("until", &until)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let html = b.page(&page).await;
    assert!(html.contains(&custodian::access::ends::until(at)), "{html}");
    let uma_b = app.browser();
    uma_b.login("uma@example.com", TEST_PASSWORD).await;
    assert_eq!(uma_b.get(&format!("/contacts/{contact}")).await.status(), 200);

    // Ended early by a change: an end of an hour ago is refused (in the past); ending it means
    // an end set sooner, and extending it (no end) is a change like a higher level.
    let grant: i64 = access_group_grants::table.select(access_group_grants::id).first(&mut app.conn()).unwrap();
    let change = format!("/access-groups/{group}/grants/{grant}");
    let r = b.submit(&page, &change, &[("level", "view"), ("until", "2020-01-01T00:00")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(&format!("The end of grant #{grant}: The end must be later than now")));
    let r = b.submit(&page, &change, &[("level", "edit"), ("until", "")]).await;
    assert_eq!(r.status(), 303);
    let stored: (String, Option<chrono::DateTime<chrono::Utc>>) = access_group_grants::table
        .find(grant)
        .select((access_group_grants::level, access_group_grants::ends_at))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(stored, ("edit".to_string(), None));
    let r = b.submit(&page, &change, &[("level", "edit"), ("until", &until)]).await;
    assert_eq!(r.status(), 303);

    time_passes(&app, "access_group_grants_all");
    assert_eq!(uma_b.get(&format!("/contacts/{contact}")).await.status(), 404, "ended: gone before any sweep");
    assert!(b.page(&page).await.contains("No grants yet"));
    custodian::expiry::sweep_once(&mut app.conn()).unwrap();
    assert_eq!(actions(&app, "access_group.grant_ended"), 1);
    assert!(messages_of(&app, uma)
        .contains(&"Your access through access group Campaign (see and edit) has ended.".to_string()));
}

#[tokio::test]
async fn a_team_membership_until_a_time_ends_the_managers_reach() {
    let app = spawn_app().await;
    let (_admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let boss = app.create_user("boss@example.com", Role::Manager);
    // (A manager sees the whole base by default; this one only through the team.)
    app.override_key(boss, "contacts.all", false);
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let team = fixtures::team(&mut app.conn(), "North", Some(boss), &[]);
    let contact = fixtures::contact(&mut app.conn(), "Olga", Some(sam));
    let (page, members) = (format!("/teams/{team}"), format!("/teams/{team}/members"));

    let r = b.submit(&page, &members, &[("email", "sam@example.com"), ("until", "2999-01-01")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("The end must be within 10 years"), "{html}");
    assert!(html.contains("value=\"sam@example.com\"") && html.contains("value=\"2999-01-01\""), "{html}");

    let (until, at) = in_an_hour();
    let r = b.submit(&page, &members, &[("email", "sam@example.com"), ("until", &until)]).await;
    assert_eq!(r.status(), 303);
    let html = b.page(&page).await;
    assert!(html.contains(&custodian::access::ends::until(at)), "{html}");
    let ends: Option<chrono::DateTime<chrono::Utc>> =
        team_members::table.select(team_members::ends_at).first(&mut app.conn()).unwrap();
    assert_eq!(ends, Some(at));

    let card = b.page(&format!("/contacts/{contact}?why=boss%40example.com")).await;
    let path = format!("whose member sam@example.com is the main owner, {}", custodian::access::ends::until(at));
    assert!(card.contains(&path), "the explainer says until when the manager's path lasts: {card}");
    let boss_b = app.browser();
    boss_b.login("boss@example.com", TEST_PASSWORD).await;
    assert_eq!(boss_b.get(&format!("/contacts/{contact}")).await.status(), 200, "the manager reaches sam's contact");
    time_passes(&app, "team_members_all");
    assert_eq!(boss_b.get(&format!("/contacts/{contact}")).await.status(), 404, "not once the membership has ended");
    custodian::expiry::sweep_once(&mut app.conn()).unwrap();
    assert_eq!(actions(&app, "team.member_ended"), 1);
    assert!(messages_of(&app, sam).contains(&"Your membership of team North has ended.".to_string()));
}

#[tokio::test]
async fn bulk_manage_adds_co_owners_until_a_time_and_keeps_existing_ends() {
    use crate::manage::{execute, preview};
    let app = spawn_app().await;
    let (_admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sid = app.create_user("sid@example.com", Role::User);
    let c = &mut app.conn();
    let ids: Vec<i64> = (0..3).map(|i| fixtures::contact(c, &format!("Ending{i}"), None)).collect();
    // Sid already co-owns the first one, with no end: a bulk end never shortens it.
    fixtures::co_owner(c, ids[0], sid, false);

    let r = preview(&b, "q=ending", &[("q", "ending"), ("add_co_owner_until", "2030-01-01T00:00")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("An end applies to the co-owner added: enter their email too."), "{html}");
    assert!(html.contains("value=\"2030-01-01T00:00\""), "what was typed is kept: {html}");

    let (until, at) = in_an_hour();
    let fields = [("q", "ending"), ("add_co_owner", "sid@example.com"), ("add_co_owner_until", until.as_str())];
    let html = preview(&b, "q=ending", &fields).await.text().await.unwrap();
    let words = custodian::access::ends::until(at);
    assert!(html.contains(&format!("Add co-owner sid@example.com {words}")), "the preview says until when: {html}");
    execute(&b, &html).await;
    let ends: Vec<(i64, Option<chrono::DateTime<chrono::Utc>>)> = contact_owners::table
        .filter(contact_owners::user_id.eq(sid))
        .order(contact_owners::contact_id)
        .select((contact_owners::contact_id, contact_owners::ends_at))
        .load(c)
        .unwrap();
    assert_eq!(ends, vec![(ids[0], None), (ids[1], Some(at)), (ids[2], Some(at))]);
}

#[tokio::test]
async fn the_wizard_gives_a_preset_until_a_time() {
    use crate::users::{details, permissions, person, save, system_preset, user_id, wizard_id};
    use custodian::permissions::{Perm, Role as R};
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let r = details(&b, "/users/new", None, &person("opal@example.com"), None).await;
    let w = wizard_id(&location(&r));
    permissions(&b, "/users/new", &w, &[("role", "sending_operator"), ("action", "refresh")]).await;
    let sys = system_preset(&app, R::SendingOperator).to_string();
    let keys = R::SendingOperator.default_permissions().keys();
    let r = permissions(&b, "/users/new", &w, &step2(&sys, &keys, "soon")).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("The end of a preset: Sending operator: “soon” is not a date and time"), "{html}");
    assert!(html.contains("value=\"soon\""), "what was typed is kept: {html}");

    let (until, at) = in_an_hour();
    let r = permissions(&b, "/users/new", &w, &step2(&sys, &keys, &until)).await;
    assert_eq!(location(&r), format!("/users/new?w={w}&step=3"));
    let words = custodian::access::ends::until(at);
    assert!(
        b.page(&format!("/users/new?w={w}&step=3")).await.contains(&format!("({words})")),
        "the summary says until when"
    );
    save(&b, "/users/new", &w).await;
    let opal = user_id(&app, "opal@example.com");
    let stored: (Option<chrono::DateTime<chrono::Utc>>, Option<i64>) = custodian::db::views::user_presets::table
        .filter(custodian::db::views::user_presets::user_id.eq(opal))
        .select((custodian::db::views::user_presets::ends_at, custodian::db::views::user_presets::ends_set_by))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(stored, (Some(at), Some(admin)));
    assert!(b.page(&format!("/users/{opal}")).await.contains(&words), "the user card says until when");
    let holds = |app: &TestApp| {
        custodian::access::facts::subject(&mut app.conn(), opal).unwrap().unwrap().perms.contains(Perm::EmailSend)
    };
    assert!(holds(&app));
    time_passes(&app, "user_presets_all");
    assert!(!holds(&app), "the preset's keys are gone the moment it ends");
    custodian::expiry::sweep_once(&mut app.conn()).unwrap();
    assert!(messages_of(&app, opal).contains(&"Your preset Sending operator has ended.".to_string()));
}

/// Step 2 of the wizard for a sending operator holding their system preset `sys` (with its
/// `keys` ticked) until `until`.
fn step2<'a>(sys: &'a str, keys: &'a [&'a str], until: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut f: Vec<(&str, &str)> = vec![("role", "sending_operator"), ("preset", sys), ("action", "next")];
    f.extend(keys.iter().map(|k| ("perm", *k)));
    f.extend([("until_for", sys), ("until", until)]);
    f
}

#[tokio::test]
async fn what_ends_this_week_is_listed_for_administrators_and_told_once_before() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sid = app.create_user("sid@example.com", Role::User);
    let contact = fixtures::contact(&mut app.conn(), "Jana", None);
    let (card, panel) = (format!("/contacts/{contact}"), format!("/contacts/{contact}/owners"));
    let (until, at) = in_an_hour();
    b.submit(&card, &panel, &[("op", "add"), ("email", "sid@example.com"), ("until", &until)]).await;

    let start = b.page("/").await;
    assert!(start.contains("Access ending this week"), "{start}");
    assert!(
        start.contains(&format!(
            "sid@example.com: co-ownership of Jana</a> <span class=\"until\">{}",
            custodian::access::ends::until(at)
        )),
        "{start}"
    );
    // Not for someone who is not an Administrator.
    let sid_b = app.browser();
    sid_b.login("sid@example.com", TEST_PASSWORD).await;
    assert!(!sid_b.page("/").await.contains("Access ending this week"));

    // Told once, to the holder and to whoever set the end (the background sweep may have told
    // already: either way, exactly once).
    custodian::expiry::notify_soon(&mut app.conn()).unwrap();
    assert_eq!(custodian::expiry::notify_soon(&mut app.conn()).unwrap(), 0, "told once");
    let when = custodian::access::ends::until(at).replacen("until", "on", 1);
    let told = |user: i64, message: String| messages_of(&app, user).iter().filter(|m| **m == message).count();
    assert_eq!(told(sid, format!("Your co-ownership of Jana ends {when}.")), 1);
    assert_eq!(told(admin, format!("The co-ownership of Jana of sid@example.com ends {when}, as you set.")), 1);
}

#[tokio::test]
async fn the_complete_administrator_the_organisation_keeps_never_depends_on_an_end() {
    use crate::users::{details, permissions, save, system_preset, wizard_id};
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let bob = app.create_user("bob@example.com", Role::Administrator);
    let sys = system_preset(&app, Role::Administrator).to_string();
    let all = custodian::permissions::PermSet::all().keys();
    let step2 = |until: &str, leave_out: &str| -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = vec![
            ("role".into(), "administrator".into()),
            ("preset".into(), sys.clone()),
            ("action".into(), "next".into()),
        ];
        f.extend(all.iter().filter(|k| **k != leave_out).map(|k| ("perm".to_string(), k.to_string())));
        f.extend([("until_for".into(), sys.clone()), ("until".into(), until.to_string())]);
        f
    };
    // Ada gives Bob's Administrator preset an end: Ada stays a complete Administrator.
    let base = format!("/users/{bob}/edit");
    let fields = [("first_name", "Bob"), ("last_name", ""), ("email", "bob@example.com"), ("phone", "")];
    let w = wizard_id(&location(&details(&b, &base, None, &fields, None).await));
    let (until, _) = in_an_hour();
    let f = step2(&until, "");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(location(&permissions(&b, &base, &w, &f).await), format!("{base}?w={w}&step=3"));
    assert_eq!(location(&save(&b, &base, &w).await), format!("/users/{bob}"));
    // Bob, complete only until then, cannot take a permission from Ada: once Bob's preset
    // ends, nobody would hold every permission.
    let bob_b = app.browser();
    bob_b.login("bob@example.com", TEST_PASSWORD).await;
    let base = format!("/users/{ada}/edit");
    let fields = [("first_name", "Ada"), ("last_name", ""), ("email", "ada@example.com"), ("phone", "")];
    let w = wizard_id(&location(&details(&bob_b, &base, None, &fields, None).await));
    let f = step2("", "contacts.export");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    permissions(&bob_b, &base, &w, &f).await;
    let r = save(&bob_b, &base, &w).await;
    let html = r.text().await.unwrap();
    assert!(html.contains("This would leave no active Administrator holding every permission"), "{html}");
    let revoked: i64 = custodian::db::views::user_overrides::table
        .filter(custodian::db::views::user_overrides::user_id.eq(ada))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(revoked, 0, "Ada keeps every permission");
}
