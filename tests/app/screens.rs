//! Issue #14, "every screen, measured": each screen, opened by each demo role that may open
//! it, in headless Chromium at phone width (390 px), gets no critical or serious violation
//! from axe-core and does not scroll sideways; the HTML the server sent gets no error from the
//! W3C Nu HTML Checker (vnu). Every screen answers each role the status it should (`expected`:
//! 403 without the permission, 404 out of reach), so a screen opening to the wrong role fails
//! here too. The tools are test-only npm packages in tests/a11y, installed
//! by `npm ci --prefix tests/a11y` (bash .ci/run does it); vnu runs on Java.

use crate::browser::Chrome;
use crate::helpers::*;
use custodian::access::{facts, rules, Level, Subject};
use custodian::db::schema::{
    access_groups, automation_rules, bulk_runs, forms, message_templates, presets, teams, users,
};
use custodian::permissions::Perm;
use diesel::prelude::*;
use std::path::{Path, PathBuf};

const TOOLS: &str = "tests/a11y/node_modules";
/// The demo logins checked (the manager signs in with a second factor; every screen they open
/// is opened by one of these too).
const ROLES: [&str; 5] =
    ["admin@example.com", "marketer@example.com", "sales@example.com", "operator@example.com", "user@example.com"];

fn tool(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(TOOLS).join(rel);
    assert!(p.exists(), "{} is missing: npm ci --prefix tests/a11y (bash .ci/run does it)", p.display());
    p
}

fn first(c: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    diesel::sql_query(sql).get_result::<Id>(c).map(|r| r.id).unwrap_or(0)
}

