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

/// One-click actions with consequences ask first, on a page that says what will happen and
/// posts the action itself.
#[tokio::test]
async fn actions_with_consequences_ask_first_and_say_what_happens() {
    use crate::fixtures;
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let mut c = app.conn();
    let team = fixtures::team(&mut c, "North", Some(ada), &[sam]);
    let group = fixtures::group(&mut c, "VIP");
    fixtures::grant(&mut c, group, None, Some(team), "edit");
    let grant: i64 = custodian::db::views::access_group_grants::table
        .select(custodian::db::views::access_group_grants::id)
        .first(&mut c)
        .unwrap();
    let rule = crate::automation::insert_rule(
        &mut c,
        crate::automation::R { tag: Some("vip"), ..crate::automation::base(ada, "contact_created", "add_tag") },
    );

    let form_posts = |html: &str, action: &str| html.contains(&format!("<form method=\"post\" action=\"{action}\">"));
    let cases = [
        (format!("/users/{sam}"), format!("/users/{sam}/deactivate"), "signed out everywhere at once"),
        (
            format!("/teams/{team}"),
            format!("/teams/{team}/members/{sam}/remove"),
            "(VIP) no longer give sam@example.com access",
        ),
        (
            format!("/access-groups/{group}"),
            format!("/access-groups/{group}/grants/{grant}/remove"),
            "no longer may see and edit the 0 contacts of VIP",
        ),
        ("/automation".to_string(), format!("/automation/{rule}/share"), "act on every contact"),
    ];
    for (from, action, says) in &cases {
        let page = b.page(from).await;
        assert!(page.contains(&format!("href=\"{action}\"")), "{from} links to the confirmation: {page}");
        let confirm = b.page(action).await;
        assert!(confirm.contains(says), "{action}: {confirm}");
        assert!(form_posts(&confirm, action), "{action} posts the action");
    }
    // Confirming does it.
    let action = format!("/users/{sam}/deactivate");
    assert_eq!(b.submit(&action, &action, &[]).await.status(), 303);
    let status: String = users::table.find(sam).select(users::status).first(&mut c).unwrap();
    assert_eq!(status, "deactivated");
    // Not for those who may not do it.
    let (_, max) = app.signed_in("max@example.com", Role::Salesperson).await;
    assert_eq!(max.get(&format!("/users/{ada}/deactivate")).await.status(), 403);
    assert_eq!(max.get(&format!("/teams/{team}/members/{sam}/remove")).await.status(), 403);
}

/// On the card: "Set me" asks first only when it takes the contact from someone; removing a
/// co-owner asks first.
#[tokio::test]
async fn set_me_and_removing_a_co_owner_ask_first_on_the_card() {
    use crate::fixtures;
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let mut c = app.conn();
    let theirs = fixtures::contact(&mut c, "Theirs", Some(sam));
    fixtures::co_owner(&mut c, theirs, ada, false);
    let mine = fixtures::contact(&mut c, "Mine", Some(ada));

    let card = b.page(&format!("/contacts/{theirs}")).await;
    assert!(card.contains(&format!("href=\"/contacts/{theirs}?confirm=set_me#owner-confirm\"")), "{card}");
    let confirm = b.page(&format!("/contacts/{theirs}?confirm=set_me")).await;
    assert!(confirm.contains("sam@example.com stays a co-owner who can edit, and is notified"), "{confirm}");
    assert!(confirm.contains("name=\"op\" value=\"set_me\""));
    let confirm = b.page(&format!("/contacts/{theirs}?confirm=remove&user_id={ada}")).await;
    assert!(confirm.contains("Remove ada@example.com as co-owner?"), "{confirm}");
    // Nothing to confirm: "Set me" on one's own contact stays one click, and a confirmation
    // that does not apply shows nothing.
    let card = b.page(&format!("/contacts/{mine}?confirm=set_me")).await;
    assert!(!card.contains("owner-confirm-h") && card.contains("<button type=\"submit\">Set me</button>"), "{card}");
    let card = b.page(&format!("/contacts/{theirs}?confirm=remove&user_id={sam}")).await;
    assert!(!card.contains("owner-confirm-h"), "sam is the main owner, not a co-owner");
}

