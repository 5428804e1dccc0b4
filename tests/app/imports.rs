//! Import and export (SPEC screen 11): export of exactly the visible contacts under the
//! filters, its refusals; import with rejected rows, de-duplication, tags/groups/owner, the
//! edit-level check on existing contacts, and refusals.

use crate::fixtures::*;
use crate::helpers::*;
use custodian::db::schema::{
    audit_log, contact_access_groups, contact_tags, contacts, import_chunks, import_jobs, import_rejects, users,
};
use custodian::permissions::Role;
use diesel::prelude::*;

fn tag(c: &mut PgConnection, contact: i64, t: &str) {
    diesel::insert_into(contact_tags::table)
        .values((contact_tags::contact_id.eq(contact), contact_tags::tag.eq(t)))
        .execute(c)
        .unwrap();
}

fn exports_audited(c: &mut PgConnection) -> i64 {
    audit_log::table.filter(audit_log::action.eq("contact.export")).count().get_result(c).unwrap()
}

#[tokio::test]
async fn export_streams_exactly_the_visible_contacts_under_the_filters() {
    let app = spawn_app().await;
    let (mia_id, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let other = app.create_user("other@example.com", Role::Salesperson);
    let mut c = app.conn();
    let ann = contact(&mut c, "Ann", Some(mia_id));
    let bob = contact(&mut c, "Bob", Some(mia_id));
    let hidden = contact(&mut c, "Hidden", Some(other));
    tag(&mut c, ann, "vip");
    tag(&mut c, ann, "lead");
    tag(&mut c, hidden, "vip");
    diesel::update(contacts::table.find(ann))
        .set((contacts::phone.eq("+48600700800"), contacts::category.eq("b2b")))
        .execute(&mut c)
        .unwrap();

    let r = mia.get("/contacts/export.csv?tag=vip").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = r.text().await.unwrap();
    assert_eq!(
        body,
        format!(
            "id,email,first_name,last_name,phone,company,category,main_owner_email,tags\n{ann},ann@contacts.test,Ann,,+48600700800,,b2b,mia@example.com,lead;vip\n"
        )
    );
    let all = mia.get("/contacts/export.csv").await.text().await.unwrap();
    let ids: Vec<&str> = all.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids, vec![ann.to_string(), bob.to_string()], "only visible contacts, in id order");
    let entry: Option<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("contact.export"))
        .order(audit_log::id)
        .select(audit_log::after)
        .first(&mut c)
        .unwrap();
    assert_eq!(entry.unwrap()["filters"]["tag"], "vip");
    assert!(mia.page("/contacts").await.contains("/contacts/export.csv?"), "the list offers Export CSV");

    // More rows than one page: the keyset pages join without loss or repetition.
    diesel::sql_query(format!(
        "INSERT INTO contacts (first_name, main_owner_id) SELECT 'Bulk' || g, {mia_id} FROM generate_series(1, 4500) g"
    ))
    .execute(&mut c)
    .unwrap();
    let big = mia.get("/contacts/export.csv?q=bulk").await.text().await.unwrap();
    let mut ids: Vec<i64> = big.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(ids.len(), 4500);
    ids.dedup();
    assert_eq!(ids.len(), 4500);
}

#[tokio::test]
async fn export_is_refused_without_the_permission_and_when_disabled() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (mia_id, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    contact(&mut app.conn(), "Ann", Some(sam_id));
    contact(&mut app.conn(), "Bob", Some(mia_id));
    assert_eq!(sam.get("/contacts/export.csv").await.status(), 403);
    assert!(!sam.page("/contacts").await.contains("Export CSV"));
    diesel::update(users::table.find(mia_id)).set(users::disable_export.eq(true)).execute(&mut app.conn()).unwrap();
    let r = mia.get("/contacts/export.csv").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("export is disabled for your account"));
    assert!(!mia.page("/contacts").await.contains("Export CSV"));
    assert_eq!(exports_audited(&mut app.conn()), 0, "refused exports are not recorded as exports");
}