/// Every screen's address (GET), with ids from the demo data.
fn screens(c: &mut PgConnection, email: &str) -> Vec<String> {
    let me: i64 = users::table.filter(users::email.eq(email)).select(users::id).first(c).unwrap();
    let other: i64 = users::table.filter(users::id.ne(me)).select(users::id).order(users::id.desc()).first(c).unwrap();
    let contact = first(
        c,
        &format!(
            "SELECT coalesce(min(id), (SELECT min(id) FROM contacts)) AS id FROM contacts WHERE main_owner_id = {me}"
        ),
    );
    let team: i64 = teams::table.select(teams::id).first(c).unwrap();
    let group: i64 = access_groups::table.select(access_groups::id).first(c).unwrap();
    let preset: i64 = presets::table.filter(presets::system_role.is_null()).select(presets::id).first(c).unwrap_or(1);
    let template: i64 = message_templates::table.select(message_templates::id).first(c).unwrap();
    let rule: i64 = automation_rules::table.select(automation_rules::id).first(c).unwrap_or(0);
    let form: String = forms::table.select(forms::public_key).first(c).unwrap_or_default();
    let mut all: Vec<String> = [
        "/",
        "/account",
        "/notifications",
        "/contacts",
        "/contacts/new",
        "/contacts/manage",
        "/contacts/manage/runs",
        "/contacts/manage/runs?who=all",
        "/contacts/import",
        "/users",
        "/users/new",
        "/presets",
        "/presets/new",
        "/presets/compare",
        "/teams",
        "/teams/new",
        "/access-groups",
        "/access-groups/new",
        "/segments",
        "/forms",
        "/automation",
        "/automation/new",
        "/templates",
        "/templates/new",
        "/send",
        "/outbox",
        "/audit",
        "/api-tokens",
        "/settings/two-factor",
        "/settings/sign-in",
        "/settings/provisioning",
        "/reviews",
        "/reviews/new",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend([
        format!("/contacts/{contact}"),
        format!("/contacts/{contact}?confirm=set_me"),
        format!("/users/{me}"),
        format!("/users/{other}"),
        format!("/users/{other}/delete"),
        format!("/users/{other}/deactivate"),
        format!("/presets/{preset}"),
        format!("/presets/compare?a=p:{preset}&b=u:{other}"),
        format!("/teams/{team}"),
        format!("/teams/{team}/delete"),
        format!("/access-groups/{group}"),
        format!("/templates/{template}"),
        format!("/send/preview?channel=email&template={template}&audience=group&group={group}"),
    ]);
    if rule > 0 {
        all.push(format!("/automation/{rule}"));
    }
    let reviews: Vec<i64> =
        custodian::db::schema::access_reviews::table.select(custodian::db::schema::access_reviews::id).load(c).unwrap();
    for r in reviews {
        all.extend([format!("/reviews/{r}"), format!("/reviews/{r}/report")]);
    }
    let runs: Vec<i64> =
        custodian::db::schema::bulk_runs::table.select(custodian::db::schema::bulk_runs::id).load(c).unwrap();
    all.extend(runs.iter().map(|r| format!("/contacts/manage/runs/{r}")));
    if !form.is_empty() {
        all.push(format!("/f/{form}"));
    }
    all
}

/// The status `s` should get for the screen `path` (issue #27: the sweep asserts it, so a
/// screen that opens to a role it should not, or stops opening to one it should, fails):
/// 403 without the permission the screen needs, 404 for an object out of the user's reach.
fn expected(c: &mut PgConnection, s: &Subject, path: &str) -> u16 {
    use Perm::*;
    let has = |p: Perm| s.perms.contains(p);
    let any = |ps: &[Perm]| ps.iter().any(|p| s.perms.contains(*p));
    let gate = |ok: bool| if ok { 200 } else { 403 };
    let users_read = any(&[AdministrationUsersView, AdministrationUsersManage]);
    let security = s.administrator && has(AdministrationSettings);
    let manage = has(ContactsView) && any(&[ContactsAssign, ContactsEdit]);
    let senders = any(&[EmailSend, SmsSend]);
    let id = |p: &str| -> i64 { p.split(['/', '?']).find_map(|x| x.parse().ok()).unwrap() };
    match path {
        "/" | "/account" | "/notifications" => 200,
        "/contacts" => gate(has(ContactsView)),
        "/contacts/new" => gate(has(ContactsView) && has(ContactsCreate)),
        "/contacts/manage" | "/contacts/manage/runs" => gate(manage),
        "/contacts/manage/runs?who=all" => gate(manage && has(AdministrationAuditView)),
        "/contacts/import" => gate(has(ContactsImport)),
        "/users" => gate(users_read),
        "/users/new" => gate(has(AdministrationUsersManage)),
        "/presets" | "/presets/compare" => gate(any(custodian::presets::compare::VIEW_KEYS)),
        "/presets/new" => gate(has(AdministrationPresetsManage)),
        "/teams" | "/teams/new" => gate(has(AdministrationTeamsManage)),
        "/access-groups" | "/access-groups/new" | "/segments" => gate(has(AdministrationAccessGroupsManage)),
        "/forms" => gate(has(AdministrationSettings)),
        "/automation" => gate(has(AutomationView)),
        "/automation/new" => gate(has(AutomationCreate)),
        "/templates" => gate(has(TemplatesView)),
        "/templates/new" => gate(has(TemplatesCreate)),
        "/send" | "/outbox" => gate(senders),
        "/audit" => gate(has(AdministrationAuditView)),
        "/api-tokens" | "/settings/two-factor" | "/settings/provisioning" => gate(security),
        // Without single sign-on configured (as here) there is no such page.
        "/settings/sign-in" => {
            if security {
                404
            } else {
                403
            }
        }
        p if p.starts_with("/f/") => 200,
        // Every user's list of the reviews they take part in; the rest for Administrators,
        // and a review's page for its reviewers too.
        "/reviews" => 200,
        "/reviews/new" => gate(s.administrator),
        p if p.starts_with("/reviews/") && p.ends_with("/report") => gate(s.administrator),
        p if p.starts_with("/reviews/") => {
            use custodian::db::schema::access_review_items as i;
            let reviews: i64 = i::table
                .filter(i::review_id.eq(id(p)))
                .filter(i::reviewer_id.eq(s.user_id))
                .count()
                .get_result(c)
                .unwrap();
            if s.administrator || reviews > 0 {
                200
            } else {
                404
            }
        }
        p if p.starts_with("/contacts/manage/runs/") => {
            let (owner, status): (i64, String) =
                bulk_runs::table.find(id(p)).select((bulk_runs::user_id, bulk_runs::status)).first(c).unwrap();
            match () {
                _ if !manage => 403,
                _ if owner != s.user_id && !has(AdministrationAuditView) => 404,
                // The data changed under the preview: the run's page says so, as a conflict.
                _ if status == "changed" => 409,
                _ => 200,
            }
        }
        p if p.starts_with("/contacts/") => {
            let cf = facts::contact(c, id(p)).unwrap().unwrap();
            match () {
                _ if !has(ContactsView) => 403,
                _ if rules::decide(s, &cf).level < Level::View => 404,
                _ => 200,
            }
        }
        p if p.ends_with("/delete") || p.ends_with("/deactivate") => {
            gate(has(if p.starts_with("/users/") { AdministrationUsersManage } else { AdministrationTeamsManage }))
        }
        p if p.starts_with("/users/") => gate(users_read),
        p if p.starts_with("/presets/compare") => gate(users_read),
        p if p.starts_with("/presets/") => gate(any(custodian::presets::compare::VIEW_KEYS)),
        p if p.starts_with("/teams/") => gate(has(AdministrationTeamsManage)),
        p if p.starts_with("/access-groups/") => gate(has(AdministrationAccessGroupsManage)),
        p if p.starts_with("/templates/") => gate(has(TemplatesView)),
        p if p.starts_with("/send/") => gate(senders),
        p if p.starts_with("/automation/") => gate(has(AutomationUpdate)),
        other => panic!("no expected status for {other}: add it to `expected`"),
    }
}

#[derive(Debug)]
struct Finding {
    who: String,
    path: String,
    what: String,
}

#[tokio::test]
async fn every_screen_passes_axe_and_the_html_checker_at_phone_width() {
    let axe = std::fs::read_to_string(tool("axe-core/axe.min.js")).unwrap();
    let vnu = tool("vnu-jar/build/dist/vnu.jar");
    let db = TestDb::new();
    custodian::demo::seed(&mut db.conn()).unwrap();
    // A public form and a rule, so their screens have something to show.
    let mut c = db.conn();
    let admin: i64 = users::table.filter(users::email.eq("admin@example.com")).select(users::id).first(&mut c).unwrap();
    diesel::sql_query(format!(
        "INSERT INTO forms (name, public_key, tags, group_ids, enabled, saved_by) VALUES ('Contact us', 'screenscheckform000000000', '{{}}', '{{}}', TRUE, {admin})"
    ))
    .execute(&mut c)
    .unwrap();
    // A bulk run that ended done (with a record to undo), one the data changed under, and a
    // preview waiting to be executed (its page is the preview, with its sample).
    let spec = r#"{"set_main_owner":null,"add_co_owner":null,"remove_owner":null,"tags":["vip"],"add_group":null,"remove_group":null}"#;
    let report = r#"{"matched":2,"editable":2,"skipped":[["already tagged vip",1]],"changes":[["Tags vip added",1]],"changed":1,"lost_sight":0}"#;
    let preview = r#"{"matched":2,"editable":2,"skipped":[],"changes":[["Tags vip added",1]],"changed":1,"lost_sight":0,"sample":[{"id":1,"name":"A contact","before":{"main_owner":null,"co_owners":[],"tags":[],"groups":[]},"after":{"main_owner":null,"co_owners":[],"tags":["vip"],"groups":[]}}]}"#;
    diesel::sql_query(format!(
        "WITH r AS (INSERT INTO bulk_runs (token, user_id, spec, matched, editable_count, editable_hash, status, queued_at, finished_at, executed_at, report) \
           VALUES ('screens-done', {admin}, '{spec}', '{{1,2}}', 2, 0, 'done', now(), now(), now(), '{report}'), \
                  ('screens-changed', {admin}, '{spec}', '{{1,2}}', 2, 0, 'changed', now(), now(), NULL, '{report}') RETURNING id, status), \
              p AS (INSERT INTO bulk_runs (token, user_id, spec, matched, editable_count, editable_hash, status, preview) \
           VALUES ('screens-previewed', {admin}, '{spec}', '{{1,2}}', 2, 0, 'previewed', '{preview}')) \
         INSERT INTO bulk_run_changes (run_id, seq, kind, tag, contact_ids, lo, hi) SELECT id, 1, 'tag_added', 'vip', '{{1}}', 1, 1 FROM r WHERE status = 'done'"
    ))
    .execute(&mut c)
    .unwrap();
    // The audit log with real-sized entries: a bulk run over 1,819 contacts and an import, as
    // the run and the import record them (issue #30: the log is readable at phone width).
    diesel::sql_query(format!(
        "INSERT INTO audit_log (actor_id, action, object_type, object_id, after) \
         SELECT {admin}, 'contact.bulk', 'bulk_run', id::text, '{{\"actions\": [\"Add tag vip\"], \"matched\": 2000, \"changes\": [[\"Tags vip added\", 1819]], \"skipped\": [[\"already tagged vip\", 181]], \"lost_sight\": 0, \"contacts_changed\": 1819}}'::jsonb \
         FROM bulk_runs WHERE token = 'screens-done' \
         UNION ALL SELECT {admin}, 'contact.import', 'import_job', '1', '{{\"file\": \"leads-2026-with-a-rather-long-file-name.csv\", \"rows\": 2000, \"created\": 1500, \"updated\": 400, \"skipped\": 0, \"rejected\": 100, \"tags\": [\"webinar-2026\"], \"groups\": [], \"owner_id\": null, \"dedup\": \"update\"}}'::jsonb"
    ))
    .execute(&mut c)
    .unwrap();
    let app = spawn_app_on(db, None).await;
    let html_dir = std::env::temp_dir().join(format!("custodian-screens-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&html_dir).unwrap();
    let chrome = Chrome::start().await;
    chrome.driver.set_window_rect(0, 0, 390, 844).await.unwrap();
    let mut findings = Vec::new();
    let mut visited = 0;
    let mut roles: Vec<Option<&str>> = ROLES.iter().map(|r| Some(*r)).collect();
    roles.push(None);
    for who in roles {
        let http = app.browser();
        let paths = match who {
            Some(email) => {
                assert_eq!(http.login(email, custodian::demo::DEMO_PASSWORD).await.status(), 303, "{email}");
                chrome.login(&app.address, email, custodian::demo::DEMO_PASSWORD).await;
                screens(&mut app.conn(), email)
            }
            None => vec!["/login".to_string(), "/f/screenscheckform000000000".to_string()],
        };
        let label = who.unwrap_or("anonymous").to_string();
        let subject = who.map(|email| {
            let id: i64 = users::table.filter(users::email.eq(email)).select(users::id).first(&mut app.conn()).unwrap();
            facts::subject(&mut app.conn(), id).unwrap().unwrap()
        });
        for path in paths {
            let r = http.get(&path).await;
            let status = r.status().as_u16();
            if let Some(s) = &subject {
                let want = expected(&mut app.conn(), s, &path);
                if status != want {
                    findings.push(Finding {
                        who: label.clone(),
                        path: path.clone(),
                        what: format!("answered {status}, expected {want}"),
                    });
                }
            }
            if status != 200 {
                continue; // Not a screen this role opens.
            }
            visited += 1;
            let html = r.text().await.unwrap();
            let file = format!("{}{}.html", label.replace(['@', '.'], "_"), path.replace(['/', '?', '&', '='], "_"));
            std::fs::write(html_dir.join(&file), &html).unwrap();
            chrome.driver.goto(format!("{}{path}", app.address)).await.unwrap();
            chrome.driver.execute(axe.as_str(), Vec::new()).await.unwrap();
            let script = "const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
                  .filter(v => v.impact === 'critical' || v.impact === 'serious')
                  .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))))
                  .catch(e => done(['axe failed: ' + e]));";
            let violations: Vec<String> =
                chrome.driver.execute_async(script, Vec::new()).await.unwrap().convert().unwrap();
            for v in violations {
                findings.push(Finding { who: label.clone(), path: path.clone(), what: format!("axe {v}") });
            }
            // CUSTODIAN_SCREENSHOTS=<dir>: the Administrator's main screens as pictures, at phone
            // width and at desktop width (for reviews; nothing is asserted on them).
            if let (Ok(dir), Some("admin@example.com")) = (std::env::var("CUSTODIAN_SCREENSHOTS"), who) {
                if ["/", "/contacts", "/users", "/contacts/manage", "/audit"].contains(&path.as_str())
                    || path.starts_with("/contacts/")
                        && !path.contains('?')
                        && path[10..].chars().all(|c| c.is_ascii_digit())
                {
                    let name = if path == "/" {
                        "dashboard".to_string()
                    } else {
                        path.trim_start_matches('/').replace('/', "-")
                    };
                    let dir = std::path::Path::new(&dir);
                    chrome.driver.screenshot(&dir.join(format!("{name}-phone.png"))).await.unwrap();
                    chrome.driver.set_window_rect(0, 0, 1280, 900).await.unwrap();
                    chrome.driver.screenshot(&dir.join(format!("{name}-desktop.png"))).await.unwrap();
                    chrome.driver.set_window_rect(0, 0, 390, 844).await.unwrap();
                }
            }
            let widths: Vec<i64> = chrome
                .driver
                .execute("return [document.documentElement.scrollWidth, window.innerWidth];", Vec::new())
                .await
                .unwrap()
                .convert()
                .unwrap();
            if widths[0] > widths[1] {
                findings.push(Finding {
                    who: label.clone(),
                    path: path.clone(),
                    what: format!("scrolls sideways at phone width: {} px wide in {} px", widths[0], widths[1]),
                });
            }
        }
        if who.is_some() {
            chrome.driver.delete_all_cookies().await.unwrap();
        }
    }
    chrome.quit().await;
    assert!(visited > 60, "only {visited} screens were opened");
    // The HTML as sent, every page at once.
    let out = std::process::Command::new("java")
        .arg("-jar")
        .arg(&vnu)
        .args(["--errors-only", "--format", "gnu"])
        .arg(&html_dir)
        .output()
        .expect("java (the HTML checker runs on it)");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    for line in report.lines().filter(|l| l.contains("error")) {
        let line = line.replace(&format!("{}/", html_dir.display()), "").replace("\"file:", "\"");
        findings.push(Finding { who: "vnu".into(), path: String::new(), what: line });
    }
    let _ = std::fs::remove_dir_all(&html_dir);
    assert!(
        findings.is_empty(),
        "{} findings on {visited} screens:\n{}",
        findings.len(),
        findings.iter().map(|f| format!("{} {} — {}", f.who, f.path, f.what)).collect::<Vec<_>>().join("\n")
    );
}
