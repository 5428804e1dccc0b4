//! `measure`, AuthZEN part (issue #13): a single evaluation, a batch of 100 and the first page
//! of a resource search, over HTTP against the same server and token as the rest of the API
//! measurements.

use super::Stats;
use std::time::{Duration, Instant};

/// One POST with the bearer token; the time and the body (a non-200 is an error).
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &serde_json::Value,
) -> anyhow::Result<(Duration, String)> {
    let t = Instant::now();
    let r = client.post(url).bearer_auth(token).json(body).send().await?;
    let status = r.status();
    let text = r.text().await?;
    let d = t.elapsed();
    anyhow::ensure!(status == 200, "POST {url}: {status} {text}");
    Ok((d, text))
}

/// `n` sequential requests after a warm-up of 20.
async fn sequential(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &serde_json::Value,
    n: usize,
    name: &str,
    target: &str,
) -> anyhow::Result<Stats> {
    let (_, answer) = post(client, url, token, body).await?;
    println!("{name}: {:.300}", answer);
    for _ in 0..n.min(20) {
        post(client, url, token, body).await?;
    }
    let mut samples = Vec::with_capacity(n);
    let wall = Instant::now();
    for _ in 0..n {
        samples.push(post(client, url, token, body).await?.0);
    }
    Ok(Stats::of(name, samples, wall.elapsed(), target))
}

/// The three measurements, for `sales` (a non-Administrator) on `contacts` (the first is one
/// they reach through a team's group grant; the batch asks about all of them).
pub async fn measure(base: &str, token: &str, sales: i64, contacts: &[i64], n: usize) -> anyhow::Result<Vec<Stats>> {
    let client = reqwest::Client::new();
    let subject = serde_json::json!({"type": "user", "id": sales.to_string()});
    let one = serde_json::json!({
        "subject": subject, "action": {"name": "contacts.edit"},
        "resource": {"type": "contact", "id": contacts[0].to_string()}
    });
    let batch = serde_json::json!({
        "subject": subject, "action": {"name": "contacts.edit"},
        "evaluations": contacts.iter().map(|c| serde_json::json!({"resource": {"type": "contact", "id": c.to_string()}})).collect::<Vec<_>>()
    });
    let search = serde_json::json!({
        "subject": subject, "action": {"name": "contacts.view"},
        "resource": {"type": "contact"}, "page": {"limit": 50}
    });
    Ok(vec![
        sequential(
            &client,
            &format!("{base}/access/v1/evaluation"),
            token,
            &one,
            n,
            "HTTP POST /access/v1/evaluation (sequential)",
            "p99 ≤ 2 ms",
        )
        .await?,
        sequential(
            &client,
            &format!("{base}/access/v1/evaluations"),
            token,
            &batch,
            n,
            &format!("HTTP POST /access/v1/evaluations, {} items (sequential)", contacts.len()),
            "p99 ≤ 10 ms",
        )
        .await?,
        sequential(
            &client,
            &format!("{base}/access/v1/search/resource"),
            token,
            &search,
            n,
            "HTTP POST /access/v1/search/resource, first page of 50, bench-sales",
            "≤ the contact list page",
        )
        .await?,
    ])
}