/// Uploads `csv` as a multipart form; returns the response.
pub(crate) async fn upload(b: &Browser, csv: &str) -> reqwest::Response {
    let token = csrf_token(&b.page("/contacts/import").await).unwrap();
    let boundary = "----custodian-test-boundary";
    // As a browser sends the form: the hidden token is its first part.
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    b.client
        .post(b.url("/contacts/import"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Uploads, maps and runs an import; waits for it; returns the job id.
pub(crate) async fn import(app: &TestApp, b: &Browser, csv: &str, fields: &[(&str, &str)]) -> i64 {
    let r = upload(b, csv).await;
    assert_eq!(r.status(), 303, "upload: {}", r.text().await.unwrap());
    let page = location(&r);
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let r = b.submit(&page, &page, fields).await;
    assert_eq!(r.status(), 303, "start: {}", r.text().await.unwrap());
    for _ in 0..200 {
        let status: String = import_jobs::table.find(id).select(import_jobs::status).first(&mut app.conn()).unwrap();
        if status == "done" || status == "failed" {
            assert_eq!(status, "done");
            return id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("import {id} did not finish");
}

pub(crate) fn counts(app: &TestApp, id: i64) -> (i64, i64, i64, i64) {
    import_jobs::table
        .find(id)
        .select((import_jobs::created, import_jobs::updated, import_jobs::skipped, import_jobs::rejected))
        .first(&mut app.conn())
        .unwrap()
}

pub(crate) fn rejects(app: &TestApp, id: i64) -> Vec<(i64, String)> {
    import_rejects::table
        .filter(import_rejects::job_id.eq(id))
        .order(import_rejects::row_no)
        .select((import_rejects::row_no, import_rejects::reason))
        .load(&mut app.conn())
        .unwrap()
}

#[tokio::test]
async fn import_keeps_good_rows_reports_bad_ones_and_applies_tags_groups_owner() {
    let app = spawn_app().await;
    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let olga = app.create_user("olga@example.com", Role::Salesperson);
    let g = group(&mut app.conn(), "Imported");
    let csv = "E-mail;First name;Last name;Phone;Tags;Notes\n\
               ann@x.test;Ann;A;+420 777 111 222;vip, lead;n\n\
               bad-email;Bob;B;;;\n\
               ;;;;;\n\
               cat@x.test;Cat;C;600100;;\n\
               ANN@x.test;Ann again;;;;\n\
               dan@x.test;Dan;D;;;";
    // The mapping page pre-selects by header name.
    let r = upload(&mia, csv).await;
    let page = mia.page(&location(&r)).await;
    assert!(page.contains("<option value=\"email\" selected>"), "E-mail is pre-selected as email");
    let gs = g.to_string();
    let fields = [
        ("map_0", "email"),
        ("map_1", "first_name"),
        ("map_2", "last_name"),
        ("map_3", "phone"),
        ("map_4", "tags"),
        ("map_5", "ignore"),
        ("tags", "imported"),
        ("group", gs.as_str()),
        ("owner", "olga@example.com"),
        ("dedup", "update"),
        // Mia will not see Olga's new contacts (issue #14 asks first): she confirms.
        ("hidden_ok", "1"),
    ];
    let id = import(&app, &mia, csv, &fields).await;
    assert_eq!(counts(&app, id), (2, 0, 0, 4));
    let rj = rejects(&app, id);
    let rows: Vec<i64> = rj.iter().map(|r| r.0).collect();
    assert_eq!(rows, vec![3, 4, 5, 6], "row numbers count the header as row 1");
    assert!(rj[0].1.contains("invalid email"));
    assert!(rj[1].1.contains("no name and no email"));
    assert!(rj[2].1.contains("country code"));
    assert!(rj[3].1.contains("same email is on row 2"));
    let mut c = app.conn();
    let (ann, owner, phone): (i64, Option<i64>, Option<String>) = contacts::table
        .filter(contacts::email.eq("ann@x.test"))
        .select((contacts::id, contacts::main_owner_id, contacts::phone))
        .first(&mut c)
        .unwrap();
    assert_eq!(owner, Some(olga));
    assert_eq!(phone.as_deref(), Some("+420777111222"), "issue #30: stored in E.164, as users' phones are");
    let tags: Vec<String> = contact_tags::table
        .filter(contact_tags::contact_id.eq(ann))
        .select(contact_tags::tag)
        .order(contact_tags::tag)
        .load(&mut c)
        .unwrap();
    assert_eq!(tags, vec!["imported", "lead", "vip"]);
    let in_g: i64 =
        contact_access_groups::table.filter(contact_access_groups::group_id.eq(g)).count().get_result(&mut c).unwrap();
    assert_eq!(in_g, 2);
    let audited: i64 =
        audit_log::table.filter(audit_log::action.eq("contact.import")).count().get_result(&mut c).unwrap();
    assert_eq!(audited, 1);
    // The report page and the rejects download.
    let report = mia.page(&format!("/contacts/import/{id}")).await;
    assert!(report.contains("invalid email address"));
    let dl = mia.get(&format!("/contacts/import/{id}/rejects.csv")).await.text().await.unwrap();
    assert_eq!(dl.lines().count(), 5);
    assert!(dl.contains("3,bad-email,"));
    // Someone else's job is not found.
    let (_, other) = app.signed_in("uma@example.com", Role::User).await;
    assert_eq!(other.get(&format!("/contacts/import/{id}")).await.status(), 404);
    assert_eq!(other.get(&format!("/contacts/import/{id}/rejects.csv")).await.status(), 404);
}

#[tokio::test]
async fn import_dedup_update_or_skip_and_refuses_contacts_it_may_not_edit() {
    let app = spawn_app().await;
    let (mia_id, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let other = app.create_user("other@example.com", Role::Salesperson);
    let mut c = app.conn();
    let mine = contact(&mut c, "Mine", Some(mia_id));
    let theirs = contact(&mut c, "Theirs", Some(other));
    let base = [("map_0", "email"), ("map_1", "first_name"), ("owner", "")];
    let csv = "email,first_name\nmine@contacts.test,New\ntheirs@contacts.test,Hacked\nnew@x.test,Newbie";
    let mut skip = base.to_vec();
    skip.push(("dedup", "skip"));
    let id = import(&app, &mia, csv, &skip).await;
    // "Theirs" is hidden from Mia: refused without confirming it exists (issue #16 L4).
    assert_eq!(counts(&app, id), (1, 0, 1, 1));
    assert_eq!(first_name(&mut c, mine), "Mine", "skip leaves existing contacts alone");

    let csv = "email,first_name\nMINE@contacts.test,Renamed\ntheirs@contacts.test,Hacked";
    let mut update = base.to_vec();
    update.push(("dedup", "update"));
    let id = import(&app, &mia, csv, &update).await;
    assert_eq!(counts(&app, id), (0, 1, 0, 1));
    assert_eq!(first_name(&mut c, mine), "Renamed");
    assert_eq!(first_name(&mut c, theirs), "Theirs", "a contact the importer may not edit is untouched");
    assert_eq!(rejects(&app, id), vec![(3, custodian::imports::run::UNUSABLE.to_string())]);
    // A contact another user edits through an import tells its other owners.
    let editor = app.create_user("ed@example.com", Role::Manager);
    let ed = app.browser();
    assert_eq!(ed.login("ed@example.com", TEST_PASSWORD).await.status(), 303);
    let id = import(&app, &ed, "email,first_name\nmine@contacts.test,Edited", &update).await;
    assert_eq!(counts(&app, id), (0, 1, 0, 0));
    let told: Vec<String> = custodian::db::schema::notifications::table
        .filter(custodian::db::schema::notifications::user_id.eq(mia_id))
        .select(custodian::db::schema::notifications::message)
        .load(&mut c)
        .unwrap();
    assert_eq!(told, vec!["ed@example.com updated “Edited” by CSV import".to_string()]);
    let _ = editor;
}

#[tokio::test]
async fn import_routes_refuse_without_the_permission_and_check_the_mapping() {
    let app = spawn_app().await;
    let (_, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let token = csrf_token(&sam.page("/").await).unwrap();
    assert_eq!(sam.get("/contacts/import").await.status(), 403);
    let r = sam
        .client
        .post(sam.url("/contacts/import"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body(format!("--x\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nemail\na@b.test\r\n--x--\r\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!sam.page("/contacts").await.contains("/contacts/import"));
    let n: i64 = import_jobs::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);

    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    assert!(mia.page("/contacts").await.contains("/contacts/import"));
    let r = upload(&mia, "").await;
    assert_eq!(r.status(), 422, "an empty file is refused on the upload page");
    let r = upload(&mia, "notes,other\nx,y").await;
    let page = location(&r);
    let bad = mia
        .submit(
            &page,
            &page,
            &[("map_0", "ignore"), ("map_1", "ignore"), ("owner", "nobody@example.com"), ("dedup", "update")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.unwrap();
    assert!(body.contains("Map at least one column"));
    assert!(body.contains("No active user has this email"));
    let n: i64 = contacts::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_running_import_shows_its_progress_and_refreshes() {
    let app = spawn_app().await;
    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let r = upload(&mia, "email\na@b.test").await;
    let page = location(&r);
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    diesel::update(import_jobs::table.find(id))
        .set((import_jobs::status.eq("running"), import_jobs::total.eq(200i64), import_jobs::processed.eq(50i64)))
        .execute(&mut app.conn())
        .unwrap();
    // A live run holds the job's claim (as `imports::run::execute` does, in its transaction).
    use diesel::connection::SimpleConnection;
    let mut run = app.conn();
    run.batch_execute("BEGIN").unwrap();
    assert!(custodian::imports::run::claim(&mut run, id).unwrap());
    let html = mia.page(&page).await;
    // Issue #14: no meta refresh; a live region follows the job's progress (JSON).
    assert!(!html.contains("http-equiv=\"refresh\""));
    assert!(html.contains(&format!(
        "data-progress-url=\"/contacts/import/{id}/progress\" role=\"status\" aria-live=\"polite\""
    )));
    assert!(html.contains("50 of 200 rows read (25%)"));
    let p: serde_json::Value = mia.get(&format!("{page}/progress")).await.json().await.unwrap();
    assert_eq!(
        (p["status"].as_str(), p["processed"].as_i64(), p["percent"].as_i64()),
        (Some("running"), Some(50), Some(25))
    );
    // Its instance stops: nothing of it was saved, and the page no longer counts its rows.
    run.batch_execute("ROLLBACK").unwrap();
    let html = mia.page(&page).await;
    assert!(html.contains("0 of 200 rows read (0%)"), "{}", &html[html.find("<main").unwrap_or(0)..]);
    // A running job cannot be started again.
    let r = mia.submit(&page, &page, &[("map_0", "email"), ("dedup", "update")]).await;
    assert_eq!(r.status(), 303);
    let status: String = import_jobs::table.find(id).select(import_jobs::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "running");
}

/// An import job of `csv` (columns email, first_name), uploaded and started as the mapping
/// page starts it, but not run: as if its instance stopped right there.
fn started_job(c: &mut PgConnection, uid: i64, csv: &str, owner_id: i64) -> i64 {
    use custodian::imports::{job, Dedup, Options, Target};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.csv");
    std::fs::write(&path, csv).unwrap();
    let id = job::create(c, uid, &path, "a.csv").unwrap().unwrap();
    let opts = Options {
        mapping: vec![Target::Email, Target::FirstName],
        tags: vec![],
        groups: vec![],
        owner_id,
        dedup: Dedup::Update,
        without_email: false,
    };
    assert!(job::start(c, id, &opts).unwrap());
    id
}

fn status_of(c: &mut PgConnection, id: i64) -> (String, Option<String>) {
    import_jobs::table.find(id).select((import_jobs::status, import_jobs::error)).first(c).unwrap()
}

/// The job's status once it is no longer running, or after `seconds`.
async fn status_once_run(c: &mut PgConnection, id: i64, seconds: u64) -> (String, Option<String>) {
    let mut status = status_of(c, id);
    for _ in 0..seconds * 10 {
        if status.0 != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = status_of(c, id);
    }
    status
}

fn chunks_of(c: &mut PgConnection, id: i64) -> i64 {
    import_chunks::table.filter(import_chunks::job_id.eq(id)).count().get_result(c).unwrap()
}

/// The whole import is one transaction: when it fails in its second batch, the first batch's
/// changes are rolled back too, and the job says it failed.
#[test]
fn a_failing_import_changes_nothing() {
    use custodian::imports::run;
    let db = TestDb::new();
    let mut c = db.conn();
    let uid = create_user(&mut c, "mia@example.com", Role::Marketer);
    diesel::sql_query(format!(
        "INSERT INTO contacts (email, first_name, main_owner_id) SELECT 'e' || g || '@x.test', 'Old', {uid} FROM generate_series(1, {}) g",
        run::BATCH
    ))
    .execute(&mut c)
    .unwrap();
    let mut csv = String::from("email,first_name\n");
    for i in 1..=run::BATCH {
        csv.push_str(&format!("e{i}@x.test,New\n"));
    }
    csv.push_str("fresh@x.test,Fresh\n");
    // An owner that does not exist: the second batch's INSERT fails on its foreign key.
    let id = started_job(&mut c, uid, &csv, -1);
    let pool = custodian::db::Db::new(&db.url, 3, std::time::Duration::from_secs(5));
    // One attempt, given up at once (the queue would try twice more first).
    assert!(custodian::imports::IMPORT.once(&pool, id).is_err());
    let renamed: i64 = contacts::table.filter(contacts::first_name.eq("New")).count().get_result(&mut c).unwrap();
    assert_eq!(renamed, 0, "the first batch's updates were rolled back");
    let total: i64 = contacts::table.count().get_result(&mut c).unwrap();
    assert_eq!(total, run::BATCH as i64);
    let (status, error): (String, Option<String>) =
        import_jobs::table.find(id).select((import_jobs::status, import_jobs::error)).first(&mut c).unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("nothing was imported"));
    assert_eq!(chunks_of(&mut c, id), 0, "the file of a failed import is removed");
}

/// An instance stopped in the middle of an import (its transaction rolled back with it): the
/// next instance to start runs the job again, from the stored file.
#[tokio::test]
async fn an_import_a_stopped_instance_left_running_is_run_again() {
    let db = TestDb::new();
    let mut c = db.conn();
    let uid = create_user(&mut c, "mia@example.com", Role::Marketer);
    let id = started_job(&mut c, uid, "email,first_name\nann@x.test,Ann\nbob@x.test,Bob\n", uid);
    let _app = spawn_app_on(db, None).await;
    assert_eq!(status_once_run(&mut c, id, 30).await, ("done".to_string(), None));
    let names: Vec<String> = contacts::table.order(contacts::email).select(contacts::first_name).load(&mut c).unwrap();
    assert_eq!(names, ["Ann", "Bob"]);
    assert_eq!(chunks_of(&mut c, id), 0, "the file is removed once imported");
}

/// A job another run holds (another instance is importing it) is left alone; once that run
/// ends without finishing it, the job is run.
#[test]
fn a_job_another_run_holds_is_left_to_it() {
    use custodian::imports::run;
    let db = TestDb::new();
    let mut c = db.conn();
    let uid = create_user(&mut c, "mia@example.com", Role::Marketer);
    let id = started_job(&mut c, uid, "email,first_name\nann@x.test,Ann\n", uid);
    let pool = custodian::db::Db::new(&db.url, 3, std::time::Duration::from_secs(5));
    let mut other = db.conn();
    other
        .transaction(|t| {
            assert!(run::claim(t, id)?, "the other run holds the job");
            assert_eq!(run::execute(&pool, id).unwrap(), None, "left to the other run");
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        })
        .unwrap_err();
    assert_eq!(status_of(&mut c, id).0, "running");
    let counts = run::execute(&pool, id).unwrap().expect("run once the other run is gone");
    assert_eq!(counts.created, 1);
    assert_eq!(run::execute(&pool, id).unwrap(), None, "a finished job is not run twice");
    assert_eq!(contacts::table.count().get_result::<i64>(&mut c).unwrap(), 1);
}

/// An upload whose mapping nobody confirmed within a day is closed and its file removed;
/// newer uploads stay.
#[test]
fn abandoned_uploads_are_closed_and_their_files_removed() {
    use custodian::imports::{housekeeping, job};
    let db = TestDb::new();
    let mut c = db.conn();
    let uid = create_user(&mut c, "mia@example.com", Role::Marketer);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.csv");
    std::fs::write(&path, "email\nann@x.test\n").unwrap();
    let old = job::create(&mut c, uid, &path, "old.csv").unwrap().unwrap();
    let new = job::create(&mut c, uid, &path, "new.csv").unwrap().unwrap();
    diesel::update(import_jobs::table.find(old))
        .set(import_jobs::created_at.eq(chrono::Utc::now() - chrono::TimeDelta::hours(25)))
        .execute(&mut c)
        .unwrap();
    assert_eq!(housekeeping::expire_uploads(&mut c).unwrap(), 1);
    assert_eq!(status_of(&mut c, old), ("failed".to_string(), Some(housekeeping::EXPIRED.to_string())));
    assert_eq!(chunks_of(&mut c, old), 0);
    assert_eq!(status_of(&mut c, new), ("uploaded".to_string(), None));
    assert_eq!(chunks_of(&mut c, new), 1);
}

/// Issue #14: a row without an email follows the rule the importer chose — rejected with that
/// reason (the default), or created without an email when asked — never silently.
#[tokio::test]
async fn rows_without_an_email_are_rejected_unless_the_import_creates_them() {
    let app = spawn_app().await;
    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let csv = "Email;First name\nann@x.test;Ann\n;Nameonly";
    let page = mia.page(&location(&upload(&mia, csv).await)).await;
    assert!(page.contains("name=\"without_email\" value=\"reject\" checked"), "rejecting is the default");
    let base = [("map_0", "email"), ("map_1", "first_name"), ("dedup", "update")];
    let id = import(&app, &mia, csv, &base).await;
    assert_eq!(counts(&app, id), (1, 0, 0, 1));
    assert_eq!(rejects(&app, id), vec![(3, custodian::imports::run::NO_EMAIL.to_string())]);
    let csv = "Email;First name\nbob@x.test;Bob\n;Nameonly";
    let id = import(&app, &mia, csv, &[&base[..], &[("without_email", "create")]].concat()).await;
    assert_eq!(counts(&app, id), (2, 0, 0, 0));
    let n: i64 = contacts::table
        .filter(contacts::first_name.eq("Nameonly"))
        .filter(contacts::email.is_null().or(contacts::email.eq("")))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(n, 1);
}

/// Issue #14: an import whose new contacts the importer would not see asks first.
#[tokio::test]
async fn an_import_that_hides_its_contacts_from_the_importer_asks_first() {
    let app = spawn_app().await;
    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    app.create_user("olga@example.com", Role::Salesperson);
    let csv = "Email;First name\nann@x.test;Ann";
    let r = upload(&mia, csv).await;
    let page = location(&r);
    let fields = [("map_0", "email"), ("map_1", "first_name"), ("owner", "olga@example.com"), ("dedup", "update")];
    let r = mia.submit(&page, &page, &fields).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("You will not see the contacts this import creates") && html.contains("name=\"hidden_ok\""),
        "{html}"
    );
    let status: String = import_jobs::table.select(import_jobs::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "uploaded", "nothing started");
    // Owning them herself needs no confirmation.
    let id =
        import(&app, &mia, csv, &[("map_0", "email"), ("map_1", "first_name"), ("owner", "mia@example.com")]).await;
    assert_eq!(counts(&app, id).0, 1);
}

/// Issue #27: a started import whose importer was deactivated before it ran is refused when it
/// runs (the importer's authority now), and the refusal is not tried again: the job fails at
/// once and imports nothing.
#[tokio::test]
async fn an_import_whose_importer_left_is_refused_once_and_not_retried() {
    use custodian::db::schema::users;
    let db = TestDb::new();
    let mut c = db.conn();
    let uid = create_user(&mut c, "mia@example.com", Role::Marketer);
    let id = started_job(&mut c, uid, "email,first_name\nann@x.test,Ann\n", uid);
    diesel::update(users::table.find(uid)).set(users::status.eq("deactivated")).execute(&mut c).unwrap();
    let _app = spawn_app_on(db, None).await;
    // Waited for well within the first retry's backoff (10 s).
    let status = status_once_run(&mut c, id, 8).await;
    assert_eq!(status.0, "failed", "refused at its first attempt, not after the retries' backoff");
    let queued: i64 =
        diesel::sql_query("SELECT count(*) AS n FROM jobs").get_result::<Count>(&mut c).map(|r| r.n).unwrap();
    assert_eq!(queued, 0, "nothing left to try again");
    assert_eq!(contacts::table.count().get_result::<i64>(&mut c).unwrap(), 0);
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Issue #30: the report counts in words a person reads: "1 row read", not "1 rows read".
#[tokio::test]
async fn a_one_row_import_reads_one_row() {
    let app = spawn_app().await;
    let (_, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let fields = [("map_0", "email"), ("map_1", "first_name"), ("dedup", "update")];
    let id = import(&app, &mia, "email,first_name\nann@x.test,Ann\n", &fields).await;
    let html = mia.page(&format!("/contacts/import/{id}")).await;
    assert!(html.contains("Done: 1 row read,"), "{}", &html[html.find("<main").unwrap_or(0)..]);
}
