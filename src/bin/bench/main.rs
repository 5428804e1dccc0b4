//! `custodian-bench`: the scale benchmark of SPEC section 6 (issue #7).
//!
//! - `generate` fills a database with 1,000 users, 100 teams, 50 access groups, 1,000,000
//!   contacts, ~2,000,000 owner links, ~1.5M tags and 600k group memberships, in a few
//!   set-based statements.
//! - `measure` times the contact list over HTTP (the real application, in-process or already
//!   running) and as bare SQL, a bulk Manage run on 100,000 contacts and, when present, the
//!   authorization API (its own and AuthZEN, `authzen.rs`) and SCIM (`scim.rs`); it prints a
//!   markdown report and writes it to BENCHMARKS.md.
//!
//! This is a measuring tool, not a test: it reports numbers against the issue's targets and
//! never asserts them.

mod authzen;
mod bulk;
mod scim;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use custodian::access::facts;
use custodian::access::Subject;
use custodian::contacts::list;
use custodian::contacts::selection::{Filters, Sort};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The password of every generated user.
const PASSWORD: &str = "bench-password-2026";
const ADMIN: &str = "bench-admin@example.com";
/// Salesperson: owns and co-owns contacts, member of a team with group grants, has a user grant.
const SALES: &str = "bench-sales@example.com";
/// Role user, manager of a team (visibility through the team rule).
const MANAGER: &str = "bench-manager@example.com";
/// The co-owner the bulk run adds (in no team, owns nothing before the run).
const BULK: &str = "bench-bulk@example.com";
/// The tag generated on exactly one contact in ten (100,000 of 1,000,000).
const BULK_TAG: &str = "bench-100k";
const BULK_NEW_TAGS: [&str; 2] = ["bench-bulk-a", "bench-bulk-b"];
const PER_PAGE: i64 = 50;
/// Everything after this line of the report file is kept when `measure` rewrites it.
const KEEP_MARKER: &str = "<!-- notes: kept by custodian-bench measure -->";

#[derive(Parser)]
#[command(name = "custodian-bench", about = "Scale benchmark of Custodian (SPEC 6)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database if missing and fill it with the benchmark data set.
    Generate(GenerateArgs),
    /// Measure the list page, bare SQL, bulk Manage and the API; write BENCHMARKS.md.
    Measure(MeasureArgs),
    /// Only the bulk Manage run (preview + execute), printed, not written to the report:
    /// for working on its speed.
    Bulk(BulkArgs),
}

#[derive(Args)]
struct BulkArgs {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
}

#[derive(Args)]
struct GenerateArgs {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Empty the contact tables first (users, teams and groups are kept and reused).
    #[arg(long)]
    force: bool,
    /// Number of contacts (the other sizes are fixed).
    #[arg(long, default_value_t = 1_000_000)]
    contacts: i64,
}

