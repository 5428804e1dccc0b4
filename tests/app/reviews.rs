//! Access reviews (issue #32) over HTTP: an Administrator starts one for a team's members with
//! their managers as reviewers; each item says what it gives and whether it was used; the
//! reviewer keeps and removes (a removal is the same change the screens make, audited via the
//! review), and only their own items; "remove all unused"; at the deadline the policy removes
//! what nobody decided; the report as a page and as CSV. Refusals: starting needs an
//! Administrator; another user neither sees nor decides the review; nobody decides twice.

use crate::fixtures;
use crate::helpers::*;
use custodian::db::schema::{access_review_items as items, audit_log};
use custodian::db::views::{access_group_grants, team_members, user_presets};
use custodian::permissions::Role;
use diesel::prelude::*;

fn item(app: &TestApp, holder: &str, kind: &str) -> (i64, bool, Option<i64>) {
    items::table
        .filter(items::holder.eq(holder))
        .filter(items::kind.eq(kind))
        .select((items::id, items::used, items::reach))
        .first(&mut app.conn())
        .unwrap_or_else(|_| panic!("no {kind} item of {holder}"))
}

fn decision(app: &TestApp, id: i64) -> (Option<String>, bool) {
    items::table.find(id).select((items::decision, items::by_policy)).first(&mut app.conn()).unwrap()
}

