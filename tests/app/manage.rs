//! Bulk Manage: preview then execute, skip reasons, idempotent tags, access re-checked at
//! execution, one audit entry per run, and the browser flow.

use crate::fixtures::*;
use crate::helpers::*;
use custodian::db::schema::{audit_log, contact_tags, contacts};
use custodian::permissions::Role;
use diesel::prelude::*;

pub(crate) fn token_of(html: &str) -> String {
    html.split("name=\"token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

pub(crate) fn number(html: &str, id: &str) -> i64 {
    // (Shown with thousands separated: "1,819".)
    html.split(&format!("id=\"{id}\">"))
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .trim()
        .replace(',', "")
        .parse()
        .unwrap()
}

pub(crate) async fn preview(b: &Browser, query: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    b.submit(&format!("/contacts/manage?{query}"), "/contacts/manage/preview", fields).await
}

/// Executes a preview and waits for the background run to end; returns its page.
pub(crate) async fn execute(b: &Browser, preview_html: &str) -> reqwest::Response {
    let token = token_of(preview_html);
    let r = b.submit("/", "/contacts/manage/execute", &[("token", &token)]).await;
    bulk_run_ended(b, r).await
}

pub(crate) fn tags(c: &mut PgConnection, id: i64) -> Vec<String> {
    contact_tags::table
        .filter(contact_tags::contact_id.eq(id))
        .select(contact_tags::tag)
        .order(contact_tags::tag)
        .load(c)
        .unwrap()
}

#[tokio::test]
async fn remove_owner_is_skipped_where_it_would_leave_no_owner() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let x = app.create_user("x@example.com", Role::Salesperson);
    let y = app.create_user("y@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let alone = contact(c, "Alone", Some(x));
    let x_main = contact(c, "Xmain", Some(x));
    co_owner(c, x_main, y, false);
    let x_co = contact(c, "Xco", Some(y));
    co_owner(c, x_co, x, false);
    let r =
        preview(&admin, "owner=x@example.com", &[("owner", "x@example.com"), ("remove_owner", "x@example.com")]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert_eq!(number(&html, "matched"), 3);
    assert_eq!(number(&html, "changeable"), 2);
    assert!(html.contains("<strong>1</strong> — removing x@example.com would leave no owner"), "{html}");
    // Nothing changed by the preview.
    let main: Option<i64> = contacts::table.find(x_main).select(contacts::main_owner_id).first(c).unwrap();
    assert_eq!(main, Some(x));
    let done = execute(&admin, &html).await;
    assert_eq!(done.status(), 200);
    let done = done.text().await.unwrap();
    assert_eq!(number(&done, "changeable"), 2, "executed what was previewed");
    let owner_of = |c: &mut PgConnection, id| {
        contacts::table.find(id).select(contacts::main_owner_id).first::<Option<i64>>(c).unwrap()
    };
    assert_eq!(owner_of(c, alone), Some(x), "kept: it was the only owner");
    assert_eq!(owner_of(c, x_main), None);
    assert_eq!(co_owners_of(c, x_main), vec![(y, false)]);
    assert!(co_owners_of(c, x_co).is_empty());
    let entries: Vec<Option<serde_json::Value>> =
        audit_log::table.filter(audit_log::action.eq("contact.bulk")).select(audit_log::after).load(c).unwrap();
    assert_eq!(entries.len(), 1, "one audit entry per run");
    // Issue #30: the entry counts the contacts (it does not grow with the run); the run's page
    // links to them in the contact list.
    let entry = entries[0].clone().unwrap();
    assert!(entry.get("contact_ids").is_none(), "{entry}");
    assert_eq!(entry["contacts_changed"], 2);
    let run_page = location_of_run(&done);
    assert!(done.contains(&format!("href=\"/contacts?run={run_page}\" id=\"changed-contacts\"")), "{done}");
    let list = admin.page(&format!("/contacts?run={run_page}")).await;
    assert!(list.contains("id=\"run-filter\""));
    let mut listed: Vec<i64> = list
        .split("<a href=\"/contacts/")
        .skip(1)
        .filter_map(|s| s.split('"').next().and_then(|id| id.parse().ok()))
        .collect();
    listed.sort();
    listed.dedup();
    let mut expected = vec![x_main, x_co];
    expected.sort();
    assert_eq!(listed, expected, "exactly the contacts the run changed");
    // Someone who may not open the run learns nothing of it from the list.
    let (oli, other) = app.signed_in("oli@example.com", Role::Salesperson).await;
    app.override_key(oli, "contacts.all", true); // sees every contact, so only the run filter hides them
    assert!(other.page("/contacts").await.contains(&format!("href=\"/contacts/{x_main}\"")));
    let theirs = other.page(&format!("/contacts?run={run_page}")).await;
    assert!(!theirs.contains(&format!("href=\"/contacts/{x_main}\"")), "not their run");
}

/// The id of the run whose page is `html`.
fn location_of_run(html: &str) -> i64 {
    html.split("Bulk run #").nth(1).unwrap().split(|ch: char| !ch.is_ascii_digit()).next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn tags_are_trimmed_deduplicated_and_idempotent_and_a_token_runs_once() {
    let app = spawn_app().await;
    let (_, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    let c = &mut app.conn();
    let a = contact(c, "Alpha", None);
    let b = contact(c, "Beta", None);
    diesel::insert_into(contact_tags::table)
        .values((contact_tags::contact_id.eq(a), contact_tags::tag.eq("vip")))
        .execute(c)
        .unwrap();
    let r = preview(&mgr, "", &[("ids", &a.to_string()), ("ids", &b.to_string()), ("tags", " vip, new ,vip,, ")]).await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Assign tags: new, vip"), "{html}");
    assert_eq!(number(&html, "changeable"), 2);
    let first = execute(&mgr, &html).await;
    assert_eq!(first.status(), 200);
    assert_eq!(tags(c, a), ["new", "vip"]);
    assert_eq!(tags(c, b), ["new", "vip"]);
    // The same token again: refused, nothing done twice.
    let again = execute(&mgr, &html).await;
    assert_eq!(again.status(), 303);
    // The same actions again: nothing left to change.
    let html = preview(&mgr, "", &[("ids", &a.to_string()), ("ids", &b.to_string()), ("tags", "vip,new")])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(number(&html, "changeable"), 0);
}

#[tokio::test]
async fn a_salesperson_run_skips_contacts_they_cannot_edit_and_cannot_assign() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let other = app.create_user("other@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let own = contact(c, "Own", Some(sam_id));
    let ro = contact(c, "Readonly", Some(other));
    co_owner(c, ro, sam_id, true);
    let hidden = contact(c, "Hidden", Some(other));
    let r = preview(&sam, "", &[("tags", "q4")]).await;
    let html = r.text().await.unwrap();
    assert_eq!(number(&html, "matched"), 2, "the hidden contact is not even matched");
    assert_eq!(number(&html, "changeable"), 1);
    assert!(html.contains("<strong>1</strong> — you may see but not edit them"));
    execute(&sam, &html).await;
    assert_eq!(tags(c, own), ["q4"]);
    assert!(tags(c, ro).is_empty());
    assert!(tags(c, hidden).is_empty());
    // Owner actions need contacts.assign.
    let r = preview(&sam, "", &[("add_co_owner", "other@example.com")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("needs the contacts.assign permission"));
    // A Sending operator has no access to Manage at all.
    let (_, op) = app.signed_in("olga@example.com", Role::SendingOperator).await;
    assert_eq!(op.get("/contacts/manage").await.status(), 403);
}

#[tokio::test]
async fn access_lost_between_preview_and_execution_is_reported_and_nothing_runs() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::User).await;
    let other = app.create_user("other@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let shared = contact(c, "Shared", Some(other));
    co_owner(c, shared, sam_id, false);
    let html = preview(&sam, "", &[("tags", "hot")]).await.text().await.unwrap();
    assert_eq!(number(&html, "changeable"), 1);
    // Meanwhile the co-ownership becomes read-only.
    custodian::contacts::owners::set_read_only(c, shared, sam_id, true).unwrap();
    let r = execute(&sam, &html).await;
    assert_eq!(r.status(), 409);
    let run = r.url().path().to_string();
    let body = r.text().await.unwrap();
    assert!(body.contains("The data changed since your preview: 1 contact(s) could be changed then, 0 now"), "{body}");
    assert!(tags(c, shared).is_empty(), "nothing was done");
    // "Preview again": the same actions on the same contacts, previewed on the data as it is.
    let csrf = csrf_token(&body).unwrap();
    let again = sam.post_raw(&format!("{run}/again"), &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status(), 200);
    let again = again.text().await.unwrap();
    assert!(again.contains("id=\"execute\"") && again.contains("Assign tags: hot"), "{again}");
    assert_eq!(number(&again, "changeable"), 0);
}

#[tokio::test]
async fn combined_actions_apply_in_one_run_and_match_the_preview_sample() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let newowner = app.create_user("new@example.com", Role::Salesperson);
    let helper = app.create_user("help@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let g = group(c, "Finland");
    let ids: Vec<i64> = (0..5).map(|i| contact(c, &format!("Combo{i}"), None)).collect();
    let html = preview(
        &admin,
        "q=combo",
        &[
            ("q", "combo"),
            ("set_main_owner", "new@example.com"),
            ("add_co_owner", "help@example.com"),
            ("add_co_owner_read_only", "true"),
            ("tags", "a,b"),
            ("add_group", &g.to_string()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(number(&html, "changeable"), 5);
    assert!(html.contains("Main: new@example.com"), "the sample shows the after state");
    execute(&admin, &html).await;
    for id in ids {
        let main: Option<i64> = contacts::table.find(id).select(contacts::main_owner_id).first(c).unwrap();
        assert_eq!(main, Some(newowner));
        assert_eq!(co_owners_of(c, id), vec![(helper, true)]);
        assert_eq!(tags(c, id), ["a", "b"]);
    }
}

#[tokio::test]
async fn browser_runs_a_bulk_action_through_preview_and_execute() {
    use thirtyfour::prelude::*;
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let c = &mut app.conn();
    let ids: Vec<i64> = (0..3).map(|i| contact(c, &format!("Bulky{i}"), None)).collect();
    let chrome = crate::browser::Chrome::start().await;
    chrome.login(&app.address, "ada@example.com", TEST_PASSWORD).await;
    chrome.driver.goto(format!("{}/contacts?q=bulky", app.address)).await.unwrap();
    chrome.click_through(By::Id("manage-all")).await;
    chrome.wait_for(By::Id("f-tags")).await.send_keys("campaign-x").await.unwrap();
    chrome.click_through(By::Css("button.primary")).await;
    let matched = chrome.wait_for(By::Id("matched")).await.text().await.unwrap();
    assert_eq!(matched, "3");
    assert!(tags(c, ids[0]).is_empty(), "the preview changed nothing");
    chrome.click_through(By::Id("execute")).await;
    chrome.wait_text(By::Css("main h1"), "Done").await;
    for id in ids {
        assert_eq!(tags(c, id), ["campaign-x"]);
    }
    chrome.quit().await;
}

/// Issue #14: a run that takes contacts out of the user's own sight says so before (preview)
/// and after (report), with the same number.
#[tokio::test]
async fn a_run_that_hides_contacts_from_the_user_warns_first() {
    let app = spawn_app().await;
    let (sam, b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    app.override_key(sam, "contacts.assign", true);
    let olga = app.create_user("olga@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let theirs = contact(c, "Theirs", Some(olga));
    co_owner(c, theirs, sam, false);
    let mine = contact(c, "Mine", Some(sam));
    let ids = format!("ids={theirs}&ids={mine}");
    let r = preview(
        &b,
        &ids,
        &[("ids", &theirs.to_string()), ("ids", &mine.to_string()), ("remove_owner", "sam@example.com")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("After this run you will no longer see 1 of the contacts it changes"), "{html}");
    let done = execute(&b, &html).await.text().await.unwrap();
    assert!(done.contains("You no longer see 1 of the contacts this run changed"), "{done}");
    // A run that hides nothing says nothing.
    let r = preview(&b, &format!("ids={mine}"), &[("ids", &mine.to_string()), ("tags", "x")]).await;
    assert!(!r.text().await.unwrap().contains("id=\"lost-sight\""));
}

/// Issue #15: "the editable set has not changed since the preview" compares the set itself (a
/// hash of its ids), not its size and the sum of its ids.
#[tokio::test]
async fn a_different_set_with_the_same_count_and_sum_is_a_change() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::User).await;
    let other = app.create_user("other@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let ids: Vec<i64> = (0..4).map(|i| contact(c, &format!("Swap{i}"), Some(other))).collect();
    assert_eq!(ids[0] + ids[3], ids[1] + ids[2]);
    for (i, id) in ids.iter().enumerate() {
        co_owner(c, *id, sam_id, i == 1 || i == 2);
    }
    let fields: Vec<(&str, String)> =
        ids.iter().map(|id| ("ids", id.to_string())).chain([("tags", "hot".to_string())]).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let html = preview(&sam, "q=swap", &fields).await.text().await.unwrap();
    assert_eq!(number(&html, "changeable"), 2);
    // Meanwhile the writable and the read-only co-ownerships swap: two contacts, same id sum.
    for (i, id) in ids.iter().enumerate() {
        custodian::contacts::owners::set_read_only(c, *id, sam_id, !(i == 1 || i == 2)).unwrap();
    }
    let r = execute(&sam, &html).await;
    assert_eq!(r.status(), 409, "{}", r.text().await.unwrap());
    assert!(ids.iter().all(|id| tags(c, *id).is_empty()), "nothing was done");
}

/// Issue #15: a `kill -9` of the server while it executes a bulk run leaves nothing of it
/// applied — the run is one transaction, and a transaction the server never commits is gone.
#[tokio::test]
async fn a_server_killed_during_a_bulk_run_leaves_nothing_applied() {
    let db = TestDb::new();
    let mut c = db.conn();
    let admin = create_user(&mut c, "ada@example.com", Role::Administrator);
    diesel::sql_query(format!(
        "INSERT INTO contacts (first_name, last_name, email, main_owner_id) \
         SELECT 'Kill', 'N' || g, 'kill' || g || '@x.test', {admin} FROM generate_series(1, 150000) g"
    ))
    .execute(&mut c)
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // The server as its own process, so that it can be killed like one.
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_custodian"))
            .env("DATABASE_URL", &db.url)
            .env("BIND", format!("127.0.0.1:{port}"))
            // (The preview of 150,000 contacts is answered with itself, however long it takes.)
            .env("BULK_PREVIEW_WAIT_MS", "600000")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut server = start();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let b = Browser::new(&base);
    assert_eq!(b.login("ada@example.com", TEST_PASSWORD).await.status(), 303);
    let html = preview(&b, "", &[("tags", "killed")]).await.text().await.unwrap();
    assert_eq!(number(&html, "changeable"), 150_000);
    let token = token_of(&html);
    // "Execute" answers at once with the run's page; the run goes on in the background.
    let r = b.submit("/", "/contacts/manage/execute", &[("token", &token)]).await;
    assert_eq!(r.status(), 303);
    let run = location(&r);
    let run_id: i64 = run.trim_start_matches("/contacts/manage/runs/").parse().unwrap();
    // Kill it once the run's statements are under way in PostgreSQL (another session's: this
    // query's own text names bulk_sel too).
    let mut seen = false;
    for _ in 0..300 {
        let n: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE '%bulk_sel%' AND state = 'active' \
             AND pid <> pg_backend_pid()",
        )
        .get_result::<Counted>(&mut c)
        .unwrap()
        .n;
        if n > 0 {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen, "the run was caught while it ran");
    // Meanwhile its page follows it: a live region, and the progress as JSON.
    let html = b.page(&run).await;
    assert!(
        html.contains(&format!("data-progress-url=\"{run}/progress\" role=\"status\" aria-live=\"polite\"")),
        "{html}"
    );
    assert!(!html.contains("http-equiv=\"refresh\""));
    let p: serde_json::Value = b.get(&format!("{run}/progress")).await.json().await.unwrap();
    assert_eq!(p["running"], true, "{p}");
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    // PostgreSQL ends the orphaned transaction; nothing of it is ever visible.
    for _ in 0..100 {
        let busy: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .get_result::<Counted>(&mut c)
        .unwrap()
        .n;
        if busy == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let tagged = |c: &mut PgConnection| -> i64 {
        contact_tags::table.filter(contact_tags::tag.eq("killed")).count().get_result(c).unwrap()
    };
    assert_eq!(tagged(&mut c), 0, "no half-applied run");
    let executed: i64 = custodian::db::schema::bulk_runs::table
        .filter(custodian::db::schema::bulk_runs::executed_at.is_not_null())
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(executed, 0, "the run is not marked done");
    let view = custodian::bulk::progress::load(&mut c, run_id, admin, false).unwrap().unwrap();
    assert_eq!(view.phase, custodian::bulk::progress::Phase::Interrupted, "its page says it was interrupted");
    // Another instance starts: its sweep takes the run over and runs it again from the start.
    let mut server = start();
    let mut ended = false;
    for _ in 0..1200 {
        let done = custodian::bulk::progress::load(&mut c, run_id, admin, false).unwrap().unwrap();
        if !done.is_going() {
            assert_eq!(done.phase, custodian::bulk::progress::Phase::Done, "{}", done.line());
            ended = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(ended, "the run was taken over and ended");
    assert_eq!(tagged(&mut c), 150_000, "taken over, it applied all of it, once");
}

#[derive(diesel::QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Issue #15: a run on some of the contacts of a run queued before it waits for that run, and
/// its page says so; a run on other contacts goes ahead meanwhile.
#[tokio::test]
async fn a_run_on_overlapping_contacts_waits_for_the_earlier_one() {
    use custodian::bulk::{self, Queued};
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    let (ada_id, ada) = app.signed_in("ada@example.com", Role::Administrator).await;
    let c = &mut app.conn();
    let ids: Vec<i64> = (0..8).map(|i| contact(c, &format!("Queue{i}"), None)).collect();
    async fn preview_ids(b: &Browser, ids: &[i64], tag: &str) -> String {
        let fields: Vec<(String, String)> =
            ids.iter().map(|i| ("ids".to_string(), i.to_string())).chain([("tags".into(), tag.into())]).collect();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        preview(b, "", &fields).await.text().await.unwrap()
    }
    // Run A, on the first four: queued, and held by a worker that has not got far yet.
    let html = preview_ids(&ada, &ids[0..4], "a").await;
    let s = custodian::access::facts::subject(c, ada_id).unwrap().unwrap();
    let Queued::Queued(a) = bulk::queue(c, &s, &token_of(&html), None).unwrap() else { panic!("A not queued") };
    let mut worker_a = app.conn();
    worker_a.batch_execute(&format!("BEGIN; SELECT id FROM bulk_runs WHERE id = {a} FOR NO KEY UPDATE")).unwrap();
    // Run B overlaps A (contacts 2 and 3): it waits, and its page says for which run.
    let html = preview_ids(&ada, &ids[2..6], "b").await;
    let r = ada.submit("/", "/contacts/manage/execute", &[("token", &token_of(&html))]).await;
    let run_b = location(&r);
    let mut line = String::new();
    for _ in 0..100 {
        let p: serde_json::Value = ada.get(&format!("{run_b}/progress")).await.json().await.unwrap();
        line = p["line"].as_str().unwrap_or_default().to_string();
        if line.contains(&format!("Waiting for run #{a}")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(line.contains(&format!("Waiting for run #{a}, which changes some of the same contacts")), "{line}");
    assert!(ada.page(&run_b).await.contains(&format!("Waiting for run #{a}")));
    // Run C, on contacts neither touches, goes ahead.
    let html = preview_ids(&ada, &ids[6..8], "c").await;
    let done = execute(&ada, &html).await;
    assert_eq!(done.status(), 200);
    assert_eq!(tags(c, ids[6]), ["c"]);
    assert!(tags(c, ids[4]).is_empty(), "B is still waiting");
    // A's worker stops without applying anything; the run is picked up again and ends; then B.
    worker_a.batch_execute("ROLLBACK").unwrap();
    let pool = custodian::db::Db::new(&app.db.url, 3, std::time::Duration::from_secs(5));
    let _ = custodian::bulk::worker::execute(&pool, a).unwrap(); // None if the sweep got it first
    assert_eq!(bulk_run_page_when_ended(&ada, &run_b).await.status(), 200, "B ended once A had");
    assert_eq!(tags(c, ids[2]), ["a", "b"]);
    assert_eq!(tags(c, ids[0]), ["a"]);
    assert_eq!(tags(c, ids[5]), ["b"]);
}

/// Issue #15: an executed run is undone as a new previewed run that restores exactly what it
/// changed; what a later change touched is left alone and counted.
#[tokio::test]
async fn undo_restores_exactly_what_a_run_changed_and_leaves_later_changes_alone() {
    use custodian::db::schema::contact_access_groups as cag;
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let x = app.create_user("x@example.com", Role::Salesperson);
    let y = app.create_user("y@example.com", Role::Salesperson);
    let newm = app.create_user("new@example.com", Role::Salesperson);
    let helper = app.create_user("help@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let (g1, g2) = (group(c, "Added"), group(c, "Removed"));
    let c1 = contact(c, "Undo1", Some(x));
    co_owner(c, c1, y, true);
    let c2 = contact(c, "Undo2", Some(x));
    let c3 = contact(c, "Undo3", Some(y));
    co_owner(c, c3, x, false);
    let c4 = contact(c, "Undo4", Some(newm));
    co_owner(c, c4, helper, false);
    for (id, g) in [(c1, g2), (c2, g2)] {
        diesel::insert_into(cag::table).values((cag::contact_id.eq(id), cag::group_id.eq(g))).execute(c).unwrap();
    }
    diesel::insert_into(contact_tags::table)
        .values((contact_tags::contact_id.eq(c1), contact_tags::tag.eq("keep")))
        .execute(c)
        .unwrap();
    let groups_of = |c: &mut PgConnection, id: i64| -> Vec<i64> {
        cag::table.filter(cag::contact_id.eq(id)).select(cag::group_id).order(cag::group_id).load(c).unwrap()
    };
    let main_of = |c: &mut PgConnection, id: i64| {
        contacts::table.find(id).select(contacts::main_owner_id).first::<Option<i64>>(c).unwrap()
    };
    let state = |c: &mut PgConnection, id: i64| (main_of(c, id), co_owners_of(c, id), tags(c, id), groups_of(c, id));
    let before: Vec<_> = [c1, c2, c3, c4].iter().map(|id| state(c, *id)).collect();
    let html = preview(
        &admin,
        "q=undo",
        &[
            ("q", "undo"),
            ("set_main_owner", "new@example.com"),
            ("add_co_owner", "help@example.com"),
            ("add_co_owner_read_only", "true"),
            ("tags", "t1"),
            ("add_group", &g1.to_string()),
            ("remove_group", &g2.to_string()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    let done = execute(&admin, &html).await;
    assert_eq!(done.status(), 200);
    let run_url = done.url().path().to_string();
    let done = done.text().await.unwrap();
    assert!(done.contains("id=\"undo\""), "a done run offers its undo");
    assert_eq!(main_of(c, c2), Some(newm));
    assert_eq!(co_owners_of(c, c4), vec![(helper, true)]);
    // Later, by hand: c2 gets another main owner, c3 loses the tag the run added.
    custodian::contacts::owners::set_main_owner(c, c2, y).unwrap();
    diesel::delete(contact_tags::table.filter(contact_tags::contact_id.eq(c3)).filter(contact_tags::tag.eq("t1")))
        .execute(c)
        .unwrap();
    let after_later_c2 = state(c, c2);
    // The undo, previewed: what it restores, and what it leaves alone.
    let r = admin.submit(&run_url, &format!("{run_url}/undo"), &[]).await;
    assert_eq!(r.status(), 200);
    let undo = r.text().await.unwrap();
    assert!(undo.contains("Undo run #"), "{undo}");
    assert!(undo.contains("<strong>1</strong> — the main owner changed since the run"), "{undo}");
    assert!(undo.contains("<strong>1</strong> — the tag it added was removed since"), "{undo}");
    assert_eq!(main_of(c, c1), Some(newm), "the undo preview changed nothing");
    let undone = execute(&admin, &undo).await;
    assert_eq!(undone.status(), 200);
    let undone = undone.text().await.unwrap();
    assert!(!undone.contains("id=\"undo\""), "an undo is not undone in turn");
    // Issue #30: the undone run says so, links to its undo and offers no second one; asked for
    // one all the same, it refuses.
    let undo_id: i64 = undone
        .split("Bulk run #")
        .nth(1)
        .unwrap()
        .split(|ch: char| !ch.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let original = admin.page(&run_url).await;
    assert!(original.contains("<h1>Done, then undone</h1>"), "{original}");
    assert!(
        original.contains(&format!("undone by <a href=\"/contacts/manage/runs/{undo_id}\">bulk run #{undo_id}</a>")),
        "{original}"
    );
    assert!(!original.contains("id=\"undo\""), "no second undo offered");
    let again = admin.submit(&run_url, &format!("{run_url}/undo"), &[]).await;
    assert_eq!(location(&again), run_url);
    assert!(admin.page(&run_url).await.contains("already been undone"));
    assert!(admin.page("/contacts/manage/runs").await.contains("Done, then undone"), "the list says so too");
    // Exactly as before where nothing else happened.
    assert_eq!(state(c, c1), before[0]);
    assert_eq!(state(c, c3), before[2]);
    assert_eq!(state(c, c4), before[3]);
    // c2: its later main owner stays; what the run added (x kept as co-owner, helper, t1, g1)
    // is gone, and what it removed (g2) is back.
    let (main2, co2, tags2, groups2) = state(c, c2);
    assert_eq!(main2, Some(y));
    assert_eq!(co2, after_later_c2.1.into_iter().filter(|(u, _)| *u != x && *u != helper).collect::<Vec<_>>());
    assert!(tags2.is_empty());
    assert_eq!(groups2, vec![g2]);
    // One audit entry per run, the undo included; the entry links to the run's page.
    let n: i64 = audit_log::table.filter(audit_log::action.eq("contact.bulk")).count().get_result(c).unwrap();
    assert_eq!(n, 2);
    let log = admin.page("/audit").await;
    assert!(log.contains(&format!("href=\"{run_url}\"")));
    // Each run's entry is one sentence naming what it did; the undo says it is one.
    assert!(log.contains("(Undo run #"), "{log}");
}

/// "Your bulk runs": a user's own executed runs, newest first, each linking to its page, with
/// what it did or why it did nothing; pages of 50 by "Older →"; nobody else's runs.
#[tokio::test]
async fn your_bulk_runs_lists_your_own_runs_newest_first() {
    use custodian::db::schema::bulk_runs;
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, ivy) = app.signed_in("ivy@example.com", Role::Salesperson).await;
    let c = &mut app.conn();
    let own = contact(c, "Own", Some(sam_id));
    let first = location(
        &sam.submit(
            "/",
            "/contacts/manage/execute",
            &[("token", &token_of(&preview(&sam, "", &[("tags", "q1")]).await.text().await.unwrap()))],
        )
        .await,
    );
    bulk_run_page_when_ended(&sam, &first).await;
    // A second run, previewed, then the data changes under it: nothing applied.
    let html = preview(&sam, "", &[("tags", "q2")]).await.text().await.unwrap();
    diesel::update(contacts::table.find(own)).set(contacts::main_owner_id.eq(None::<i64>)).execute(c).unwrap();
    let second = location(&sam.submit("/", "/contacts/manage/execute", &[("token", &token_of(&html))]).await);
    bulk_run_page_when_ended(&sam, &second).await;
    let page = sam.page("/contacts/manage/runs").await;
    let (at_first, at_second) =
        (page.find(&format!("href=\"{first}\"")).unwrap(), page.find(&format!("href=\"{second}\"")).unwrap());
    assert!(at_second < at_first, "newest first: {page}");
    assert!(page.contains("Assign tags: q1") && page.contains("Done"), "{page}");
    assert!(page.contains("Not applied: the data changed since the preview"), "{page}");
    assert!(!page.contains("Older →"));
    // Someone else sees none of them, and cannot open them.
    let theirs = ivy.page("/contacts/manage/runs").await;
    assert!(theirs.contains("You have not executed a bulk run yet.") && !theirs.contains(&first), "{theirs}");
    assert_eq!(ivy.get(&first).await.status(), 404);
    // Fifty more: the first page holds the newest fifty, "Older →" the rest.
    let spec =
        serde_json::to_value(custodian::bulk::spec::Spec { tags: vec!["x".into()], ..Default::default() }).unwrap();
    for i in 0..50 {
        diesel::insert_into(bulk_runs::table)
            .values((
                bulk_runs::token.eq(format!("t{i}")),
                bulk_runs::user_id.eq(sam_id),
                bulk_runs::spec.eq(&spec),
                bulk_runs::matched.eq(Vec::<i64>::new()),
                bulk_runs::editable_count.eq(0),
                bulk_runs::editable_hash.eq(0),
                bulk_runs::status.eq("failed"),
                bulk_runs::queued_at.eq(chrono::Utc::now()),
            ))
            .execute(c)
            .unwrap();
    }
    let page = sam.page("/contacts/manage/runs").await;
    assert!(!page.contains(&format!("href=\"{second}\"")) && page.contains("Older →"), "{page}");
    let second_id = second.rsplit('/').next().unwrap();
    let older = sam.page(&format!("/contacts/manage/runs?before={}", second_id.parse::<i64>().unwrap() + 1)).await;
    assert!(older.contains(&format!("href=\"{second}\"")) && older.contains(&format!("href=\"{first}\"")), "{older}");
    // A Sending operator has no bulk runs to see.
    let (_, op) = app.signed_in("olga@example.com", Role::SendingOperator).await;
    assert_eq!(op.get("/contacts/manage/runs").await.status(), 403);
}

/// Every owner of changed contacts but the one who ran it is told once, with how many of
/// theirs changed (main owner and co-owner alike) and, for a single contact, which. The
/// notices are written after the run commits, by the worker; those a stopped instance left
/// owed are written by the next one, once.
#[tokio::test]
async fn owners_of_changed_contacts_are_told_once_with_their_count() {
    use custodian::bulk::worker;
    use custodian::db::schema::{bulk_runs, notifications};
    let app = spawn_app().await;
    let (ada_id, ada) = app.signed_in("ada@example.com", Role::Administrator).await;
    let bob = app.create_user("bob@example.com", Role::Salesperson);
    let carl = app.create_user("carl@example.com", Role::Salesperson);
    let dora = app.create_user("dora@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let b: Vec<i64> = (0..3).map(|i| contact(c, &format!("B{i}"), Some(bob))).collect();
    co_owner(c, b[0], carl, true);
    let cc = contact(c, "C", Some(carl));
    let d = contact(c, "D", Some(dora));
    co_owner(c, d, ada_id, false);
    let html = preview(&ada, "", &[("tags", "told")]).await.text().await.unwrap();
    execute(&ada, &html).await;
    let run: i64 = bulk_runs::table.filter(bulk_runs::status.eq("done")).select(bulk_runs::id).first(c).unwrap();
    notices_written(c).await;
    let told = |c: &mut PgConnection, user: i64| -> Vec<(Option<i64>, String)> {
        notifications::table
            .filter(notifications::user_id.eq(user))
            .select((notifications::contact_id, notifications::message))
            .load(c)
            .unwrap()
    };
    let expected = |c: &mut PgConnection| {
        assert_eq!(
            told(c, bob),
            vec![(None, "ada@example.com changed 3 of your contacts in a bulk action".to_string())]
        );
        assert_eq!(
            told(c, carl),
            vec![(None, "ada@example.com changed 2 of your contacts in a bulk action".to_string())]
        );
        assert_eq!(
            told(c, dora),
            vec![(Some(d), "ada@example.com changed 1 of your contacts in a bulk action".to_string())]
        );
        assert!(told(c, ada_id).is_empty(), "not the one who ran it");
    };
    expected(c);
    let pool = custodian::db::Db::new(&app.db.url, 3, std::time::Duration::from_secs(5));
    assert_eq!(worker::deliver_notices(&pool, run).unwrap(), None, "nothing owed any more");
    // As if the instance had stopped between the run's commit and its notices: they are owed,
    // their job queued (as the run's transaction leaves them), and another worker writes them,
    // once.
    diesel::delete(notifications::table).execute(c).unwrap();
    let changed: Vec<i64> = [b.clone(), vec![cc, d]].concat();
    diesel::sql_query("UPDATE bulk_runs SET notify_ids = $1 WHERE id = $2")
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&changed)
        .bind::<diesel::sql_types::BigInt, _>(run)
        .execute(c)
        .unwrap();
    custodian::jobs::enqueue(c, &custodian::bulk::NOTICES, run).unwrap();
    // (The runner looks for due jobs every SWEEP_EVERY_MS, 2 s in the tests.)
    notices_written(c).await;
    expected(c);
    assert_eq!(worker::deliver_notices(&pool, run).unwrap(), None);
    expected(c);
}

/// Whoever may read the audit log (and so open anyone's run) lists everyone's runs, with whose
/// each is, or one user's; nobody else may.
#[tokio::test]
async fn an_auditor_lists_everyones_bulk_runs_or_one_users() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, ada) = app.signed_in("ada@example.com", Role::Administrator).await;
    let c = &mut app.conn();
    contact(c, "Own", Some(sam_id));
    let html = preview(&sam, "", &[("tags", "audited")]).await.text().await.unwrap();
    let run = location(&sam.submit("/", "/contacts/manage/execute", &[("token", &token_of(&html))]).await);
    bulk_run_page_when_ended(&sam, &run).await;
    let own = ada.page("/contacts/manage/runs").await;
    assert!(!own.contains(&format!("href=\"{run}\"")) && own.contains("everyone's</a>"), "{own}");
    let all = ada.page("/contacts/manage/runs?who=all").await;
    assert!(all.contains("<h1>Everyone&#39;s bulk runs</h1>") && all.contains(&format!("href=\"{run}\"")), "{all}");
    let by = format!("href=\"/contacts/manage/runs?who={sam_id}\">sam@example.com</a>");
    assert!(all.contains(&by), "whose run it is, linking to their runs: {all}");
    let theirs = ada.page(&format!("/contacts/manage/runs?who={sam_id}")).await;
    assert!(theirs.contains("<h1>Bulk runs of sam@example.com</h1>") && theirs.contains(&format!("href=\"{run}\"")));
    assert!(ada.get(&run).await.status() == 200, "and opens it");
    // A salesperson lists their own runs only.
    assert_eq!(sam.get("/contacts/manage/runs?who=all").await.status(), 403);
    assert_eq!(sam.get(&format!("/contacts/manage/runs?who={sam_id}")).await.status(), 403);
    assert!(!sam.page("/contacts/manage/runs").await.contains("everyone's"));
}
