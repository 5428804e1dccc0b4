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
//! This is a measuring tool, not a test: it reports numbers against the targets and
//! never asserts them.

mod authzen;
mod bulk;
mod generate;
mod http;
mod measure;
mod million;
mod review;
mod schema;
mod scim;

use generate::{count, data_facts, generate};
use http::{csrf_token, get_ok, http_conc, http_seq, login};
use measure::measure;

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
    /// An access review over everyone (1,000 users), timed and rolled back; printed.
    Review(BulkArgs),
    /// The bulk floor's writes on copies of the link tables in other designs (issue #15's
    /// schema question), printed as a table.
    Schema(BulkArgs),
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
        Command::Review(a) => review::run(&mut connect(&a.database_url)?, 3),
        Command::Schema(a) => {
            let mut conn = connect(&a.database_url)?;
            let bulk_user = user_id(&mut conn, BULK)?;
            let designs = schema::alternatives(&mut conn, bulk_user)?;
            let base = designs[0].writes.as_secs_f64();
            println!("| design | the floor's writes | vs as they are |\n|---|---|---|");
            for d in &designs {
                let w = d.writes.as_secs_f64();
                println!("| {} | {w:.2} s | {:.2}× |", d.name, w / base);
            }
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