#[derive(Args)]
struct MeasureArgs {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Requests per measurement (after warm-up).
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Concurrent clients of the concurrent measurements.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Measure an already running server instead of starting one in-process.
    #[arg(long)]
    base_url: Option<String>,
    /// Bearer token of the authorization API (one is created in the database when omitted).
    #[arg(long)]
    api_token: Option<String>,
    /// Skip the bulk runs (they change data, and undo it).
    #[arg(long)]
    skip_bulk: bool,
    /// Also run bulk Manage on the whole base (1,000,000 contacts) through the server, and undo
    /// it: several minutes, and it leaves every contact's updated_at changed (generate again for
    /// list numbers comparable with earlier reports).
    #[arg(long)]
    million: bool,
    /// Where the markdown report goes.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: String,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate(a) => generate(&a),
        Command::Measure(a) => measure(a).await,
        Command::Bulk(a) => {
            let b = bulk::hundred_thousand(&mut connect(&a.database_url)?, &a.database_url)?;
            let mut out = String::new();
            bulk::report(&mut out, &b, None)?;
            println!("{out}");
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// generate

/// A connection to the migrated database, with the application's session settings
/// (see `db::configure_session`).
fn connect(url: &str) -> anyhow::Result<PgConnection> {
    custodian::startup::prepare_database(url)?;
    let mut conn = PgConnection::establish(url)?;
    custodian::db::configure_session(&mut conn)?;
    Ok(conn)
}

fn step(conn: &mut PgConnection, label: &str, sql: &str) -> anyhow::Result<()> {
    let t = Instant::now();
    conn.batch_execute(sql).with_context(|| format!("step {label}"))?;
    println!("{label:<40} {:>8.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)
}

fn generate(a: &GenerateArgs) -> anyhow::Result<()> {
    let all = Instant::now();
    custodian::startup::prepare_database(&a.database_url)?;
    let mut conn = PgConnection::establish(&a.database_url)?;
    if count(&mut conn, "SELECT count(*) AS n FROM (SELECT 1 FROM contacts LIMIT 1) x")? > 0 {
        anyhow::ensure!(a.force, "contacts already exist; pass --force to empty the contact tables first");
        step(
            &mut conn,
            "truncate contact tables",
            "TRUNCATE contacts, contact_owners, contact_tags, contact_access_groups, notifications, bulk_runs RESTART IDENTITY CASCADE",
        )?;
    }
    let people_exist = count(&mut conn, &format!("SELECT count(*) AS n FROM users WHERE email = '{ADMIN}'"))? > 0;
    if !people_exist {
        let t = Instant::now();
        // One Argon2 hash shared by every generated user: they all sign in with PASSWORD.
        let hash = custodian::auth::password::hash(PASSWORD)?;
        diesel::sql_query(format!(
            "INSERT INTO users (email, first_name, last_name, password_hash, role) \
             SELECT CASE n WHEN 1 THEN '{ADMIN}' WHEN 2 THEN '{SALES}' WHEN 3 THEN '{MANAGER}' WHEN 4 THEN '{BULK}' \
                    ELSE 'bench-user-' || n || '@example.com' END, \
                    (ARRAY['Anna','Jan','Piotr','Eva','Mikko','Aino','Tomas','Lena','Marek','Sofia'])[1 + n % 10], \
                    'Bench' || n, $1, \
                    CASE n WHEN 1 THEN 'administrator' WHEN 2 THEN 'salesperson' WHEN 3 THEN 'user' WHEN 4 THEN 'salesperson' \
                    ELSE CASE WHEN n % 100 < 2 THEN 'administrator' WHEN n % 100 < 7 THEN 'manager' \
                              WHEN n % 100 < 17 THEN 'marketer' WHEN n % 100 < 67 THEN 'salesperson' \
                              WHEN n % 100 < 70 THEN 'sending_operator' ELSE 'user' END END \
             FROM generate_series(1, 1000) AS n ORDER BY n"
        ))
        .bind::<Text, _>(&hash)
        .execute(&mut conn)?;
        conn.batch_execute(
            "INSERT INTO user_presets (user_id, preset_id) \
             SELECT u.id, p.id FROM users u JOIN presets p ON p.system_role = u.role \
             WHERE u.email LIKE 'bench-%@example.com' ON CONFLICT DO NOTHING",
        )?;
        println!("{:<40} {:>8.1} s", "users + presets (1,000)", t.elapsed().as_secs_f64());
    }
    // Numbered views of the generated people (per role), teams and groups, for modular spreading.
    conn.batch_execute(&format!(
        "CREATE TEMP TABLE bu AS SELECT id, role, email, (row_number() OVER (PARTITION BY role ORDER BY id) - 1)::int AS rk \
           FROM users WHERE email LIKE 'bench-%@example.com' AND email <> '{BULK}'; \
         CREATE TEMP TABLE ow AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id FROM bu WHERE role IN ('salesperson', 'user'); \
         ANALYZE bu; ANALYZE ow;"
    ))?;
    let n_owners = count(&mut conn, "SELECT count(*) AS n FROM ow")?;
    let n_managers = count(&mut conn, "SELECT count(*) AS n FROM bu WHERE role = 'manager'")?;
    let n_sales = count(&mut conn, "SELECT count(*) AS n FROM bu WHERE role = 'salesperson'")?;
    let admin = count(&mut conn, &format!("SELECT id AS n FROM users WHERE email = '{ADMIN}'"))?;
    if !people_exist {
        step(
            &mut conn,
            "teams + members (100)",
            &format!(
                "INSERT INTO teams (name, manager_id) \
                 SELECT 'Bench team ' || lpad(k::text, 3, '0'), \
                        CASE WHEN k < 50 THEN (SELECT id FROM bu WHERE role = 'user' AND rk = k) \
                             ELSE (SELECT id FROM bu WHERE role = 'manager' AND rk = (k - 50) % {n_managers}) END \
                 FROM generate_series(0, 99) AS k ORDER BY k; \
                 CREATE TEMP TABLE bt AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id FROM teams WHERE name LIKE 'Bench team %'; \
                 INSERT INTO team_members (team_id, user_id) \
                 SELECT bt.id, bu.id FROM bu JOIN bt ON bt.k = CASE WHEN bu.role = 'user' THEN (bu.rk - 50) % 100 ELSE bu.rk % 100 END \
                 WHERE bu.role IN ('salesperson', 'marketer') OR (bu.role = 'user' AND bu.rk >= 50);"
            ),
        )?;
        step(
            &mut conn,
            "access groups + grants (50)",
            &format!(
                "INSERT INTO access_groups (name, description) \
                 SELECT 'Bench group ' || lpad(k::text, 2, '0'), 'Benchmark access group' FROM generate_series(0, 49) AS k ORDER BY k; \
                 CREATE TEMP TABLE bg AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id FROM access_groups WHERE name LIKE 'Bench group %'; \
                 INSERT INTO access_group_grants (group_id, team_id, user_id, level) \
                 SELECT bg.id, bt.id, NULL::bigint, (ARRAY['view','edit','act'])[1 + bg.k % 3] FROM bg JOIN bt ON bt.k = (bg.k * 3) % 100 \
                 UNION ALL SELECT bg.id, bt.id, NULL, (ARRAY['edit','act','view'])[1 + bg.k % 3] FROM bg JOIN bt ON bt.k = (bg.k * 3 + 1) % 100 \
                 UNION ALL SELECT bg.id, NULL, bu.id, (ARRAY['act','view','edit'])[1 + bg.k % 3] FROM bg \
                   JOIN bu ON bu.role = 'salesperson' AND bu.rk = (bg.k * 7 + 10) % {n_sales} \
                 UNION ALL SELECT bg.id, NULL, bu.id, 'view' FROM bg JOIN bu ON bu.email = '{SALES}' WHERE bg.k = 10 \
                 ON CONFLICT DO NOTHING;"
            ),
        )?;
    }
    conn.batch_execute(
        "CREATE TEMP TABLE IF NOT EXISTS bg AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id FROM access_groups WHERE name LIKE 'Bench group %'; ANALYZE bg;",
    )?;
    let n = a.contacts;
    step(
        &mut conn,
        &format!("contacts ({n})"),
        &format!(
            "INSERT INTO contacts (email, first_name, last_name, phone, company, category, main_owner_id, confidential, created_by, created_at, updated_at) \
             SELECT 'contact' || n || '@' || (ARRAY['acme.pl','nordic.fi','example.org','partner.com','mail.de'])[1 + n % 5], \
                    (ARRAY['Anna','Jan','Piotr','Eva','Mikko','Aino','Tomas','Lena','Marek','Sofia','Ola','Kari','Ines','Hugo','Nina','Emil','Vera','Otto','Ida','Leo'])[1 + n % 20], \
                    (ARRAY['Nowak','Virtanen','Novak','Kowalski','Korhonen','Svoboda','Dubois','Wisniewska','Muller','Rossi','Silva','Jensen','Nielsen','Horvat','Kovac','Berg','Lind','Moreau','Weber','Costa'])[1 + (n / 20) % 20], \
                    CASE WHEN n % 3 = 0 THEN '+48' || lpad((n::bigint * 7919 % 1000000000)::text, 9, '0') END, \
                    'Company ' || (n % 5000), \
                    (ARRAY['lead','customer','partner','press','supplier'])[1 + (n / 7) % 5], \
                    ow.id, n % 200 = 7, {admin}, \
                    now() - make_interval(secs => {n} - n), now() - make_interval(secs => {n} - n) \
             FROM generate_series(1, {n}) AS n LEFT JOIN ow ON n % 20 <> 0 AND ow.k = (n::bigint * 7) % {n_owners}"
        ),
    )?;
    step(
        &mut conn,
        "co-owners",
        &format!(
            "INSERT INTO contact_owners (contact_id, user_id, read_only) \
             SELECT c.id, ow.id, c.id % 5 = 0 FROM contacts c JOIN ow ON ow.k = (c.id * 31 + 17) % {n_owners} \
             WHERE c.main_owner_id IS DISTINCT FROM ow.id \
             UNION ALL SELECT c.id, ow.id, c.id % 3 = 0 FROM contacts c JOIN ow ON ow.k = (c.id * 37 + 101) % {n_owners} \
             WHERE c.id % 20 = 1 AND c.main_owner_id IS DISTINCT FROM ow.id \
             ON CONFLICT DO NOTHING"
        ),
    )?;
    step(
        &mut conn,
        "tags",
        &format!(
            "INSERT INTO contact_tags (contact_id, tag) \
             SELECT c.id, t FROM contacts c CROSS JOIN LATERAL unnest(ARRAY[ \
               CASE WHEN c.id % 10 = 3 THEN '{BULK_TAG}' END, \
               CASE WHEN c.id % 2 = 0 THEN 'newsletter' END, \
               CASE WHEN c.id % 7 = 0 THEN 'vip' END, \
               CASE WHEN c.id % 4 = 1 THEN 'webinar-2026' END, \
               CASE WHEN c.id % 2 = 1 THEN 'source-' || (ARRAY['web','fair','referral','cold-call','partner'])[1 + (c.id / 2) % 5] END]) AS t \
             WHERE t IS NOT NULL"
        ),
    )?;
    step(
        &mut conn,
        "contact access groups",
        "INSERT INTO contact_access_groups (contact_id, group_id) \
         SELECT c.id, bg.id FROM contacts c JOIN bg ON bg.k = (c.id / 10) % 50 WHERE c.id % 10 < 6",
    )?;
    // VACUUM refuses to run in the implicit transaction of a multi-statement batch: one each.
    let t = Instant::now();
    for table in [
        "users",
        "teams",
        "team_members",
        "access_groups",
        "access_group_grants",
        "contacts",
        "contact_owners",
        "contact_tags",
        "contact_access_groups",
        "user_presets",
    ] {
        conn.batch_execute(&format!("VACUUM ANALYZE {table}"))?;
    }
    println!("{:<40} {:>8.1} s", "vacuum analyze", t.elapsed().as_secs_f64());
    println!("{:<40} {:>8.1} s", "total", all.elapsed().as_secs_f64());
    println!();
    print!("{}", data_facts(&mut conn)?);
    println!("\nSign in as {ADMIN}, {SALES}, {MANAGER} with the password {PASSWORD}.");
    Ok(())
}

/// Row counts of the data set, as a markdown list.
fn data_facts(conn: &mut PgConnection) -> anyhow::Result<String> {
    let mut s = String::new();
    for (label, sql) in [
        ("users", "SELECT count(*) AS n FROM users"),
        ("teams", "SELECT count(*) AS n FROM teams"),
        ("team members", "SELECT count(*) AS n FROM team_members"),
        ("access groups", "SELECT count(*) AS n FROM access_groups"),
        ("access group grants", "SELECT count(*) AS n FROM access_group_grants"),
        ("contacts", "SELECT count(*) AS n FROM contacts"),
        ("contacts without main owner", "SELECT count(*) AS n FROM contacts WHERE main_owner_id IS NULL"),
        ("confidential contacts", "SELECT count(*) AS n FROM contacts WHERE confidential"),
        ("co-owner rows", "SELECT count(*) AS n FROM contact_owners"),
        (
            "owner links (main + co-owners)",
            "SELECT (SELECT count(*) FROM contacts WHERE main_owner_id IS NOT NULL) + (SELECT count(*) FROM contact_owners) AS n",
        ),
        ("tags", "SELECT count(*) AS n FROM contact_tags"),
        ("contact access groups", "SELECT count(*) AS n FROM contact_access_groups"),
    ] {
        writeln!(s, "- {label}: {}", count(conn, sql)?)?;
    }
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// measure: statistics

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Latencies of one measurement.
pub struct Stats {
    name: String,
    n: usize,
    p50: Duration,
    p99: Duration,
    /// Requests per second over the wall time of the whole measurement.
    rps: f64,
    target: String,
}

impl Stats {
    fn of(name: &str, mut samples: Vec<Duration>, wall: Duration, target: &str) -> Stats {
        samples.sort();
        let n = samples.len();
        let at = |q: f64| {
            samples
                .get(((n as f64 * q).ceil() as usize).saturating_sub(1).min(n.saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        Stats {
            name: name.into(),
            n,
            p50: at(0.50),
            p99: at(0.99),
            rps: n as f64 / wall.as_secs_f64().max(1e-9),
            target: target.into(),
        }
    }

    fn row(&self) -> String {
        format!(
            "| {} | {} | {:.2} | {:.2} | {:.0} | {} |",
            self.name,
            self.n,
            ms(self.p50),
            ms(self.p99),
            self.rps,
            self.target
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn mem_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into())
}

// ---------------------------------------------------------------------------------------------
// measure: bare SQL

fn user_id(conn: &mut PgConnection, email: &str) -> anyhow::Result<i64> {
    count(conn, &format!("SELECT id AS n FROM users WHERE email = '{email}'"))
        .with_context(|| format!("no user {email}: run generate first"))
}

fn subject(conn: &mut PgConnection, email: &str) -> anyhow::Result<Subject> {
    let id = user_id(conn, email)?;
    facts::subject(conn, id)?.ok_or_else(|| anyhow::anyhow!("no user {email}"))
}

/// A list case: who, which filters, which page.
struct Case {
    label: &'static str,
    email: &'static str,
    query: &'static str,
    tag: &'static str,
    page: i64,
    sort: &'static str,
}

const CASES: &[Case] = &[
    Case { label: "salesperson, page 1", email: SALES, query: "", tag: "", page: 1, sort: "" },
    Case { label: "salesperson, ?tag=vip", email: SALES, query: "?tag=vip", tag: "vip", page: 1, sort: "" },
    Case { label: "salesperson, page 5", email: SALES, query: "?page=5", tag: "", page: 5, sort: "" },
    Case { label: "team manager (user), page 1", email: MANAGER, query: "", tag: "", page: 1, sort: "" },
    Case { label: "team manager (user), ?tag=vip", email: MANAGER, query: "?tag=vip", tag: "vip", page: 1, sort: "" },
    Case { label: "salesperson, sorted by name", email: SALES, query: "?sort=name", tag: "", page: 1, sort: "name" },
    Case {
        label: "salesperson, sorted by update, page 5",
        email: SALES,
        query: "?sort=updated&page=5",
        tag: "",
        page: 5,
        sort: "updated",
    },
    Case {
        label: "team manager (user), sorted by email",
        email: MANAGER,
        query: "?sort=email",
        tag: "",
        page: 1,
        sort: "email",
    },
];

fn filters(c: &Case) -> Filters {
    Filters { tag: c.tag.to_string(), ..Filters::default() }
}

/// Times `list::page` (the three queries the page runs) `n` times after a warm-up.
fn sql_bench(conn: &mut PgConnection, c: &Case, n: usize) -> anyhow::Result<(Stats, usize)> {
    sql_bench_counting(conn, c, n, list::Counting::No, "")
}

/// [`sql_bench`] with the page's count (what "Count them" asks for), labelled `what`.
fn sql_bench_counting(
    conn: &mut PgConnection,
    c: &Case,
    n: usize,
    counting: list::Counting,
    what: &str,
) -> anyhow::Result<(Stats, usize)> {
    let s = subject(conn, c.email)?;
    let f = filters(c);
    let mut rows = 0;
    for _ in 0..n.min(20) {
        rows = list::page(conn, &s, &f, Sort::parse(c.sort), c.page, PER_PAGE, counting)?.rows.len();
    }
    let mut samples = Vec::with_capacity(n);
    let wall = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        list::page(conn, &s, &f, Sort::parse(c.sort), c.page, PER_PAGE, counting)?;
        samples.push(t.elapsed());
    }
    Ok((Stats::of(&format!("SQL `list::page`{what}: {}", c.label), samples, wall.elapsed(), ""), rows))
}

// ---------------------------------------------------------------------------------------------
// measure: HTTP

fn csrf_token(html: &str) -> Option<String> {
    let key = "name=\"csrf_token\" value=\"";
    let at = html.find(key)? + key.len();
    Some(html[at..].split('"').next()?.to_string())
}

async fn login(base: &str, email: &str) -> anyhow::Result<reqwest::Client> {
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

async fn get_ok(client: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let r = client.get(url).send().await?;
    let status = r.status();
    let body = r.bytes().await?;
    let d = t.elapsed();
    anyhow::ensure!(status == 200 && !body.is_empty(), "GET {url}: {status}");
    Ok(d)
}

/// `n` sequential GETs after a warm-up.
async fn http_seq(client: &reqwest::Client, url: &str, n: usize, name: &str, target: &str) -> anyhow::Result<Stats> {
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
async fn http_conc(client: &reqwest::Client, url: &str, n: usize, clients: usize, name: &str) -> anyhow::Result<Stats> {
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

/// Measures POST /api/v1/check when this build has it; `Err(text)` says why not.
async fn api_bench(conn: &mut PgConnection, base: &str, a: &MeasureArgs) -> anyhow::Result<Result<Vec<Stats>, String>> {
    let probe = reqwest::Client::new().post(format!("{base}/api/v1/check")).json(&serde_json::json!({})).send().await?;
    if probe.status() == 404 {
        return Ok(Err("API not present in this build".into()));
    }
    let token = match &a.api_token {
        Some(t) => t.clone(),
        None => {
            if count(conn, "SELECT count(*) AS n FROM pg_class WHERE relname = 'api_tokens'")? == 0 {
                return Ok(Err("API route answers but there is no api_tokens table: pass --api-token".into()));
            }
            let admin = user_id(conn, ADMIN)?;
            custodian::api_tokens::create(
                conn,
                "custodian-bench",
                admin,
                &[custodian::api_tokens::Scope::Authorization],
            )?
            .1
        }
    };
    let sales = user_id(conn, SALES)?;
    // A contact bench-sales reaches through a team's group grant only.
    let contact = count(
        conn,
        &format!(
            "SELECT min(cag.contact_id) AS n FROM contact_access_groups cag \
             JOIN access_group_grants g ON g.group_id = cag.group_id \
             JOIN team_members tm ON tm.team_id = g.team_id AND tm.user_id = {sales} \
             JOIN contacts c ON c.id = cag.contact_id AND NOT c.confidential AND c.main_owner_id IS DISTINCT FROM {sales} \
             WHERE NOT EXISTS (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = {sales})"
        ),
    )?;
    let body = serde_json::json!({ "user_id": sales, "permission": "contacts.edit", "contact_id": contact });
    let client = reqwest::Client::new();
    let url = format!("{base}/api/v1/check");
    let call = |client: reqwest::Client, body: serde_json::Value, url: String, token: String| async move {
        let t = Instant::now();
        let r = client.post(&url).bearer_auth(&token).json(&body).send().await?;
        let status = r.status();
        let text = r.text().await?;
        let d = t.elapsed();
        anyhow::ensure!(status == 200, "POST /api/v1/check: {status} {text}");
        anyhow::Ok((d, text))
    };
    let (_, answer) = call(client.clone(), body.clone(), url.clone(), token.clone()).await?;
    println!("API check answer: {answer}");
    for _ in 0..a.requests.min(20) {
        call(client.clone(), body.clone(), url.clone(), token.clone()).await?;
    }
    let mut samples = Vec::with_capacity(a.requests);
    let wall = Instant::now();
    for _ in 0..a.requests {
        samples.push(call(client.clone(), body.clone(), url.clone(), token.clone()).await?.0);
    }
    let seq = Stats::of("HTTP POST /api/v1/check (sequential)", samples, wall.elapsed(), "p99 ≤ 2 ms");
    let wall = Instant::now();
    let tasks: Vec<_> = (0..a.concurrency)
        .map(|_| {
            let (client, body, url, token) = (client.clone(), body.clone(), url.clone(), token.clone());
            let share = a.requests / a.concurrency;
            async move {
                let mut v = Vec::new();
                for _ in 0..share {
                    v.push(call(client.clone(), body.clone(), url.clone(), token.clone()).await?.0);
                }
                anyhow::Ok(v)
            }
        })
        .collect();
    let mut samples = Vec::new();
    for r in futures_util::future::join_all(tasks).await {
        samples.extend(r?);
    }
    let conc = Stats::of(&format!("HTTP POST /api/v1/check ({} clients)", a.concurrency), samples, wall.elapsed(), "");
    // AuthZEN: the same contact first, then 99 more of the base for the batch.
    let mut batch = vec![contact];
    batch.extend(
        diesel::sql_query("SELECT id FROM contacts WHERE id <> $1 ORDER BY id LIMIT 99")
            .bind::<BigInt, _>(contact)
            .load::<IdRow>(conn)?
            .into_iter()
            .map(|r| r.id),
    );
    let mut all = vec![seq, conc];
    all.extend(authzen::measure(base, &token, sales, &batch, a.requests).await?);
    // SCIM: the toggled user is one the bulk run adds as co-owner (it owns nothing, is in no
    // team), so the toggles change nothing the other measurements read.
    let admin = user_id(conn, ADMIN)?;
    let toggled = user_id(conn, BULK)?;
    all.extend(scim::measure(conn, base, admin, toggled, a.requests).await?);
    Ok(Ok(all))
}

// ---------------------------------------------------------------------------------------------
// measure: the run

async fn measure(a: MeasureArgs) -> anyhow::Result<()> {
    let load_start = loadavg();
    let started = chrono::Utc::now();
    let mut conn = connect(&a.database_url)?;
    // Counted on the generated data: before this bulk run, without the last one's.
    bulk::clean(&mut conn)?;
    let data = data_facts(&mut conn)?;
    let n = a.requests;
    let mut report = String::new();
    let mut rows = Vec::new();
    let mut notes = Vec::new();

    // Bare SQL first, while nothing else of ours runs.
    let mut sql_p = std::collections::HashMap::new();
    for c in CASES {
        let (st, got) = sql_bench(&mut conn, c, n)?;
        println!("{}  ({got} rows)", st.row());
        sql_p.insert(c.label, (st.p50, st.p99));
        rows.push(st);
    }
    // "Count them" (?count=all, up to list::COUNT_CAP): on request only, as it costs more.
    for c in &CASES[..2] {
        let counting = list::Counting::UpTo(list::COUNT_CAP);
        let (st, got) = sql_bench_counting(&mut conn, c, n / 4, counting, " with Count them")?;
        println!("{}  ({got} rows)", st.row());
        rows.push(st);
    }

    // HTTP: the real application, in-process unless a server is given.
    let base = match &a.base_url {
        Some(b) => b.trim_end_matches('/').to_string(),
        None => {
            let mut config = custodian::config::Config::for_database(&a.database_url, "127.0.0.1:0");
            config.workers = Some(2);
            let app = custodian::startup::Application::build(&config).await?;
            let base = format!("http://127.0.0.1:{}", app.port());
            actix_web::rt::spawn(app.run_until_stopped());
            base
        }
    };
    let mut clients = std::collections::HashMap::new();
    for email in [SALES, MANAGER] {
        clients.insert(email, login(&base, email).await?);
    }
    let mut ratios = Vec::new();
    for c in CASES {
        let client = &clients[c.email];
        let url = format!("{base}/contacts{}", c.query);
        let st =
            http_seq(client, &url, n, &format!("HTTP GET /contacts{}: {}", c.query, c.label), "p99 ≤ 25 ms, ≤ 2× SQL")
                .await?;
        let (sp50, sp99) = sql_p[c.label];
        ratios.push(format!(
            "- {}: HTTP p50 {:.2} ms = {:.1}× SQL p50 {:.2} ms; HTTP p99 {:.2} ms = {:.1}× SQL p99 {:.2} ms",
            c.label,
            ms(st.p50),
            ms(st.p50) / ms(sp50).max(1e-9),
            ms(sp50),
            ms(st.p99),
            ms(st.p99) / ms(sp99).max(1e-9),
            ms(sp99)
        ));
        println!("{}", st.row());
        rows.push(st);
    }
    for c in [&CASES[0], &CASES[3]] {
        let url = format!("{base}/contacts{}", c.query);
        let st = http_conc(
            &clients[c.email],
            &url,
            n,
            a.concurrency,
            &format!("HTTP GET /contacts: {}, {} clients", c.label, a.concurrency),
        )
        .await?;
        println!("{}", st.row());
        rows.push(st);
    }

    // The user card counts what a user reaches, path by path (access::reach), seen by an
    // Administrator.
    let admin = login(&base, ADMIN).await?;
    for email in [SALES, MANAGER] {
        let url = format!("{base}/users/{}", user_id(&mut conn, email)?);
        let name = format!("HTTP GET /users/{{id}}: card of {email} with its contact reach");
        let st = http_seq(&admin, &url, n, &name, "no target; interactive").await?;
        println!("{}", st.row());
        rows.push(st);
    }

    match api_bench(&mut conn, &base, &a).await? {
        Ok(stats) => {
            for st in stats {
                println!("{}", st.row());
                rows.push(st);
            }
        }
        Err(why) => {
            println!("{why}");
            notes.push(format!("- Authorization API: {why}."));
        }
    }

    let bulk = if a.skip_bulk {
        None
    } else {
        let b = bulk::hundred_thousand(&mut conn, &a.database_url)?;
        println!("bulk preview {:.0} ms, execute {:.0} ms; {}", ms(b.preview), ms(b.execute), b.summary);
        Some(b)
    };
    let million = if a.million && !a.skip_bulk { Some(bulk::million(&base).await?) } else { None };
    let load_end = loadavg();

    // The report.
    let pg: String = {
        #[derive(QueryableByName)]
        struct V {
            #[diesel(sql_type = Text)]
            v: String,
        }
        diesel::sql_query("SELECT version() AS v").get_result::<V>(&mut conn)?.v
    };
    let mut settings = Vec::new();
    for name in ["jit", "shared_buffers", "work_mem"] {
        #[derive(QueryableByName)]
        struct Setting {
            #[diesel(sql_type = Text)]
            v: String,
        }
        let v = diesel::sql_query(format!("SELECT current_setting('{name}') AS v")).get_result::<Setting>(&mut conn)?.v;
        settings.push(format!("{name}={v}"));
    }
    writeln!(report, "# Benchmarks (SPEC 6, issue #7)\n")?;
    writeln!(report, "Measured {} UTC by `custodian-bench measure`.\n", started.format("%Y-%m-%d %H:%M"))?;
    writeln!(report, "## Machine\n")?;
    writeln!(
        report,
        "- CPUs (nproc): {}; memory: {}\n- {pg} ({})\n- load average (1, 5, 15 min) at start: {load_start}; at end: {load_end} \
         (the machine is shared with other builds: numbers are noisy)\n- server: {}, 2 workers, pool of 10 connections; \
         {n} requests per measurement after 20 warm-up requests\n",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(0),
        mem_total(),
        settings.join(", "),
        match (a.base_url.is_some(), cfg!(debug_assertions)) {
            (true, _) => "already running server at the given --base-url",
            (false, false) => "the real application in-process (release build)",
            (false, true) => "the real application in-process (DEBUG build: numbers not comparable)",
        }
    )?;
    writeln!(report, "## Data\n")?;
    report.push_str(&data);
    writeln!(
        report,
        "\nSigned-in users: `{SALES}` (salesperson: main owner and co-owner of contacts, member of a team with two \
         access-group grants, plus a user grant) and `{MANAGER}` (role user, manager of that team).\n"
    )?;
    writeln!(report, "## Commands\n\n```sh")?;
    writeln!(report, "cargo run --release --bin custodian-bench -- generate --database-url postgres://postgres@127.0.0.1:5432/custodian_bench")?;
    writeln!(
        report,
        "cargo run --release --bin custodian-bench -- measure --database-url postgres://postgres@127.0.0.1:5432/custodian_bench --requests {n} --concurrency {}",
        a.concurrency
    )?;
    writeln!(report, "```\n")?;
    writeln!(report, "## Results\n")?;
    writeln!(report, "| measurement | n | p50 ms | p99 ms | per second | target |\n|---|---|---|---|---|---|")?;
    for r in &rows {
        writeln!(report, "{}", r.row())?;
    }
    writeln!(report, "\nList page against bare SQL (target ≤ 2×):\n")?;
    for r in &ratios {
        writeln!(report, "{r}")?;
    }
    if let Some(b) = &bulk {
        writeln!(report, "\n## Bulk Manage (issue #15)\n")?;
        writeln!(report, "| measurement | n | ms | | | target |\n|---|---|---|---|---|---|")?;
        bulk::report(&mut report, b, million.as_ref())?;
    }
    if !notes.is_empty() {
        writeln!(report)?;
        for n in &notes {
            writeln!(report, "{n}")?;
        }
    }
    println!("\n{report}");
    // Hand-written notes below the marker survive a re-run.
    if let Some(tail) =
        std::fs::read_to_string(&a.out).ok().and_then(|old| old.find(KEEP_MARKER).map(|i| old[i..].to_string()))
    {
        write!(report, "\n{tail}")?;
    }
    std::fs::write(&a.out, &report).with_context(|| format!("writing {}", a.out))?;
    println!("written to {}", a.out);
    Ok(())
}
