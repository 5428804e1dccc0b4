//! Teams, access groups and the audit log viewer: CRUD over HTTP checked in the database,
//! refusals by role, audit filters, keyset pages, CSV export and the append-only log.

use crate::helpers::*;
use custodian::db::schema::{access_groups, audit_log, teams};
use custodian::db::views::{access_group_grants, team_members};
use custodian::permissions::Role;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

fn team_id(app: &TestApp, name: &str) -> i64 {
    teams::table.filter(teams::name.eq(name)).select(teams::id).first(&mut app.conn()).unwrap()
}

fn group_id(app: &TestApp, name: &str) -> i64 {
    access_groups::table.filter(access_groups::name.eq(name)).select(access_groups::id).first(&mut app.conn()).unwrap()
}

/// Actions recorded about one object, oldest first.
fn actions_on(app: &TestApp, object_type: &str, id: i64) -> Vec<String> {
    audit_log::table
        .filter(audit_log::object_type.eq(object_type))
        .filter(audit_log::object_id.eq(id.to_string()))
        .order(audit_log::id.asc())
        .select(audit_log::action)
        .load(&mut app.conn())
        .unwrap()
}

fn members_of(app: &TestApp, team: i64) -> Vec<i64> {
    team_members::table
        .filter(team_members::team_id.eq(team))
        .order(team_members::user_id)
        .select(team_members::user_id)
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn teams_are_created_edited_staffed_and_deleted_with_audit() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let boss = app.create_user("boss@example.com", Role::Manager);
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let uma = app.create_user("uma@example.com", Role::User);

    let r = b.submit("/teams/new", "/teams", &[("name", "Sales North"), ("manager_email", "BOSS@example.com")]).await;
    assert_eq!(r.status(), 303);
    let id = team_id(&app, "Sales North");
    assert_eq!(location(&r), format!("/teams/{id}"));
    let manager: Option<i64> = teams::table.find(id).select(teams::manager_id).first(&mut app.conn()).unwrap();
    assert_eq!(manager, Some(boss));

    // Members by email; a user may be in several teams.
    let page = format!("/teams/{id}");
    let members = format!("/teams/{id}/members");
    assert_eq!(b.submit(&page, &members, &[("email", "sam@example.com")]).await.status(), 303);
    assert_eq!(b.submit(&page, &members, &[("email", "uma@example.com")]).await.status(), 303);
    assert_eq!(members_of(&app, id), vec![sam, uma]);
    b.submit("/teams/new", "/teams", &[("name", "Key accounts"), ("manager_email", "")]).await;
    let other = team_id(&app, "Key accounts");
    b.submit(&format!("/teams/{other}"), &format!("/teams/{other}/members"), &[("email", "sam@example.com")]).await;
    assert_eq!(members_of(&app, other), vec![sam]);
    // Several at once: all of them or, when one cannot be added, none, each refusal named and
    // what was typed kept.
    let (other_page, other_members) = (format!("/teams/{other}"), format!("/teams/{other}/members"));
    let r = b.submit(&other_page, &other_members, &[("email", "uma@example.com, nobody@example.com")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Nobody was added. nobody@example.com: No user has this email."), "{html}");
    assert!(html.contains("value=\"uma@example.com, nobody@example.com\""), "{html}");
    assert_eq!(members_of(&app, other), vec![sam], "uma was not added on her own");
    let r =
        b.submit(&other_page, &other_members, &[("email", "uma@example.com; SAM@example.com, uma@example.com")]).await;
    assert_eq!(r.status(), 303);
    assert!(b
        .page(&other_page)
        .await
        .contains("uma@example.com added to the team. sam@example.com was already a member."));
    assert_eq!(members_of(&app, other), vec![sam, uma]);

    // The list shows manager and member count.
    let list = b.page("/teams").await;
    assert!(list.contains("Sales North") && list.contains("boss@example.com"), "{list}");
    assert!(list.contains("<td>2</td>"), "{list}");

    // Rename and drop the manager.
    let r = b.submit(&page, &page, &[("name", "Sales South"), ("manager_email", "")]).await;
    assert_eq!(r.status(), 303);
    let (name, manager): (String, Option<i64>) =
        teams::table.find(id).select((teams::name, teams::manager_id)).first(&mut app.conn()).unwrap();
    assert_eq!((name.as_str(), manager), ("Sales South", None));

    // Remove a member.
    let r = b.submit(&page, &format!("/teams/{id}/members/{uma}/remove"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(members_of(&app, id), vec![sam]);

    // The team page shows its history with before/after.
    let html = b.page(&page).await;
    assert!(html.contains("History") && html.contains("team.member_remove") && html.contains("Sales North"), "{html}");

    // Delete after confirmation.
    let confirm = b.page(&format!("/teams/{id}/delete")).await;
    assert!(confirm.contains("1 membership"), "{confirm}");
    let r = b.submit(&format!("/teams/{id}/delete"), &format!("/teams/{id}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(teams::table.filter(teams::id.eq(id)).count().get_result::<i64>(&mut app.conn()).unwrap(), 0);
    assert_eq!(members_of(&app, id), Vec::<i64>::new());
    assert_eq!(members_of(&app, other), vec![sam, uma], "other teams keep their members");

    assert_eq!(
        actions_on(&app, "team", id),
        ["team.create", "team.member_add", "team.member_add", "team.update", "team.member_remove", "team.delete"]
    );
    let (before, after): (Option<serde_json::Value>, Option<serde_json::Value>) = audit_log::table
        .filter(audit_log::action.eq("team.update"))
        .select((audit_log::before, audit_log::after))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(before.unwrap()["manager_email"], "boss@example.com");
    assert_eq!(after.unwrap()["name"], "Sales South");
    let actor: Option<i64> = audit_log::table
        .filter(audit_log::action.eq("team.delete"))
        .select(audit_log::actor_id)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(actor, Some(admin));
}

#[tokio::test]
async fn bad_team_input_is_refused_beside_the_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let gone = app.create_user("gone@example.com", Role::User);
    diesel::sql_query(format!("UPDATE users SET status = 'deactivated' WHERE id = {gone}"))
        .execute(&mut app.conn())
        .unwrap();
    b.submit("/teams/new", "/teams", &[("name", "Sales"), ("manager_email", "")]).await;
    let id = team_id(&app, "Sales");

    let r = b.submit("/teams/new", "/teams", &[("name", "  sALES "), ("manager_email", "nobody@example.com")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Another team already has this name."), "{html}");
    assert!(html.contains("No user has this email."), "{html}");
    assert!(html.contains("value=\"nobody@example.com\""), "typed values are kept");
    let r = b.submit("/teams/new", "/teams", &[("name", ""), ("manager_email", "gone@example.com")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter a name.") && html.contains("This user is not active."), "{html}");
    assert_eq!(teams::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 1);

    let page = format!("/teams/{id}");
    let r = b.submit(&page, &format!("/teams/{id}/members"), &[("email", "gone@example.com")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("This user is not active."));
    app.create_user("sam@example.com", Role::Salesperson);
    b.submit(&page, &format!("/teams/{id}/members"), &[("email", "sam@example.com")]).await;
    let r = b.submit(&page, &format!("/teams/{id}/members"), &[("email", "sam@example.com")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("already a member"));
    assert_eq!(members_of(&app, id).len(), 1);
    assert_eq!(actions_on(&app, "team", id), ["team.create", "team.member_add"]);
    assert_eq!(b.get("/teams/999999").await.status(), 404);
}

fn grants_of(app: &TestApp, group: i64) -> Vec<(Option<i64>, Option<i64>, String)> {
    access_group_grants::table
        .filter(access_group_grants::group_id.eq(group))
        .order(access_group_grants::id)
        .select((access_group_grants::team_id, access_group_grants::user_id, access_group_grants::level))
        .load(&mut app.conn())
        .unwrap()
}

/// Inserts `n` contacts into access group `group`.
fn put_contacts_in(app: &TestApp, group: i64, n: usize) {
    app.conn()
        .batch_execute(&format!(
            "WITH c AS (INSERT INTO contacts (first_name) SELECT 'C' || g FROM generate_series(1, {n}) g RETURNING id) \
             INSERT INTO contact_access_groups (contact_id, group_id) SELECT id, {group} FROM c"
        ))
        .unwrap();
}

#[tokio::test]
async fn access_groups_and_their_grants_are_managed_with_audit() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    b.submit("/teams/new", "/teams", &[("name", "Sales"), ("manager_email", "")]).await;
    let team = team_id(&app, "Sales");

    let r = b.submit("/access-groups/new", "/access-groups", &[("name", "VIP"), ("description", "Top clients")]).await;
    assert_eq!(r.status(), 303);
    let id = group_id(&app, "VIP");
    let page = format!("/access-groups/{id}");
    let grants = format!("/access-groups/{id}/grants");
    let r = b.submit("/access-groups/new", "/access-groups", &[("name", "vip"), ("description", "")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Another access group already has this name."));

    let t = team.to_string();
    assert_eq!(b.submit(&page, &grants, &[("target", "team"), ("team_id", &t), ("level", "edit")]).await.status(), 303);
    assert_eq!(
        b.submit(&page, &grants, &[("target", "user"), ("email", "sam@example.com"), ("level", "view")]).await.status(),
        303
    );
    assert_eq!(grants_of(&app, id), vec![(Some(team), None, "edit".into()), (None, Some(sam), "view".into())]);
    let team_page = b.page(&format!("/teams/{team}")).await;
    assert!(team_page.contains(&format!("<a href=\"/access-groups/{id}\">VIP</a>: see and edit")), "{team_page}");

    // Refused: duplicate grant, unknown user, bad level. Nothing changes.
    let r = b.submit(&page, &grants, &[("target", "user"), ("email", "sam@example.com"), ("level", "act")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Already granted"));
    let r = b.submit(&page, &grants, &[("target", "user"), ("email", "who@example.com"), ("level", "superuser")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("No user has this email.") && html.contains("Choose see, see and edit, or edit and send."),
        "{html}"
    );
    assert_eq!(grants_of(&app, id).len(), 2);

    // Change a level, remove a grant.
    let user_grant: i64 = access_group_grants::table
        .filter(access_group_grants::user_id.eq(sam))
        .select(access_group_grants::id)
        .first(&mut app.conn())
        .unwrap();
    let r = b.submit(&page, &format!("/access-groups/{id}/grants/{user_grant}"), &[("level", "act")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(grants_of(&app, id)[1].2, "act");
    let r = b.submit(&page, &format!("/access-groups/{id}/grants/{user_grant}/remove"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(grants_of(&app, id), vec![(Some(team), None, "edit".into())]);

    // Edit name and description; the list shows the counts.
    let r = b.submit(&page, &page, &[("name", "VIP clients"), ("description", "Our best")]).await;
    assert_eq!(r.status(), 303);
    put_contacts_in(&app, id, 3);
    let list = b.page("/access-groups").await;
    assert!(list.contains("VIP clients") && list.contains("<td>3</td>") && list.contains("<td>1</td>"), "{list}");
    let html = b.page(&page).await;
    assert!(html.contains("team Sales") && html.contains("access_group.grant_remove"), "{html}");

    // Delete: the confirmation says how many contacts lose the group; contacts stay.
    let confirm = b.page(&format!("/access-groups/{id}/delete")).await;
    assert!(confirm.contains("3 contacts will lose this access group"), "{confirm}");
    let r = b.submit(&format!("/access-groups/{id}/delete"), &format!("/access-groups/{id}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(access_groups::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 0);
    assert_eq!(grants_of(&app, id).len(), 0);
    let contacts: i64 = custodian::db::schema::contacts::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(contacts, 3);
    assert_eq!(
        actions_on(&app, "access_group", id),
        [
            "access_group.create",
            "access_group.grant_add",
            "access_group.grant_add",
            "access_group.grant_update",
            "access_group.grant_remove",
            "access_group.update",
            "access_group.delete"
        ]
    );
    let before: Option<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("access_group.delete"))
        .select(audit_log::before)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(before.unwrap()["contacts"], 3);
}

/// Row counts of everything these screens change.
fn state(app: &TestApp) -> Vec<i64> {
    let mut c = app.conn();
    vec![
        teams::table.count().get_result(&mut c).unwrap(),
        team_members::table.count().get_result(&mut c).unwrap(),
        access_groups::table.count().get_result(&mut c).unwrap(),
        access_group_grants::table.count().get_result(&mut c).unwrap(),
        custodian::db::schema::api_tokens::table.count().get_result(&mut c).unwrap(),
        custodian::db::schema::api_tokens::table
            .filter(custodian::db::schema::api_tokens::revoked_at.is_not_null())
            .count()
            .get_result(&mut c)
            .unwrap(),
        audit_log::table.filter(audit_log::action.ne("user.login")).count().get_result(&mut c).unwrap(),
    ]
}

#[tokio::test]
async fn managers_and_marketers_are_refused_everywhere_and_nothing_changes() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    app.create_user("sam@example.com", Role::Salesperson);
    admin.submit("/teams/new", "/teams", &[("name", "Sales"), ("manager_email", "")]).await;
    let team = team_id(&app, "Sales");
    admin.submit(&format!("/teams/{team}"), &format!("/teams/{team}/members"), &[("email", "sam@example.com")]).await;
    admin.submit("/access-groups/new", "/access-groups", &[("name", "VIP"), ("description", "")]).await;
    let group = group_id(&app, "VIP");
    let t = team.to_string();
    admin
        .submit(
            &format!("/access-groups/{group}"),
            &format!("/access-groups/{group}/grants"),
            &[("target", "team"), ("team_id", &t), ("level", "view")],
        )
        .await;
    admin.submit("/api-tokens", "/api-tokens", &[("name", "ERP"), ("scope", "authorization")]).await;
    let grant: i64 = access_group_grants::table.select(access_group_grants::id).first(&mut app.conn()).unwrap();
    let token: i64 = custodian::db::schema::api_tokens::table
        .select(custodian::db::schema::api_tokens::id)
        .first(&mut app.conn())
        .unwrap();
    let sam: i64 = custodian::accounts::find_by_email(&mut app.conn(), "sam@example.com").unwrap().unwrap().id;

    let gets = [
        "/teams".to_string(),
        "/teams/new".into(),
        format!("/teams/{team}"),
        format!("/teams/{team}/delete"),
        "/access-groups".into(),
        "/access-groups/new".into(),
        format!("/access-groups/{group}"),
        format!("/access-groups/{group}/delete"),
        "/audit".into(),
        "/audit.csv".into(),
        "/api-tokens".into(),
    ];
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/teams".into(), vec![("name", "Mine"), ("manager_email", "")]),
        (format!("/teams/{team}"), vec![("name", "Renamed"), ("manager_email", "")]),
        (format!("/teams/{team}/members"), vec![("email", "ada@example.com")]),
        (format!("/teams/{team}/members/{sam}/remove"), vec![]),
        (format!("/teams/{team}/delete"), vec![]),
        ("/access-groups".into(), vec![("name", "Mine"), ("description", "")]),
        (format!("/access-groups/{group}"), vec![("name", "Renamed"), ("description", "")]),
        (
            format!("/access-groups/{group}/grants"),
            vec![("target", "user"), ("email", "ada@example.com"), ("level", "act")],
        ),
        (format!("/access-groups/{group}/grants/{grant}"), vec![("level", "act")]),
        (format!("/access-groups/{group}/grants/{grant}/remove"), vec![]),
        (format!("/access-groups/{group}/delete"), vec![]),
        ("/api-tokens".into(), vec![("name", "Mine")]),
        (format!("/api-tokens/{token}/revoke"), vec![]),
    ];
    let before = state(&app);
    for (email, role) in [("max@example.com", Role::Manager), ("mia@example.com", Role::Marketer)] {
        let (_, b) = app.signed_in(email, role).await;
        let home = b.page("/").await;
        for label in ["Teams", "Access groups", "Audit", "API tokens"] {
            assert!(!home.contains(&format!(">{label}</a>")), "{role:?} sees {label} in the navigation");
        }
        for path in &gets {
            assert_eq!(b.get(path).await.status(), 403, "{role:?} GET {path}");
        }
        for (path, fields) in &posts {
            assert_eq!(b.submit("/", path, fields).await.status(), 403, "{role:?} POST {path}");
        }
    }
    assert_eq!(state(&app), before, "refused requests changed nothing");
    let (name, manager): (String, Option<i64>) =
        teams::table.find(team).select((teams::name, teams::manager_id)).first(&mut app.conn()).unwrap();
    assert_eq!((name.as_str(), manager), ("Sales", None));
    let home = admin.page("/").await;
    for label in ["Teams", "Access groups", "Audit", "API tokens"] {
        assert!(home.contains(&format!(">{label}</a>")), "the Administrator sees {label}");
    }
}

/// Writes an audit entry directly (as other screens would).
fn record(app: &TestApp, actor: Option<i64>, action: &str, object_type: &str, id: i64, at: &str) {
    diesel::sql_query(format!(
        "INSERT INTO audit_log (at, actor_id, action, object_type, object_id, before, after) \
         VALUES ('{at}', {}, '{action}', '{object_type}', '{id}', '{{\"name\": \"old\"}}', '{{\"name\": \"new\"}}')",
        actor.map(|a| a.to_string()).unwrap_or("NULL".into())
    ))
    .execute(&mut app.conn())
    .unwrap();
}

#[tokio::test]
async fn audit_viewer_filters_pages_by_keyset_and_shows_changes() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    record(&app, Some(sam), "preset.update", "preset", 7, "2026-01-10 12:00:00+00");
    record(&app, Some(sam), "preset.update", "preset", 8, "2026-02-10 12:00:00+00");
    record(&app, None, "contact.update", "contact", 7, "2026-02-11 12:00:00+00");

    let html = b.page("/audit?actor=SAM%40example.com").await;
    assert_eq!(html.matches("<tr id=\"audit-").count(), 2, "{html}");
    // Told as sentences; an object that is gone is named from its entry, with its number.
    assert!(
        html.contains(&format!(
            "<a href=\"/users/{sam}\">Test Salesperson</a> changed the permissions of preset “new” (#7)"
        )) && html.contains("preset “new” (#8)")
            && !html.contains("edited contact"),
        "{html}"
    );
    assert!(html.contains("<td>name</td>") && html.contains("old") && html.contains("new"), "changed fields are shown");
    let html = b.page("/audit?object_type=preset&object_id=7").await;
    assert_eq!(html.matches("<tr id=\"audit-").count(), 1, "{html}");
    let html = b.page("/audit?action=contact.update").await;
    assert_eq!(html.matches("<tr id=\"audit-").count(), 1);
    assert!(
        html.contains("The system edited contact “new” (#7)"),
        "an entry without actor reads as the system: {html}"
    );
    let html = b.page("/audit?action=preset.update&from=2026-02-01&to=2026-02-10").await;
    assert_eq!(html.matches("<tr id=\"audit-").count(), 1, "the end date is inclusive: {html}");
    assert!(html.contains("(#8)"));
    let html = b.page("/audit?from=yesterday").await;
    assert!(html.contains("Enter a date as YYYY-MM-DD."), "{html}");
    let html = b.page("/audit?actor=nobody%40example.com").await;
    assert!(html.contains("No user has this email.") && html.contains("No entries match."));

    // Keyset pages: 120 entries, 50 per page, newest first, no overlap.
    app.conn()
        .batch_execute(
            "INSERT INTO audit_log (action, object_type, object_id) \
             SELECT 'bulk.test', 'thing', g::text FROM generate_series(1, 120) g",
        )
        .unwrap();
    let mut seen = Vec::new();
    let mut path = "/audit?action=bulk.test".to_string();
    // Each page says where it is (#30), counted with the filters.
    let mut positions = ["1–50 of 120", "51–100 of 120", "101–120 of 120"].into_iter();
    loop {
        let html = b.page(&path).await;
        let ids: Vec<i64> =
            html.split("<tr id=\"audit-").skip(1).map(|s| s.split('"').next().unwrap().parse().unwrap()).collect();
        assert!(ids.len() <= 50);
        let want = positions.next().unwrap();
        assert!(html.contains(&format!("<p class=\"muted\" id=\"audit-position\">{want}</p>")), "{want}: {html}");
        seen.extend(ids);
        match html.split("&amp;before=").nth(1) {
            Some(rest) => {
                let before = rest.split('"').next().unwrap();
                path = format!("/audit?action=bulk.test&before={before}");
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");
}

#[tokio::test]
async fn audit_csv_exports_the_filtered_rows_and_is_itself_audited() {
    let app = spawn_app().await;
    let (admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    record(&app, Some(sam), "preset.update", "preset", 7, "2026-01-10 12:00:00+00");
    record(&app, Some(sam), "preset.update", "preset", 8, "2026-02-10 12:00:00+00");
    diesel::sql_query("INSERT INTO audit_log (action, object_type, object_id, after) VALUES ('x.y', 'preset', '9', '{\"name\": \"=HYPERLINK(1)\"}')")
        .execute(&mut app.conn())
        .unwrap();
    let r = b.get("/audit.csv?action=preset.update").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let head = reader.headers().unwrap().clone();
    assert_eq!(&head[4], "action");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{body}");
    assert_eq!(&rows[0][6], "8", "newest first");
    assert_eq!(&rows[0][3], "sam@example.com");
    let after: serde_json::Value = serde_json::from_str(&rows[0][8]).unwrap();
    assert_eq!(after["name"], "new");

    let (f, n): (Option<serde_json::Value>, i64) = audit_log::table
        .filter(audit_log::action.eq("audit.export"))
        .filter(audit_log::actor_id.eq(admin))
        .select((audit_log::after, audit_log::id))
        .first(&mut app.conn())
        .unwrap();
    let f = f.unwrap();
    assert_eq!(f["rows"], 2);
    assert_eq!(f["filters"]["action"], "preset.update");
    assert!(n > 0);
    assert_eq!(b.get("/audit.csv?from=nonsense").await.status(), 400);
}

#[tokio::test]
async fn the_audit_log_refuses_update_and_delete_in_the_database() {
    let app = spawn_app().await;
    record(&app, None, "preset.update", "preset", 7, "2026-01-10 12:00:00+00");
    let mut c = app.conn();
    let update = diesel::sql_query("UPDATE audit_log SET action = 'forged'").execute(&mut c);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = diesel::sql_query("DELETE FROM audit_log").execute(&mut c);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let truncate = diesel::sql_query("TRUNCATE audit_log").execute(&mut c);
    assert!(truncate.is_err());
    let actions: Vec<String> = audit_log::table.select(audit_log::action).load(&mut c).unwrap();
    assert_eq!(actions, ["preset.update"]);
}

/// Saves a screenshot when CUSTODIAN_SHOTS names a folder (for looking at the screens).
async fn shot(chrome: &crate::browser::Chrome, name: &str) {
    if let Ok(dir) = std::env::var("CUSTODIAN_SHOTS") {
        let png = chrome.driver.screenshot_as_png().await.unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

#[tokio::test]
async fn browser_builds_a_team_and_grants_it_an_access_group() {
    use thirtyfour::components::SelectElement;
    use thirtyfour::prelude::*;
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let chrome = crate::browser::Chrome::start().await;
    chrome.login(&app.address, "ada@example.com", TEST_PASSWORD).await;
    let d = &chrome.driver;
    d.query(By::LinkText("Teams")).first().await.unwrap().click().await.unwrap();
    d.query(By::LinkText("New team")).first().await.unwrap().click().await.unwrap();
    d.query(By::Id("f-name")).first().await.unwrap().send_keys("Sales").await.unwrap();
    d.query(By::Id("f-manager_email")).first().await.unwrap().send_keys("ada@example.com").await.unwrap();
    d.query(By::Css("button.primary")).first().await.unwrap().click().await.unwrap();
    d.query(By::Id("f-email")).first().await.unwrap().send_keys("sam@example.com").await.unwrap();
    d.query(By::XPath("//button[text()='Add members']")).first().await.unwrap().click().await.unwrap();
    // Wait for the next page: the previous one also had a flash.
    d.query(By::XPath("//div[contains(@class, 'flash') and contains(., 'sam@example.com added')]"))
        .first()
        .await
        .unwrap();
    shot(&chrome, "team").await;
    let team = team_id(&app, "Sales");
    assert_eq!(members_of(&app, team), vec![sam]);

    d.query(By::LinkText("Access groups")).first().await.unwrap().click().await.unwrap();
    d.query(By::LinkText("New access group")).first().await.unwrap().click().await.unwrap();
    d.query(By::Id("f-name")).first().await.unwrap().send_keys("VIP").await.unwrap();
    d.query(By::Css("button.primary")).first().await.unwrap().click().await.unwrap();
    let select = SelectElement::new(&d.query(By::Id("f-team_id")).first().await.unwrap()).await.unwrap();
    select.select_by_visible_text("Sales").await.unwrap();
    let level = SelectElement::new(&d.query(By::Id("f-team-level")).first().await.unwrap()).await.unwrap();
    level.select_by_value("act").await.unwrap();
    d.query(By::XPath("//button[text()='Grant to team']")).first().await.unwrap().click().await.unwrap();
    d.query(By::XPath("//div[contains(@class, 'flash') and contains(., 'team Sales may now edit and send the contacts of this group')]"))
        .first()
        .await
        .unwrap();
    shot(&chrome, "group").await;
    let group = group_id(&app, "VIP");
    assert_eq!(grants_of(&app, group), vec![(Some(team), None, "act".into())]);

    d.query(By::LinkText("Audit")).first().await.unwrap().click().await.unwrap();
    let table = d.query(By::Css("table.audit-table")).first().await.unwrap();
    let rows = table.find_all(By::Css("tbody tr")).await.unwrap();
    assert!(rows.len() >= 4, "team.create, member_add, group create, grant_add");
    shot(&chrome, "audit").await;
    d.query(By::LinkText("API tokens")).first().await.unwrap().click().await.unwrap();
    d.query(By::Id("f-name")).first().await.unwrap().send_keys("ERP").await.unwrap();
    d.query(By::XPath("//button[text()='Create token']")).first().await.unwrap().click().await.unwrap();
    shot(&chrome, "tokens").await;
    let token = d.query(By::Css(".token-value")).first().await.unwrap().text().await.unwrap();
    assert!(token.starts_with("cst_"));
    let names: Vec<String> = custodian::db::schema::api_tokens::table
        .select(custodian::db::schema::api_tokens::name)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(names, ["ERP"]);
    shot(&chrome, "tokens").await;

    // Sam's card explains what the new grant gives him.
    d.goto(format!("{}/users/{sam}", app.address)).await.unwrap();
    let reach = chrome.wait_for(By::Id("reach")).await;
    reach.scroll_into_view().await.unwrap();
    let reach = reach.text().await.unwrap();
    assert!(reach.contains("access group VIP, granted to team Sales, which they belong to"), "{reach}");
    shot(&chrome, "user-reach").await;
    chrome.quit().await;
}
