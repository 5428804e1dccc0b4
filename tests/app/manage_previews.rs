//! Issue #15: bulk previews are computed by a background worker. "Preview" waits a moment for
//! its preview; when it is not ready by then (here: never waits), it answers with the run's
//! page, which follows the preview until it is ready and then shows it with "Execute actions".

use crate::fixtures::*;
use crate::helpers::*;
use crate::manage::{number, tags, token_of};
use custodian::bulk::{preview, spec::Spec, worker};
use custodian::db::schema::{bulk_runs, users};
use custodian::permissions::Role;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

fn mine_only(contact: i64) -> preview::Source {
    preview::Source::Selection(custodian::bulk::run::Selection { ids: vec![contact], ..Default::default() })
}

/// How preview `id` ended, once a worker has stored it (status, error): waits up to 10 s.
fn stored_outcome(c: &mut PgConnection, id: i64) -> (String, Option<String>) {
    for _ in 0..200 {
        let st: String = bulk_runs::table.find(id).select(bulk_runs::status).first(c).unwrap();
        if st != "previewing" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    bulk_runs::table.find(id).select((bulk_runs::status, bulk_runs::error)).first(c).unwrap()
}

async fn no_wait() -> TestApp {
    spawn_app_with(TestDb::new(), None, |c| c.bulk_preview_wait_ms = 0).await
}

/// Preview, execute and undo, each preview answered with its page and followed to its end.
#[tokio::test]
async fn a_preview_not_ready_at_once_is_followed_on_its_page_then_executed_and_undone() {
    let app = no_wait().await;
    let (_, ada) = app.signed_in("ada@example.com", Role::Administrator).await;
    let c = &mut app.conn();
    let ids: Vec<i64> = (0..3).map(|i| contact(c, &format!("Bg{i}"), None)).collect();
    let r = ada.submit("/contacts/manage", "/contacts/manage/preview", &[("tags", "bg")]).await;
    assert_eq!(r.status(), 303, "answered with the preview's page");
    let run = location(&r);
    assert!(run.starts_with("/contacts/manage/runs/"), "{run}");
    let page = bulk_run_ended(&ada, r).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    // The preview itself, read back from what the worker stored: counts, sample, token.
    assert!(html.contains("<h1>Preview</h1>"), "{html}");
    assert_eq!(number(&html, "matched"), 3);
    assert!(html.contains("Bg0") && html.contains("<mark>"), "the sample, before → after: {html}");
    assert!(ids.iter().all(|id| tags(c, *id).is_empty()), "a preview changes nothing");
    let list = ada.page("/contacts/manage/runs").await;
    assert!(list.contains("Previews not executed") && list.contains("Ready to execute"), "{list}");
    assert!(list.contains(&format!("href=\"{run}\"")), "{list}");
    let done =
        bulk_run_ended(&ada, ada.submit("/", "/contacts/manage/execute", &[("token", &token_of(&html))]).await).await;
    let done = done.text().await.unwrap();
    assert!(done.contains("<h1>Done</h1>"), "{done}");
    assert!(ids.iter().all(|id| tags(c, *id) == ["bg"]));
    let list = ada.page("/contacts/manage/runs").await;
    assert!(!list.contains("Previews not executed"), "executed, so no longer a preview: {list}");
    // Its undo: previewed in the background as well, then executed.
    let r = ada.submit(&run, &format!("{run}/undo"), &[]).await;
    assert_eq!(r.status(), 303);
    let undo = bulk_run_ended(&ada, r).await.text().await.unwrap();
    assert!(undo.contains("Tags the run added removed"), "{undo}");
    let undone =
        bulk_run_ended(&ada, ada.submit("/", "/contacts/manage/execute", &[("token", &token_of(&undo))]).await);
    assert!(undone.await.text().await.unwrap().contains("<h1>Done</h1>"));
    assert!(ids.iter().all(|id| tags(c, *id).is_empty()), "undone");
}

/// A preview nobody is computing (its instance stopped, or it is still waiting for a worker)
/// shows that it is being prepared; a worker then takes it up and the page is the preview. A
/// preview is its user's alone, even to an administrator who reads the audit log.
#[tokio::test]
async fn a_waiting_preview_says_so_and_is_taken_up_by_a_worker() {
    let app = no_wait().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, ada) = app.signed_in("ada@example.com", Role::Administrator).await;
    let c = &mut app.conn();
    let mine = contact(c, "Mine", Some(sam_id));
    let spec = Spec { tags: vec!["later".into()], ..Spec::default() };
    // Stored, then at once held as by a worker that has not got far: no other worker may claim
    // it meanwhile. (A sweep, every 2 s here, could come between the two; it practically never does.)
    let mut holder = app.conn();
    let (id, _) = preview::start(&mut holder, sam_id, &spec, &mine_only(mine)).unwrap();
    holder.batch_execute(&format!("BEGIN; SELECT id FROM bulk_runs WHERE id = {id} FOR NO KEY UPDATE")).unwrap();
    let run = format!("/contacts/manage/runs/{id}");
    let html = sam.page(&run).await;
    assert!(html.contains("<h1>Preparing the preview</h1>") && html.contains("aria-live=\"polite\""), "{html}");
    assert!(html.contains("A preview changes nothing"), "{html}");
    let p: serde_json::Value = sam.get(&format!("{run}/progress")).await.json().await.unwrap();
    assert_eq!(p["running"], true);
    assert!(sam.page("/contacts/manage/runs").await.contains("Being prepared"));
    assert_eq!(ada.get(&run).await.status(), 404, "someone else's preview");
    // Its holder goes away without storing anything; a worker takes it up.
    holder.batch_execute("ROLLBACK").unwrap();
    let pool = custodian::db::Db::new(&app.db.url, 3, std::time::Duration::from_secs(5));
    let _ = worker::preview(&pool, id).unwrap(); // None if the sweep got it first
    let html = bulk_run_page_when_ended(&sam, &run).await.text().await.unwrap();
    assert!(html.contains("<h1>Preview</h1>") && html.contains("Assign tags: later"), "{html}");
    assert_eq!(number(&html, "changeable"), 1);
    assert_eq!(ada.get(&run).await.status(), 404, "still someone else's preview");
}

