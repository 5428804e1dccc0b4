//! `generate`: the SPEC 6 data set, in a few set-based statements.

use super::*;

pub(super) fn step(conn: &mut PgConnection, label: &str, sql: &str) -> anyhow::Result<()> {
    let t = Instant::now();
    conn.batch_execute(sql).with_context(|| format!("step {label}"))?;
    println!("{label:<40} {:>8.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

#[derive(QueryableByName)]
pub(super) struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(super) fn count(conn: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)
}

pub(super) fn generate(a: &GenerateArgs) -> anyhow::Result<()> {
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
    // (The tables behind the views of what is in force, `_all`: VACUUM only warns about a view
    // and skips it, which left their statistics empty and the plans wrong.)
    let t = Instant::now();
    for table in [
        "users",
        "teams",
        "team_members_all",
        "access_groups",
        "access_group_grants_all",
        "contacts",
        "contact_owners_all",
        "contact_tags",
        "contact_access_groups",
        "user_presets_all",
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
pub(super) fn data_facts(conn: &mut PgConnection) -> anyhow::Result<String> {
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
