//! `custodian-bench review`: an access review over everyone (issue #32's scale target: a review
//! over 1,000 users with their reach counts opens in under a second). Started as the bench
//! Administrator, each item's reach and use computed, then the reviewer's page's items loaded
//! as an Administrator sees them (all of them); all in a transaction that is rolled back, so
//! the data set is left as it was. Printed, not written to the report.

use crate::{subject, ADMIN};
use anyhow::Context;
use diesel::prelude::*;
use std::time::Instant;

pub fn run(conn: &mut PgConnection, rounds: usize) -> anyhow::Result<()> {
    let who = subject(conn, ADMIN)?;
    let actor = custodian::audit::Actor { id: who.user_id, ip: None, via: Some("custodian-bench".into()) };
    for round in 1..=rounds {
        let _ = conn.transaction::<(), anyhow::Error, _>(|c| {
            let spec = custodian::reviews::Spec {
                name: "bench: everyone".into(),
                scope: "everyone".into(),
                scope_value: String::new(),
                reviewers: "managers".into(),
                reviewer_id: None,
                deadline: chrono::Utc::now() + chrono::Duration::days(14),
                unanswered: "keep".into(),
                every_months: None,
                window_days: custodian::reviews::WINDOW_DAYS,
            };
            let t = Instant::now();
            let (id, items) = custodian::reviews::start(c, &actor, &who, &spec).context("start")?;
            let started = t.elapsed();
            let t = Instant::now();
            let rows = custodian::reviews::items_for(c, &who, id)?;
            let page = t.elapsed();
            let persons = rows.iter().filter_map(|(i, _)| i.user_id).collect::<std::collections::BTreeSet<_>>().len();
            let reviewers =
                rows.iter().filter_map(|(i, _)| i.reviewer_id).collect::<std::collections::BTreeSet<_>>().len();
            println!(
                "round {round}: started with {items} items for {persons} persons and {reviewers} reviewers in {:.0} ms \
                 (snapshot with reach and use); the page's items loaded in {:.0} ms",
                started.as_secs_f64() * 1000.0,
                page.as_secs_f64() * 1000.0
            );
            // Leave the data set as it was.
            Err(anyhow::anyhow!("rolled back"))
        });
    }
    Ok(())
}