#[tokio::test]
async fn a_team_review_by_its_manager_keeps_removes_and_closes_at_the_deadline() {
    let app = spawn_app().await;
    let (_admin, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let boss = app.create_user("boss@example.com", Role::Manager);
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let uma = app.create_user("uma@example.com", Role::User);
    let c = &mut app.conn();
    let team = fixtures::team(c, "North", Some(boss), &[sam, uma]);
    let (g, h) = (fixtures::group(c, "Gdansk"), fixtures::group(c, "Helsinki"));
    fixtures::grant(c, g, Some(sam), None, "edit");
    fixtures::grant(c, h, None, Some(team), "view");
    let in_g: Vec<i64> = (0..3).map(|i| fixtures::contact(c, &format!("G{i}"), None)).collect();
    for id in &in_g {
        fixtures::in_group(c, *id, g);
    }
    let in_h = fixtures::contact(c, "H0", None);
    fixtures::in_group(c, in_h, h);
    // Sam changed a contact of Gdansk last week (what the contact edit records).
    custodian::audit::Entry::new(Some(sam), "contact.update", "contact", in_g[0]).record(c).unwrap();

    // Starting needs an Administrator; a wrong form is answered beside its fields.
    let (_, boss_b) = (boss, app.browser());
    boss_b.login("boss@example.com", TEST_PASSWORD).await;
    assert_eq!(boss_b.get("/reviews/new").await.status(), 403);
    let r = b
        .submit(
            "/reviews/new",
            "/reviews",
            &[
                ("name", ""),
                ("scope", "team"),
                ("reviewers", "managers"),
                ("deadline", "soon"),
                ("unanswered", "remove"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Give the review a name")
            && html.contains("Choose a team.")
            && html.contains("“soon” is not a date"),
        "{html}"
    );
    let deadline = (chrono::Utc::now() + chrono::Duration::days(14)).format("%Y-%m-%d").to_string();
    let team_s = team.to_string();
    let fields = [
        ("name", "North, Q4"),
        ("scope", "team"),
        ("team", team_s.as_str()),
        ("reviewers", "managers"),
        ("deadline", deadline.as_str()),
        ("unanswered", "remove"),
        ("window_days", "90"),
    ];
    let r = b.submit("/reviews/new", "/reviews", &fields).await;
    assert_eq!(r.status(), 303);
    let page = location(&r);
    let id: i64 = page.trim_start_matches("/reviews/").parse().unwrap();

    // What each item gives and whether it was used.
    let (sam_grant, used, reach) = item(&app, "sam@example.com", "grant");
    assert_eq!((used, reach), (true, Some(3)), "Sam changed a Gdansk contact; Gdansk has 3");
    let (sam_member, used, reach) = item(&app, "sam@example.com", "member");
    assert_eq!((used, reach), (false, Some(1)), "North's grant reaches Helsinki's one contact");
    let (uma_member, ..) = item(&app, "uma@example.com", "member");
    let (uma_preset, used, _) = item(&app, "uma@example.com", "preset");
    assert!(!used);
    let (sam_preset, used, _) = item(&app, "sam@example.com", "preset");
    assert!(used, "contact.update needs contacts.edit, which the Salesperson preset gives");
    let reviewers: Vec<Option<i64>> = items::table
        .filter(items::review_id.eq(id))
        .select(items::reviewer_id)
        .distinct()
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(reviewers, vec![Some(boss)], "the team's manager reviews its members");
    let told: i64 = custodian::db::schema::notifications::table
        .filter(custodian::db::schema::notifications::user_id.eq(boss))
        .filter(custodian::db::schema::notifications::message.like("Access review “North, Q4” asks you to confirm%"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(told, 1);

    // The reviewer finds it on their start page.
    let start = boss_b.page("/").await;
    assert!(start.contains(&format!("<a href=\"/reviews/{id}\">North, Q4</a>: 5 items to decide by")), "{start}");
    // The reviewer's page; another user sees nothing of it.
    let html = boss_b.page(&page).await;
    assert!(
        html.contains("sam@example.com")
            && html.contains("access group Gdansk (see and edit)")
            && html.contains("reaches 3 contacts"),
        "{html}"
    );
    assert!(html.contains("(suggested: not used)"), "{html}");
    let uma_b = app.browser();
    uma_b.login("uma@example.com", TEST_PASSWORD).await;
    assert_eq!(uma_b.get(&page).await.status(), 404);
    let decisions = format!("{page}/decisions");
    let r = uma_b
        .post_raw(
            &decisions,
            &[
                ("csrf_token", &csrf_token(&uma_b.page("/").await).unwrap()),
                (&format!("decision-{uma_member}"), "keep"),
            ],
        )
        .await;
    assert_ne!(r.status(), 303, "uma decides nothing");
    assert_eq!(decision(&app, uma_member).0, None);

    // The manager keeps Sam's grant and removes Uma's membership: the team page's change,
    // audited as the manager's via the review.
    let (k1, k2) = (format!("decision-{sam_grant}"), format!("decision-{uma_member}"));
    let cm = format!("comment-{uma_member}");
    // A round with one refused decision changes nothing: all or nothing.
    let r = boss_b.submit(&page, &decisions, &[(k1.as_str(), "keep"), ("decision-999999", "remove")]).await;
    assert_eq!(r.status(), 404);
    assert_eq!(decision(&app, sam_grant).0, None, "the round was rolled back");
    let r = boss_b
        .submit(&page, &decisions, &[(k1.as_str(), "keep"), (k2.as_str(), "remove"), (cm.as_str(), "moved to South")])
        .await;
    assert_eq!(r.status(), 303);
    assert!(boss_b.page(&page).await.contains("1 kept, 1 removed."));
    let members: Vec<i64> = team_members::table
        .filter(team_members::team_id.eq(team))
        .select(team_members::user_id)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(members, vec![sam]);
    let via: Option<String> = audit_log::table
        .filter(audit_log::action.eq("team.member_remove"))
        .select(audit_log::via)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(via, Some(format!("access review #{id}")));
    // Decided once: the same decision again changes nothing.
    boss_b.submit(&page, &decisions, &[(k1.as_str(), "remove")]).await;
    assert_eq!(decision(&app, sam_grant).0.as_deref(), Some("keep"));
    assert_eq!(access_group_grants::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 2);

    // "Remove all unused": Sam's membership and Uma's preset, not what was used.
    let r = boss_b.submit(&page, &decisions, &[("action", "remove_unused")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(decision(&app, sam_member).0.as_deref(), Some("remove"));
    assert_eq!(decision(&app, uma_preset).0.as_deref(), Some("remove"));
    assert_eq!(decision(&app, sam_preset).0, None, "used: left for a person to decide");
    let uma_presets: i64 =
        user_presets::table.filter(user_presets::user_id.eq(uma)).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(uma_presets, 0);

    // At the deadline the policy removes what nobody decided, and the review closes.
    diesel::sql_query(format!("UPDATE access_reviews SET deadline = now() - interval '1 minute' WHERE id = {id}"))
        .execute(&mut app.conn())
        .unwrap();
    custodian::reviews::deadline::sweep_once(&mut app.conn()).unwrap();
    assert_eq!(decision(&app, sam_preset), (Some("remove".into()), true));
    let sam_presets: i64 =
        user_presets::table.filter(user_presets::user_id.eq(sam)).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(sam_presets, 0);
    let r = boss_b.submit(&page, &decisions, &[(k1.as_str(), "remove")]).await;
    assert_ne!(r.status(), 303, "a closed review takes no decision");

    // The report: who decided what and when, as a page and as CSV.
    let report = b.page(&format!("{page}/report")).await;
    assert!(
        report.contains("removed by boss@example.com")
            && report.contains("“moved to South”")
            && report.contains("at the deadline"),
        "{report}"
    );
    let csv = b.get(&format!("{page}/report?format=csv")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with(
        "person,kind,what,contacts reached,used,decision,comment,decided by,decided at,by deadline,already gone"
    ));
    assert_eq!(csv.lines().count(), 1 + 5, "{csv}");
    assert_eq!(boss_b.get(&format!("{page}/report")).await.status(), 403, "the report is for Administrators");
}