/// The public form answers a browser with pages, and JSON only when JSON is asked for.
#[tokio::test]
async fn the_public_form_thanks_a_browser_and_answers_json_when_asked() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, key) = crate::forms::make_form(&app, &admin, &[("name", "Contact us"), ("enabled", "on")]).await;
    let visitor = app.browser();
    let url = visitor.url(&format!("/f/{key}"));
    let html = |fields: &[(&str, &str)]| {
        visitor.client.post(&url).header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8").form(fields).send()
    };
    let r = html(&[("email", "ann@x.test"), ("first_name", "Ann")]).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("Thank you: we have received your details."));
    let r = html(&[("email", "not-an-email"), ("first_name", "Bob <b>")]).await.unwrap();
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(page.contains("<p class=\"error\" id=\"e-email\">email is not a valid address</p>"), "{page}");
    assert!(
        page.contains("value=\"not-an-email\"") && page.contains("value=\"Bob &#60;b&#62;\""),
        "kept, escaped: {page}"
    );
    let r = visitor
        .client
        .post(&url)
        .header("Accept", "application/json")
        .form(&[("email", "cy@x.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["ok"], true);
    let r =
        visitor.client.post(&url).header("Accept", "application/json").form(&[("email", "x")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "email");
}

/// "Save as new" in the wizard saves the preset at once, and says so; Cancel afterwards does
/// not claim that nothing was saved.
#[tokio::test]
async fn cancel_after_save_as_new_says_the_preset_stays() {
    let app = spawn_app().await;
    let (_, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let w = crate::users::wizard_id(&location(
        &crate::users::details(&b, "/users/new", None, &crate::users::person("grace@example.com"), None).await,
    ));
    let step2 = b.page(&format!("/users/new?w={w}&step=2")).await;
    assert!(step2.contains("stays even if you then cancel"), "the page says it before");
    let sys = crate::users::system_preset(&app, Role::User).to_string();
    let mut f = vec![("role", "user"), ("preset", sys.as_str()), ("action", "save_as_new"), ("preset_name", "Keepers")];
    let keys = Role::User.default_permissions().keys();
    f.extend(keys.iter().map(|k| ("perm", *k)));
    let r = crate::users::permissions(&b, "/users/new", &w, &f).await;
    assert_eq!(r.status(), 303);
    assert!(b.page(&location(&r)).await.contains("stays even if you cancel this wizard"));
    let r = b.submit(&format!("/users/new?w={w}&step=2"), &format!("/users/new/cancel?w={w}"), &[]).await;
    let after = b.page(&location(&r)).await;
    assert!(after.contains("The preset “Keepers” saved with “Save as new” stays"), "{after}");
    assert!(!after.contains("Nothing was saved"));
}

/// The contact list says where you are: "1–50 of more than 50" for free, the exact count when
/// asked ("Count them", up to the cap) or on the last page; first/previous/next/last; the
/// sorted column marked; and a select-all box for the page.
#[tokio::test]
async fn the_contact_list_says_where_you_are() {
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    diesel::sql_query(format!(
        "INSERT INTO contacts (first_name, last_name, email, main_owner_id) \
         SELECT 'Bulk', 'N' || g, 'bulk' || g || '@x.test', {ada} FROM generate_series(1, 1001) g"
    ))
    .execute(&mut app.conn())
    .unwrap();
    let page = b.page("/contacts").await;
    assert!(page.contains("<p id=\"position\">1–50 of more than 50 · <a href=\"/contacts?"), "{page}");
    assert!(page.contains("id=\"count-all\">Count them</a>"));
    assert!(page.contains(">Manage all matching…<"));
    assert!(!page.contains("Last »"), "no last page without a count");
    assert!(page.contains("id=\"select-page\" data-select-all=\"ids\""));
    let page = b.page("/contacts?count=all").await;
    assert!(page.contains("<p id=\"position\">1–50 of 1,001</p>"), "{page}");
    assert!(page.contains("Manage all 1,001 matching…") && page.contains("Last »") && page.contains("Page 1 of 21"));
    assert!(page.contains("&#38;page=2&#38;count=all"), "the pager keeps counting");
    // The last page knows its total without counting: bulk100, bulk1000, bulk1001.
    let page = b.page("/contacts?q=bulk100").await;
    assert!(page.contains("<p id=\"position\">1–3 of 3</p>"), "{page}");
    let page = b.page("/contacts?q=bulk1&sort=name&page=2").await;
    assert!(page.contains("<p id=\"position\">51–100 of more than 100"), "{page}");
    let page = b.page("/contacts?q=bulk1&sort=name&page=2&count=all").await;
    assert!(page.contains("<p id=\"position\">51–100 of 113</p>"), "{page}");
    assert!(page.contains("« First") && page.contains("Last »") && page.contains("Page 2 of 3"), "{page}");
    assert!(page.contains("aria-sort=\"ascending\""), "the sorted column is marked");
    // Clicking the sorted column turns it around, and both ways page the same contacts.
    assert!(page.contains("&#38;sort=name_desc&#38;page=1"), "{page}");
    let up = b.page("/contacts?q=bulk10&sort=name").await;
    let down = b.page("/contacts?q=bulk10&sort=name_desc").await;
    assert!(down.contains("aria-sort=\"descending\"") && down.contains("Name Z–A</option>"));
    let names = |html: &str| -> Vec<String> {
        html.split("<a href=\"/contacts/")
            .skip(1)
            .filter_map(|s| s.split('>').nth(1)?.split('<').next().map(String::from))
            .collect()
    };
    let mut reversed = names(&down);
    reversed.reverse();
    assert_eq!(names(&up), reversed, "bulk10 and bulk100–109, both ways");
}

/// The API tokens page shows a request for each endpoint, and each works as shown.
#[tokio::test]
async fn every_example_request_on_the_tokens_page_works() {
    use custodian::api_tokens::Scope;
    use custodian::web::api::examples;
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    crate::fixtures::contact(&mut app.conn(), "First", Some(ada));
    let page = b.page("/api-tokens").await;
    let all = examples::all(ada, "ada@example.com");
    assert!(all.len() >= 9);
    let (_, token) = custodian::api_tokens::create(&mut app.conn(), "Both", ada, &Scope::ALL).unwrap();
    for e in &all {
        // Shown (HTML-escaped) on the page.
        let shown = e.curl(&app.address).replace('&', "&#38;").replace('"', "&#34;").replace('\'', "&#39;");
        assert!(page.contains(&shown) || page.contains(&e.path.replace('&', "&#38;")), "{} is on the page", e.title);
        let mut r = reqwest::Client::new()
            .request(e.method.parse().unwrap(), format!("{}{}", app.address, e.path))
            .bearer_auth(&token);
        if let Some(body) = &e.body {
            r = r.header("content-type", "application/json").body(body.clone());
        }
        let r = r.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(status.is_success(), "{}: {status} {text}", e.title);
    }
}

/// The demo's sending operator has a template and an audience they can actually send to.
#[tokio::test]
async fn the_demo_sending_operator_can_send_to_an_audience() {
    use custodian::db::schema::{access_groups, message_templates};
    let db = TestDb::new();
    custodian::demo::seed(&mut db.conn()).unwrap();
    let app = spawn_app_on(db, None).await;
    let b = app.browser();
    assert_eq!(b.login("operator@example.com", custodian::demo::DEMO_PASSWORD).await.status(), 303);
    let template: i64 = message_templates::table.select(message_templates::id).first(&mut app.conn()).unwrap();
    let finland: i64 = access_groups::table
        .filter(access_groups::name.eq("Finland"))
        .select(access_groups::id)
        .first(&mut app.conn())
        .unwrap();
    let r = b.get(&format!("/send/preview?channel=email&template={template}&audience=group&group={finland}")).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let sendable = html.split("id=\"count-recipients\"").nth(1).and_then(|s| s.split(['>', '<']).nth(1)).unwrap_or("");
    assert!(sendable.trim().parse::<i64>().unwrap_or(0) > 0, "the operator has someone to send to: {html}");
}

/// The audit log reads like a history: an action picker, actors and objects as links, users
/// in before/after by email instead of by id.
#[tokio::test]
async fn the_audit_log_names_users_and_links_objects() {
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let contact = crate::fixtures::contact(&mut app.conn(), "Owned", Some(sam));
    let card = format!("/contacts/{contact}");
    let r = b.submit(&card, &format!("{card}/owners"), &[("op", "set_me")]).await;
    assert_eq!(r.status(), 303);
    let page = b.page("/audit?action=contact.set_main_owner").await;
    assert!(
        page.contains(&format!("sam@example.com (#{sam})")) && page.contains(&format!("ada@example.com (#{ada})")),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"contact.set_main_owner\" selected>contact: set main owner</option>"),
        "{page}"
    );
    // The entry reads as a sentence, people and the contact named and linked.
    assert!(
        page.contains(&format!(
            "<a href=\"/users/{ada}\">Test Administrator</a> made <a href=\"/users/{ada}\">Test Administrator</a> main owner of <a href=\"/contacts/{contact}\">Owned</a>"
        )),
        "{page}"
    );
    // Team membership, and the CSV's summary column.
    let r = b.submit("/teams/new", "/teams", &[("name", "Sales"), ("manager_email", "")]).await;
    let team_page = location(&r);
    let team: i64 = team_page.rsplit('/').next().unwrap().parse().unwrap();
    let r = b.submit(&team_page, &format!("{team_page}/members"), &[("email", "sam@example.com")]).await;
    assert_eq!(r.status(), 303);
    let page = b.page("/audit?action=team.member_add").await;
    assert!(
        page.contains(&format!(
            "<a href=\"/users/{ada}\">Test Administrator</a> added <a href=\"/users/{sam}\">Test Salesperson</a> to team <a href=\"/teams/{team}\">“Sales”</a>"
        )),
        "{page}"
    );
    let csv = b.get("/audit.csv?action=team.member_add").await.text().await.unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",summary"), "{csv}");
    assert!(csv.contains("Test Administrator added Test Salesperson to team “Sales”"), "{csv}");
    let history = b.page(&card).await;
    assert!(history.contains(&format!("sam@example.com (#{sam})")), "the card's history too");
}

/// Compare picks users by email (a picker), not from a select of every user.
#[tokio::test]
async fn compare_picks_users_by_email() {
    let app = spawn_app().await;
    let (ada, b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let page = b.page(&format!("/presets/compare?a=u:{ada}")).await;
    assert!(!page.contains("value=\"u:"), "no option per user");
    assert!(page.contains("name=\"a_user\" type=\"email\" value=\"ada@example.com\" data-user-picker"), "{page}");
    let page = b.page("/presets/compare?a_user=ada@example.com&b_user=SAM@example.com").await;
    assert!(page.contains("id=\"difference-count\""), "compared: {page}");
    assert!(page.contains(&format!("href=\"/users/{sam}\"")) || page.contains("sam@example.com"));
    let r = b.get("/presets/compare?a_user=nobody@example.com&b=p:1").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-a_user\">No user has this email.") && html.contains("value=\"nobody@example.com\""));
}

