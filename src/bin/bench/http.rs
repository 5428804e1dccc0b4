//! Signing in and timing pages over HTTP, as a browser would (cookies, CSRF tokens).

use super::*;

pub(super) fn csrf_token(html: &str) -> Option<String> {
    let key = "name=\"csrf_token\" value=\"";
    let at = html.find(key)? + key.len();
    Some(html[at..].split('"').next()?.to_string())
}

pub(super) async fn login(base: &str, email: &str) -> anyhow::Result<reqwest::Client> {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder().cookie_provider(jar).redirect(reqwest::redirect::Policy::none()).build()?;
    let html = client.get(format!("{base}/login")).send().await?.text().await?;
    let token = csrf_token(&html).context("no CSRF token on /login")?;
    let r = client
        .post(format!("{base}/login"))
        .form(&[("csrf_token", token.as_str()), ("email", email), ("password", PASSWORD), ("next", "/")])
        .send()
        .await?;
    anyhow::ensure!(r.status() == 303, "sign-in of {email} failed: {}", r.status());
    Ok(client)
}

pub(super) async fn get_ok(client: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let r = client.get(url).send().await?;
    let status = r.status();
    let body = r.bytes().await?;
    let d = t.elapsed();
    anyhow::ensure!(status == 200 && !body.is_empty(), "GET {url}: {status}");
    Ok(d)
}

/// `n` sequential GETs after a warm-up.
pub(super) async fn http_seq(
    client: &reqwest::Client,
    url: &str,
    n: usize,
    name: &str,
    target: &str,
) -> anyhow::Result<Stats> {
    for _ in 0..n.min(20) {
        get_ok(client, url).await?;
    }
    let mut samples = Vec::with_capacity(n);
    let wall = Instant::now();
    for _ in 0..n {
        samples.push(get_ok(client, url).await?);
    }
    Ok(Stats::of(name, samples, wall.elapsed(), target))
}

/// `n` GETs spread over `clients` concurrent clients (same signed-in session).
pub(super) async fn http_conc(
    client: &reqwest::Client,
    url: &str,
    n: usize,
    clients: usize,
    name: &str,
) -> anyhow::Result<Stats> {
    let wall = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let (client, url) = (client.clone(), url.to_string());
            let share = n / clients + usize::from(i < n % clients);
            async move {
                let mut v = Vec::with_capacity(share);
                for _ in 0..share {
                    v.push(get_ok(&client, &url).await?);
                }
                anyhow::Ok(v)
            }
        })
        .collect();
    let mut samples = Vec::with_capacity(n);
    for r in futures_util::future::join_all(tasks).await {
        samples.extend(r?);
    }
    Ok(Stats::of(name, samples, wall.elapsed(), ""))
}

// ---------------------------------------------------------------------------------------------
// measure: authorization API
