//! The bulk run on the whole base (1,000,000 contacts), through the HTTP server as a browser
//! drives it — preview, execute, undo — with the list page measured while it goes and the
//! process's peak memory.

use super::{login, Stats, ADMIN, BULK, MANAGER};
use anyhow::Context;
use custodian::bulk;
use diesel::prelude::*;
use std::time::{Duration, Instant};

/// The 1,000,000-contact run, through the server.
pub struct Million {
    /// The answer to "Preview" (the preview, or its page that follows it).
    pub preview_answer: Duration,
    /// "Preview" to the preview ready.
    pub preview: Duration,
    /// The answer to "Execute".
    pub answer: Duration,
    pub run: Duration,
    /// From its report until its owners' notices are written.
    pub notices: Duration,
    pub list: Stats,
    pub peak_rss_mb: f64,
    pub rss_before_mb: f64,
    pub undo_preview_answer: Duration,
    pub undo_preview: Duration,
    pub undo_run: Duration,
    pub undo_notices: Duration,
    pub summary: String,
}

/// From the moment the report of run `run_id` was seen until its owners' notices are written
/// (the worker writes them once the run has committed); polled on a connection of its own, off
/// the async executor.
async fn notices_after(url: &str, run_id: i64) -> anyhow::Result<Duration> {
    let (url, t) = (url.to_string(), Instant::now());
    tokio::task::spawn_blocking(move || -> anyhow::Result<Duration> {
        let mut c = PgConnection::establish(&url)?;
        while bulk::notices::owed(&mut c)?.contains(&run_id) {
            anyhow::ensure!(t.elapsed() < Duration::from_secs(3600), "the notices took over an hour");
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(t.elapsed())
    })
    .await?
}

/// The id of the run whose page is `page`.
fn run_id_of(page: &str) -> anyhow::Result<i64> {
    page.split("Bulk run #")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .context("no run number on the run's page")
}

fn rss(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn form(
    client: &reqwest::Client,
    base: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<reqwest::Response> {
    let html = client.get(format!("{base}{page}")).send().await?.text().await?;
    let token = super::csrf_token(&html).with_context(|| format!("no CSRF token on {page}"))?;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    Ok(client.post(format!("{base}{action}")).form(&all).send().await?)
}

fn token_of(html: &str) -> anyhow::Result<String> {
    html.split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(str::to_string)
        .context("no run token on the preview page")
}

/// Follows a preview to its end from `r`, the answer to "Preview" sent at `t`: the preview
/// itself, or the run page that follows it while a worker computes it. Returns (the answer's
/// time, the time until the preview was ready, the preview page).
async fn previewed(
    admin: &reqwest::Client,
    base: &str,
    t: Instant,
    r: reqwest::Response,
) -> anyhow::Result<(Duration, Duration, String)> {
    let answer = t.elapsed();
    if r.status() == 200 {
        let html = r.text().await?;
        return Ok((answer, t.elapsed(), html));
    }
    let run = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    anyhow::ensure!(run.starts_with("/contacts/manage/runs/"), "preview answered {} to {run:?}", r.status());
    loop {
        let p: serde_json::Value = admin.get(format!("{base}{run}/progress")).send().await?.json().await?;
        if p["running"] == false {
            break;
        }
        anyhow::ensure!(t.elapsed() < Duration::from_secs(3600), "the preview took over an hour");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let page = admin.get(format!("{base}{run}")).send().await?.text().await?;
    Ok((answer, t.elapsed(), page))
}

/// Executes a previewed run through the server and follows it to its end, measuring the list
/// page meanwhile; returns (answer to Execute, run time, list latencies, run page).
async fn follow(
    admin: &reqwest::Client,
    lister: &reqwest::Client,
    base: &str,
    token: &str,
    list_name: &str,
) -> anyhow::Result<(Duration, Duration, Stats, String)> {
    let t = Instant::now();
    let r = form(admin, base, "/contacts", "/contacts/manage/execute", &[("token", token)]).await?;
    let answer = t.elapsed();
    let run = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    anyhow::ensure!(run.starts_with("/contacts/manage/runs/"), "execute answered {} to {run:?}", r.status());
    let mut samples = Vec::new();
    let wall = Instant::now();
    loop {
        for _ in 0..10 {
            samples.push(super::get_ok(lister, &format!("{base}/contacts")).await?);
        }
        let p: serde_json::Value = admin.get(format!("{base}{run}/progress")).send().await?.json().await?;
        if p["running"] == false {
            break;
        }
        anyhow::ensure!(wall.elapsed() < Duration::from_secs(3600), "the run took over an hour");
    }
    let took = t.elapsed();
    let page = admin.get(format!("{base}{run}")).send().await?.text().await?;
    Ok((answer, took, Stats::of(list_name, samples, wall.elapsed(), "p99 ≤ 25 ms while the run goes"), page))
}

/// "Set main owner bench-bulk" on every contact, as the Administrator, through the server;
/// then its undo, which puts the data back (but for `updated_at`).
pub async fn million(base: &str, url: &str) -> anyhow::Result<Million> {
    let admin = login(base, ADMIN).await?;
    let lister = login(base, MANAGER).await?;
    let t = Instant::now();
    let r = form(&admin, base, "/contacts/manage", "/contacts/manage/preview", &[("set_main_owner", BULK)]).await?;
    let (preview_answer, preview, html) = previewed(&admin, base, t, r).await?;
    let token = token_of(&html)?;
    // The peak resident memory of this process (the server runs in it) from here on.
    let rss_before_mb = rss("VmRSS:");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let name = "HTTP GET /contacts: team manager (user), page 1, while the 1,000,000-contact run goes";
    let (answer, run, list, page) = follow(&admin, &lister, base, &token, name).await?;
    let peak_rss_mb = rss("VmHWM:");
    anyhow::ensure!(page.contains("<h1>Done</h1>"), "the run did not end done");
    let run_id = run_id_of(&page)?;
    let notices = notices_after(url, run_id).await?;
    let changed = page.split("id=\"changeable\">").nth(1).and_then(|r| r.split('<').next()).unwrap_or("?").to_string();
    let run_path = format!("/contacts/manage/runs/{run_id}");
    let t = Instant::now();
    let r = form(&admin, base, &run_path, &format!("{run_path}/undo"), &[]).await?;
    let (undo_preview_answer, undo_preview, html) = previewed(&admin, base, t, r).await?;
    let (_, undo_run, _, undo_page) = follow(&admin, &lister, base, &token_of(&html)?, "undo").await?;
    anyhow::ensure!(undo_page.contains("<h1>Done</h1>"), "the undo did not end done");
    let undo_notices = notices_after(url, run_id_of(&undo_page)?).await?;
    let summary = format!("set main owner `{BULK}` on every contact: {changed} contacts changed; then undone");
    Ok(Million {
        preview_answer,
        preview,
        answer,
        run,
        notices,
        list,
        peak_rss_mb,
        rss_before_mb,
        undo_preview_answer,
        undo_preview,
        undo_run,
        undo_notices,
        summary,
    })
}
