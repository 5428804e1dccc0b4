//! The background queue (`custodian::jobs`): a failed attempt is tried again after its backoff,
//! the last one gives up, a refusal gives up at once, and a job a worker holds is nobody
//! else's until that worker's connection goes.

use crate::helpers::*;
use custodian::error::AppError;
use custodian::jobs::{self, Kind, Ran, Which};
use diesel::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    due: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    last_error: Option<String>,
}

/// The job of `kind` on subject 7, if queued: its attempts, whether it is due, its last error.
fn job(c: &mut PgConnection, kind: &Kind) -> Option<Row> {
    diesel::sql_query(
        "SELECT attempts, run_after <= now() AS due, last_error FROM jobs WHERE kind = $1 AND subject_id = 7",
    )
    .bind::<diesel::sql_types::Text, _>(kind.name)
    .get_result(c)
    .optional()
    .unwrap()
}

/// Makes the job due now (instead of waiting out its backoff).
fn due_now(c: &mut PgConnection, kind: &Kind) {
    diesel::sql_query("UPDATE jobs SET run_after = now() WHERE kind = $1")
        .bind::<diesel::sql_types::Text, _>(kind.name)
        .execute(c)
        .unwrap();
}

fn pool(db: &TestDb) -> custodian::db::Db {
    custodian::db::Db::new(&db.url, 4, std::time::Duration::from_secs(5))
}

static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);
static FLAKY: Kind = Kind {
    name: "test.flaky",
    attempt: |_, _| match FLAKY_CALLS.fetch_add(1, Ordering::SeqCst) {
        0 => Err(AppError::Internal(anyhow::anyhow!("the first attempt breaks"))),
        _ => Ok(()),
    },
    give_up: |_, _| panic!("a job that succeeds on its second attempt is not given up"),
};

#[test]
fn a_failed_attempt_is_tried_again_after_its_backoff() {
    let db = TestDb::new();
    let (mut c, pool) = (db.conn(), pool(&db));
    jobs::enqueue(&mut c, &FLAKY, 7).unwrap();
    jobs::enqueue(&mut c, &FLAKY, 7).unwrap(); // queued once, however often asked
    let kinds = [&FLAKY];
    assert_eq!(jobs::work(&pool, Which::Next(&kinds)).unwrap(), Some(Ran::Retrying(1)));
    let row = job(&mut c, &FLAKY).expect("still queued");
    assert_eq!((row.attempts, row.due), (1, false), "waits out its backoff");
    assert!(row.last_error.unwrap().contains("the first attempt breaks"));
    assert_eq!(jobs::work(&pool, Which::Next(&kinds)).unwrap(), None, "not due yet");
    due_now(&mut c, &FLAKY);
    assert_eq!(jobs::work(&pool, Which::One(&FLAKY, 7)).unwrap(), Some(Ran::Done));
    assert_eq!(job(&mut c, &FLAKY), None, "done: removed");
    assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 2);
}

static BROKEN_GAVE_UP: AtomicUsize = AtomicUsize::new(0);
static BROKEN: Kind = Kind {
    name: "test.broken",
    attempt: |_, _| Err(AppError::Internal(anyhow::anyhow!("always"))),
    give_up: |_, id| {
        assert_eq!(id, 7);
        BROKEN_GAVE_UP.fetch_add(1, Ordering::SeqCst);
        Ok(())
    },
};

#[test]
fn the_last_failed_attempt_gives_up_once() {
    let db = TestDb::new();
    let (mut c, pool) = (db.conn(), pool(&db));
    jobs::enqueue(&mut c, &BROKEN, 7).unwrap();
    for attempt in 1..jobs::MAX_ATTEMPTS {
        assert_eq!(jobs::work(&pool, Which::One(&BROKEN, 7)).unwrap(), Some(Ran::Retrying(attempt)));
        assert_eq!(BROKEN_GAVE_UP.load(Ordering::SeqCst), 0);
        due_now(&mut c, &BROKEN);
    }
    assert_eq!(jobs::work(&pool, Which::One(&BROKEN, 7)).unwrap(), Some(Ran::GaveUp));
    assert_eq!(BROKEN_GAVE_UP.load(Ordering::SeqCst), 1);
    assert_eq!(job(&mut c, &BROKEN), None);
}

static REFUSED_GAVE_UP: AtomicUsize = AtomicUsize::new(0);
static REFUSED: Kind = Kind {
    name: "test.refused",
    attempt: |_, _| Err(AppError::forbidden("the user may no longer do it")),
    give_up: |_, _| {
        REFUSED_GAVE_UP.fetch_add(1, Ordering::SeqCst);
        Ok(())
    },
};

#[test]
fn a_refused_job_is_not_tried_again() {
    let db = TestDb::new();
    let (mut c, pool) = (db.conn(), pool(&db));
    jobs::enqueue(&mut c, &REFUSED, 7).unwrap();
    assert_eq!(jobs::work(&pool, Which::One(&REFUSED, 7)).unwrap(), Some(Ran::GaveUp));
    assert_eq!(REFUSED_GAVE_UP.load(Ordering::SeqCst), 1);
    assert_eq!(job(&mut c, &REFUSED), None);
}

static HELD_CALLS: AtomicUsize = AtomicUsize::new(0);
static HELD: Kind = Kind {
    name: "test.held",
    attempt: |_, _| {
        HELD_CALLS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    },
    give_up: |_, _| Ok(()),
};

/// A worker on another instance holds the job: nobody else works it; once its connection goes
/// (the instance stopped), the job is free again and worked.
#[test]
fn a_job_a_stopped_worker_held_is_worked_again() {
    let db = TestDb::new();
    let (mut c, pool) = (db.conn(), pool(&db));
    jobs::enqueue(&mut c, &HELD, 7).unwrap();
    let mut other = db.conn();
    let kinds = [&HELD];
    other
        .transaction(|o| {
            diesel::sql_query("SELECT id FROM jobs WHERE kind = 'test.held' FOR UPDATE").execute(o)?;
            assert_eq!(jobs::work(&pool, Which::Next(&kinds)).unwrap(), None, "held by the other worker");
            assert_eq!(jobs::work(&pool, Which::One(&HELD, 7)).unwrap(), None);
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        })
        .unwrap_err();
    assert_eq!(HELD_CALLS.load(Ordering::SeqCst), 0);
    assert_eq!(jobs::work(&pool, Which::Next(&kinds)).unwrap(), Some(Ran::Done));
    assert_eq!(HELD_CALLS.load(Ordering::SeqCst), 1);
}
