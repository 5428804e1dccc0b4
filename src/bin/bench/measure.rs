//! `measure`: every number of BENCHMARKS.md in one run, and the report.

use super::*;

/// Measures POST /api/v1/check when this build has it; `Err(text)` says why not.
pub(super) async fn api_bench(
    conn: &mut PgConnection,
    base: &str,
    a: &MeasureArgs,
) -> anyhow::Result<Result<Vec<Stats>, String>> {
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

pub(super) async fn measure(a: MeasureArgs) -> anyhow::Result<()> {
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
        for r in &b.rounds {
            println!("bulk round: execute {:.0} ms, floor {:.0} ms", ms(r.execute), ms(r.floor));
        }
        println!("bulk: {}", b.summary);
        Some(b)
    };
    let million =
        if a.million && !a.skip_bulk { Some(super::million::million(&base, &a.database_url).await?) } else { None };
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
    writeln!(report, "cargo run --release --features bench --bin custodian-bench -- generate --database-url postgres://postgres@127.0.0.1:5432/custodian_bench")?;
    writeln!(
        report,
        "cargo run --release --features bench --bin custodian-bench -- measure --database-url postgres://postgres@127.0.0.1:5432/custodian_bench --requests {n} --concurrency {}",
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