/// The worker previews with the user's authority as it is when it runs: an account
/// deactivated since "Preview" gets a failed preview, with the reason, and nothing to execute.
#[tokio::test]
async fn a_preview_for_an_account_deactivated_since_fails_with_the_reason() {
    let app = no_wait().await;
    let (sam_id, _) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let c = &mut app.conn();
    let mine = contact(c, "Mine", Some(sam_id));
    let spec = Spec { tags: vec!["never".into()], ..Spec::default() };
    // Stored in a transaction that commits only once the account is deactivated, so that no
    // sweep computes it before.
    let (id, token) = app
        .conn()
        .transaction(|h| {
            let started = preview::start(h, sam_id, &spec, &mine_only(mine))?;
            diesel::update(users::table.find(sam_id)).set(users::status.eq("deactivated")).execute(c)?;
            Ok::<_, diesel::result::Error>(started)
        })
        .unwrap();
    let pool = custodian::db::Db::new(&app.db.url, 3, std::time::Duration::from_secs(5));
    if let Some(refused) = worker::preview(&pool, id).unwrap() {
        assert!(refused.unwrap_err().contains("no longer active"));
    } // (None: the sweep got it first; the stored outcome below says the same.)
    let (st, error) = stored_outcome(c, id);
    assert_eq!(st, "failed");
    assert!(error.unwrap_or_default().contains("no longer active"));
    let s = custodian::access::facts::subject(c, sam_id).unwrap().unwrap();
    assert!(
        matches!(custodian::bulk::queue(c, &s, &token, None).unwrap(), custodian::bulk::Queued::Gone),
        "a failed preview cannot be executed"
    );
    assert!(tags(c, mine).is_empty());
}

/// A preview rehearses its statements on its sample without the lock a run takes: a tag that
/// another transaction writes on the same contact meanwhile (a run executing there, say) is
/// skipped by the rehearsal, not a failed preview.
#[tokio::test]
async fn a_preview_rehearsing_where_another_transaction_tags_meanwhile_does_not_fail() {
    #[derive(diesel::QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let app = no_wait().await;
    let (sam_id, _) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let c = &mut app.conn();
    let mine = contact(c, "Mine", Some(sam_id));
    // The other transaction has tagged the contact and not committed yet.
    let mut other = app.conn();
    other.batch_execute(&format!("BEGIN; INSERT INTO contact_tags (contact_id, tag) VALUES ({mine}, 'race')")).unwrap();
    let spec = Spec { tags: vec!["race".into()], ..Spec::default() };
    let (id, _) = preview::start(c, sam_id, &spec, &mine_only(mine)).unwrap();
    let pool = custodian::db::Db::new(&app.db.url, 3, std::time::Duration::from_secs(5));
    let computing = std::thread::spawn(move || worker::preview(&pool, id).map(|_| ()).map_err(|e| format!("{e:?}")));
    // The preview's rehearsal waits for the other transaction's row (or a sweep's does).
    let mut waited = false;
    for _ in 0..400 {
        let w: Waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND query LIKE 'WITH ch AS (INSERT INTO contact_tags%'",
        )
        .get_result(c)
        .unwrap();
        if w.n > 0 {
            waited = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(waited, "the rehearsal met the other transaction's row");
    other.batch_execute("COMMIT").unwrap();
    computing.join().unwrap().unwrap();
    let (st, error) = stored_outcome(c, id);
    assert_eq!((st.as_str(), error), ("previewed", None));
    assert_eq!(tags(c, mine), ["race"], "the other transaction's tag, once");
}
