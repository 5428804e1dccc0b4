//! Test harness: every test gets its own database (cloned from a migrated template), the real
//! application on a random port, and browser-like clients (cookie jar, no automatic redirects,
//! forms submitted with the CSRF token the page gave them).

use custodian::accounts::{self as model, NewUser};
use custodian::config::Config;
use custodian::permissions::Role;
use custodian::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::cookie::{CookieStore, Jar};
use std::sync::{Arc, OnceLock};

pub const PG_SERVER: &str = "postgres://postgres@127.0.0.1:5432";
pub const TEST_PASSWORD: &str = "correct horse battery staple 42";

/// The URL of database `name` on the test server. Without TLS: the server is local, and libpq
/// would otherwise use OpenSSL in pool threads that may still be connecting or closing when
/// the test process exits, where OpenSSL 3's exit handler has already freed its state (an
/// intermittent SIGSEGV after every test passed: diesel-rs/diesel#3441, sfackler/r2d2#137).
pub fn db_url(name: &str) -> String {
    format!("{}/{name}?sslmode=disable", server_url())
}

fn server_url() -> String {
    std::env::var("TEST_PG_SERVER").unwrap_or_else(|_| PG_SERVER.to_string())
}

/// The template database name: a hash of the migrations, so a changed schema gets a new one.
fn template_name() -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<_> = walk(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"));
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.as_bytes());
        h.update(std::fs::read(&f).unwrap_or_default());
    }
    format!("custodian_tpl_{}", &hex::encode(h.finalize())[..16])
}

fn walk(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(p.to_str().unwrap_or_default()));
        } else {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}

/// Creates (once, across concurrently running test binaries) the migrated template database.
fn ensure_template() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let name = template_name();
        let mut admin = PgConnection::establish(&db_url("postgres")).expect("connect to PostgreSQL");
        admin.batch_execute("SELECT pg_advisory_lock(727272)").unwrap();
        drop_leftovers(&mut admin);
        let exists: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        ))
        .get_result(&mut admin)
        .unwrap();
        if exists == 0 {
            admin.batch_execute(&format!("CREATE DATABASE {name}_build")).unwrap();
            {
                let mut c = PgConnection::establish(&db_url(&format!("{name}_build"))).unwrap();
                custodian::startup::migrate(&mut c).expect("migrate template");
            }
            admin.batch_execute(&format!("ALTER DATABASE {name}_build RENAME TO {name}")).unwrap();
        }
        admin.batch_execute("SELECT pg_advisory_unlock(727272)").unwrap();
        name
    })
}

/// A fresh database for one test; dropped when the guard drops.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        let template = ensure_template();
        let name = format!("custodian_t_{}", rand::random::<u64>());
        let mut admin = PgConnection::establish(&db_url("postgres")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}")).unwrap();
        TestDb { url: db_url(&name), name }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).unwrap()
    }
}

impl Drop for TestDb {
    /// The database goes once nobody is connected to it, from a thread of its own. Dropping it
    /// at once, under the application, made tests stall for a minute: a background sweep in
    /// the middle of a blocking task checks out a connection, the pool retries connecting to
    /// the dropped database for its whole checkout timeout (60 s for the workers), and the
    /// test's runtime waits for that task before the test can end. The last tests' databases
    /// may outlive the process; the next run drops them (`drop_leftovers`).
    fn drop(&mut self) {
        let name = self.name.clone();
        std::thread::spawn(move || drop_when_idle(&name));
    }
}

/// Drops database `name` once it has no connections (its application's pools close them when
/// the test's runtime ends), or by force after a minute.
fn drop_when_idle(name: &str) {
    let Ok(mut admin) = PgConnection::establish(&db_url("postgres")) else { return };
    for _ in 0..120 {
        if admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// Drops the test databases an earlier run left behind (those nobody is connected to: a
/// test binary running at the same time keeps its own).
fn drop_leftovers(admin: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let left: Vec<Name> = diesel::sql_query(
        "SELECT datname FROM pg_database d WHERE datname LIKE 'custodian\\_t\\_%' \
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
    )
    .load(admin)
    .unwrap_or_default();
    for n in left {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", n.datname));
    }
}

pub struct TestApp {
    pub address: String,
    pub db: TestDb,
}

/// Starts the real application on a random port against a fresh database.
pub async fn spawn_app() -> TestApp {
    let db = TestDb::new();
    spawn_app_on(db, None).await
}

/// Starts the app on `db`, optionally reaching PostgreSQL through another URL (outage tests).
pub async fn spawn_app_on(db: TestDb, via_url: Option<String>) -> TestApp {
    spawn_app_with(db, via_url, |_| {}).await
}

/// Starts the app on `db` with its configuration adjusted by `adjust`.
pub async fn spawn_app_with(db: TestDb, via_url: Option<String>, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::for_database(via_url.as_deref().unwrap_or(&db.url), "127.0.0.1:0");
    // A bulk preview is computed by a worker; on a busy test machine even a small one can
    // take longer than the moment the server waits by default, so the tests answering with
    // the preview itself wait long. (`manage_previews` sets it to 0 to test the other answer.)
    config.bulk_preview_wait_ms = 60_000;
    // Sweeps for background work nobody took up come sooner than in production.
    config.sweep_every_ms = 2_000;
    adjust(&mut config);
    config.workers = Some(2);
    config.db_pool_size = 4;
    let app = Application::build(&config).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp { address, db }
}

/// Creates an active user with `role` and the test password straight in the database (for
/// tests without a running app); returns its id.
pub fn create_user(c: &mut PgConnection, email: &str, role: Role) -> i64 {
    let new = NewUser {
        email,
        first_name: "Test",
        last_name: role.label(),
        phone: None,
        password_hash: password_hash(),
        role: role.as_str(),
    };
    model::create(c, &new).unwrap().id
}

fn password_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| custodian::auth::password::hash(TEST_PASSWORD).unwrap())
}