/// Issue #30: the start page starts what each role comes to do, and shows each panel only to
/// whoever may open what it counts (the permission keys moved to the account page).
#[tokio::test]
async fn the_start_page_starts_what_each_role_comes_to_do() {
    let db = TestDb::new();
    custodian::demo::seed(&mut db.conn()).unwrap();
    let app = spawn_app_on(db, None).await;
    let signed_in = |email: &'static str| {
        let b = app.browser();
        async move {
            assert_eq!(b.login(email, custodian::demo::DEMO_PASSWORD).await.status(), 303, "{email}");
            b
        }
    };
    // Another user's change, so the administrator has something in "Recent changes by others".
    let sam = signed_in("sales@example.com").await;
    let r =
        sam.submit("/contacts/new", "/contacts/new", &[("email", "new.lead@acme.pl"), ("first_name", "Nina")]).await;
    assert_eq!(r.status(), 303);

    let admin = signed_in("admin@example.com").await;
    let start = admin.page("/").await;
    for expected in [
        "href=\"/users/new\">Create a user</a>",
        "7 active users",
        "href=\"/settings/two-factor\"",
        "Background work",
        "Recent changes by others",
        "Sam Sales</a> created contact <a href=\"/contacts/",
        // The grouped navigation of an administrator.
        "<span class=\"navgroup-label\" id=\"nav-people\">People</span>",
    ] {
        assert!(start.contains(expected), "{expected}: {start}");
    }
    assert!(!start.contains("perm-summary"), "the keys are on the account page now");
    assert!(admin.page("/account").await.contains("What you may do"));

    let start = sam.page("/").await;
    assert!(start.contains("Find a contact") && start.contains("Change many contacts at once"), "{start}");
    for absent in ["Create a user", "People</h2>", "Recent changes by others", "Background work", "navgroup"] {
        assert!(!start.contains(absent), "a salesperson does not see {absent}: {start}");
    }

    // Uma leads the Marketing team.
    let start = signed_in("user@example.com").await.page("/").await;
    assert!(start.contains("Your team</h2>") && start.contains(">Marketing</a> · 2 members"), "{start}");
    // The operator, given the audit log, sees the background work, but not as links to
    // everyone's runs, a screen her keys do not open; the Administrator's counts are links.
    let olga: i64 =
        users::table.filter(users::email.eq("operator@example.com")).select(users::id).first(&mut app.conn()).unwrap();
    app.override_key(olga, "administration.audit_view", true);
    let start = signed_in("operator@example.com").await.page("/").await;
    assert!(start.contains("Background work") && !start.contains("runs?who=all"), "{start}");
    assert!(admin.page("/").await.contains("<a href=\"/contacts/manage/runs?who=all\">"));
    let start = signed_in("marketer@example.com").await.page("/").await;
    assert!(start.contains("Messaging</h2>") && start.contains("template of yours"), "{start}");

    let start = signed_in("operator@example.com").await.page("/").await;
    assert!(start.contains("href=\"/send\">Send a message</a>") && start.contains("Your last sends"), "{start}");
}

/// Issue #30: in "who can see this contact", a reader who may open users' cards gets each name
/// as a link to the card; a reader who may not gets the names alone.
#[tokio::test]
async fn who_can_see_a_contact_links_each_user_for_those_who_may_open_users() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (sam, sam_b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let contact = crate::fixtures::contact(&mut app.conn(), "Linked", Some(sam));
    let card = admin.page(&format!("/contacts/{contact}")).await;
    let who = card.split("id=\"who-h\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(who.contains(&format!("<a href=\"/users/{sam}\">Test Salesperson</a>")), "{who}");
    let card = sam_b.page(&format!("/contacts/{contact}")).await;
    let who = card.split("id=\"who-h\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(who.contains("Test Salesperson") && !who.contains("href=\"/users/"), "{who}");
}
