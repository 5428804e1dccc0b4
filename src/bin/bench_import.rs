//! Import benchmark (issue #6): generates a CSV of `--rows` contacts (1% of them invalid),
//! imports it into a scratch database through the same code path as the web screen
//! (`imports::run::execute` on an import job), and prints the elapsed time. With `--again`
//! the same file is imported a second time, so every good row is an update.
//!
//!     cargo run --release --features bench --bin bench_import -- --rows 100000 --again

use clap::Parser;
use custodian::db::Db;
use custodian::imports::{job, run, Dedup, Options, Target};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::io::Write;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// PostgreSQL server (the scratch database is created on it, dropped and re-created).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    server: String,
    #[arg(long, default_value = "custodian_bench_import")]
    database: String,
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Import the same file a second time (the update path).
    #[arg(long)]
    again: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.database.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "database: letters, digits, _"
    );
    let mut admin = PgConnection::establish(&format!("{}/postgres", args.server))?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", args.database))?;
    admin.batch_execute(&format!("CREATE DATABASE {}", args.database))?;
    let url = format!("{}/{}", args.server, args.database);
    let pool = Db::new(&url, 4, Duration::from_secs(10));
    let owner = {
        let mut c = pool.get_blocking()?;
        custodian::startup::migrate(&mut c)?;
        let u = custodian::accounts::NewUser {
            email: "bench@example.com",
            first_name: "Bench",
            last_name: "Importer",
            phone: None,
            password_hash: "not-a-login",
            role: "marketer",
        };
        custodian::accounts::create(&mut c, &u)?.id
    };

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.csv");
    let started = Instant::now();
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
        writeln!(w, "email;first_name;last_name;phone;company;category;tags")?;
        for i in 0..args.rows {
            if i % 100 == 99 {
                writeln!(w, "broken-{i};Bad;Row;12345;;;")?; // invalid email and phone
            } else {
                writeln!(
                    w,
                    "person{i}@bench.test;First{i};Last{i};+48 600 {i:06};Company {};cat{};t{},bench",
                    i % 500,
                    i % 7,
                    i % 13
                )?;
            }
        }
    }
    let size = std::fs::metadata(&path)?.len();
    println!("generated {} rows ({:.1} MB) in {:.2?}", args.rows, size as f64 / 1e6, started.elapsed());

    let runs = if args.again { 2 } else { 1 };
    for n in 1..=runs {
        // As the upload does: header, record count and the file copied into the database.
        let t = Instant::now();
        let id = {
            let mut c = pool.get_blocking()?;
            let id = job::create(&mut c, owner, &path, "bench.csv")
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .map_err(|e| anyhow::anyhow!(e))?;
            let columns = job::find(&mut c, id)?.columns();
            let opts = Options {
                mapping: columns.iter().map(|c| Target::guess(c)).collect(),
                tags: vec!["imported".into()],
                groups: Vec::new(),
                owner_id: owner,
                dedup: Dedup::Update,
                without_email: true,
            };
            job::start(&mut c, id, &opts)?;
            id
        };
        println!("upload {n}: stored in the database in {:.2?}", t.elapsed());
        let t = Instant::now();
        let counts = run::execute(&pool, id)
            .map_err(|e| anyhow::anyhow!("import failed: {e}"))?
            .ok_or_else(|| anyhow::anyhow!("import job {id} was not running"))?;
        println!(
            "import {n}: {} rows in {:.2?} — created {}, updated {}, skipped {}, rejected {}",
            args.rows,
            t.elapsed(),
            counts.created,
            counts.updated,
            counts.skipped,
            counts.rejected
        );
    }
    Ok(())
}
