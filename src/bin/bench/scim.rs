//! `measure`, SCIM part (issue #12): listing the 1,000 users with a filter, and 1,000 PATCH
//! `active` toggles in a row, over HTTP with a provisioning token made for the run.

use super::Stats;
use custodian::api_tokens::Scope;
use diesel::PgConnection;
use std::time::{Duration, Instant};

async fn timed(r: reqwest::RequestBuilder) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let res = r.send().await?;
    let status = res.status();
    let text = res.text().await?;
    anyhow::ensure!(status.is_success(), "SCIM answered {status}: {text:.300}");
    Ok(t.elapsed())
}

/// The two measurements: `n` filtered listings, then 1,000 PATCH toggles of `target`'s
/// `active` (ending active, as it began).
pub async fn measure(
    conn: &mut PgConnection,
    base: &str,
    admin: i64,
    target: i64,
    n: usize,
) -> anyhow::Result<Vec<Stats>> {
    let (_, token) = custodian::api_tokens::create(conn, "custodian-bench scim", admin, &[Scope::Scim])?;
    let client = reqwest::Client::new();
    let filter = "emails.value co \"example.com\" and active eq true";
    let url = format!("{base}/scim/v2/Users?filter={}&count=200", custodian::web::urls::url_encode(filter));
    for _ in 0..n.min(20) {
        timed(client.get(&url).bearer_auth(&token)).await?;
    }
    let mut samples = Vec::with_capacity(n);
    let wall = Instant::now();
    for _ in 0..n {
        samples.push(timed(client.get(&url).bearer_auth(&token)).await?);
    }
    let list = Stats::of(
        "HTTP GET /scim/v2/Users?filter=emails.value co … and active eq true (1,000 users, first 200)",
        samples,
        wall.elapsed(),
        "no target; report",
    );
    let patch_url = format!("{base}/scim/v2/Users/{target}");
    let mut samples = Vec::with_capacity(1000);
    let wall = Instant::now();
    for i in 0..1000 {
        let active = i % 2 == 1;
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": active}]
        });
        samples.push(
            timed(
                client
                    .patch(&patch_url)
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(body.to_string()),
            )
            .await?,
        );
    }
    let patch = Stats::of(
        "HTTP PATCH /scim/v2/Users/{id} active, 1,000 toggles in a row",
        samples,
        wall.elapsed(),
        "no target; report",
    );
    Ok(vec![list, patch])
}