impl TestApp {
    pub fn conn(&self) -> PgConnection {
        self.db.conn()
    }

    /// A new browser: its own cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// A new browser connecting from another loopback address (`127.0.0.N`).
    pub fn browser_from(&self, n: u8) -> Browser {
        Browser::from_address(&self.address, Some(std::net::IpAddr::from([127, 0, 0, n])))
    }

    /// Creates an active user with `role` and the test password; returns its id.
    pub fn create_user(&self, email: &str, role: Role) -> i64 {
        create_user(&mut self.conn(), email, role)
    }

    /// A per-user override: `key` granted (or revoked) for `user` on top of their presets.
    pub fn override_key(&self, user: i64, key: &str, granted: bool) {
        use custodian::db::views::user_overrides;
        diesel::insert_into(user_overrides::table)
            .values((
                user_overrides::user_id.eq(user),
                user_overrides::perm_key.eq(key),
                user_overrides::granted.eq(granted),
            ))
            .execute(&mut self.conn())
            .unwrap();
    }

    /// A browser signed in as a new user of `role`.
    pub async fn signed_in(&self, email: &str, role: Role) -> (i64, Browser) {
        let id = self.create_user(email, role);
        let b = self.browser();
        let r = b.login(email, TEST_PASSWORD).await;
        assert_eq!(r.status(), 303, "login of {email} failed");
        (id, b)
    }
}

/// A browser-like HTTP client.
pub struct Browser {
    pub base: String,
    pub jar: Arc<Jar>,
    pub client: reqwest::Client,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser::from_address(base, None)
    }

    /// A browser whose connections come from `local` (another loopback address such as
    /// 127.0.0.2), as a second client machine would.
    pub fn from_address(base: &str, local: Option<std::net::IpAddr>) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            // Below the server's keep-alive (5 s): never reuse a connection it is closing.
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .local_address(local)
            .build()
            .unwrap();
        Browser { base: base.to_string(), jar, client }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The Cookie header this browser would send.
    pub fn cookie_header(&self) -> String {
        self.jar.cookies(&self.base.parse().unwrap()).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET a page that must answer 200; returns its HTML.
    pub async fn page(&self, path: &str) -> String {
        let r = self.get(path).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, 200, "GET {path} answered {status}: {body}");
        body
    }

    /// Submits a form the way a browser does: loads `page`, takes its CSRF token, posts
    /// `fields` to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let html = self.page(page).await;
        let token = csrf_token(&html).unwrap_or_else(|| panic!("no CSRF token on {page}"));
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    /// Posts exactly `fields` (no token added).
    pub async fn post_raw(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(action)).form(fields).send().await.unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit("/login", "/login", &[("email", email), ("password", password), ("next", "/")]).await
    }
}

/// The value of the first `csrf_token` hidden field of a page.
pub fn csrf_token(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    Some(html[at..].split('"').next()?.to_string())
}

/// Where a redirect points.
pub fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// After "Execute actions": follows the answer to the run's page, waits (through its progress
/// JSON, as the page's script does) until the background run has ended, and returns the page.
/// Any other answer (a refusal) comes back as it is.
pub async fn bulk_run_ended(b: &Browser, executed: reqwest::Response) -> reqwest::Response {
    let run = location(&executed);
    if !run.starts_with("/contacts/manage/runs/") {
        return executed;
    }
    assert_eq!(executed.status(), 303);
    bulk_run_page_when_ended(b, &run).await
}

/// Waits until no bulk run owes its owners' notices (the worker writes them once the run has
/// committed: [`custodian::bulk::notices`]).
pub async fn notices_written(c: &mut PgConnection) {
    for _ in 0..1200 {
        if custodian::bulk::notices::owed(c).unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the owners' notices were not written within a minute");
}

/// Waits (through its progress JSON, as the page's script does) until the run at `run` has
/// ended; returns its page.
pub async fn bulk_run_page_when_ended(b: &Browser, run: &str) -> reqwest::Response {
    for _ in 0..1200 {
        let p: serde_json::Value = b.get(&format!("{run}/progress")).await.json().await.unwrap();
        if p["running"] == false {
            return b.get(run).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("bulk run {run} did not end within a minute");
}
