//! Database access: the r2d2 pool, the one helper that runs diesel off the async executor,
//! database creation and migrations.

pub mod schema;
pub mod sql;
pub mod views;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

diesel::define_sql_function! {
    /// SQL `lower()`: case-insensitive comparisons, served by the `lower(...)` unique indexes.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// What can go wrong in getting to the database, apart from the queries themselves (those
/// return diesel's own error).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had: the database is down or unreachable.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The blocking task running the work did not finish (it panicked or was cancelled).
    #[error("blocking task failed: {0}")]
    Task(String),
}

/// The application's handle on PostgreSQL. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    /// Set while connections cannot be had (the last checkout failed), cleared by the next
    /// one that succeeds: how layers that see no typed error (the session middleware) tell an
    /// outage from other failures.
    outage: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Db {
    /// Builds a pool that connects lazily, so the server starts (and recovers) while the
    /// database is down; a checkout waits at most `checkout_timeout`.
    pub fn new(url: &str, max_size: u32, checkout_timeout: Duration) -> Db {
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(0))
            .connection_timeout(checkout_timeout)
            .test_on_check_out(true)
            .connection_customizer(Box::new(SessionSettings))
            .build_unchecked(ConnectionManager::<PgConnection>::new(url));
        Db { pool, outage: Default::default() }
    }

    /// Whether the database is unreachable right now (see [`Db::outage`]).
    pub fn is_unavailable(&self) -> bool {
        self.outage.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A pooled connection, or [`DbError::Unavailable`]; records the outage state.
    fn checkout(pool: &PgPool, outage: &std::sync::atomic::AtomicBool) -> Result<Conn, DbError> {
        let got = pool.get();
        outage.store(got.is_err(), std::sync::atomic::Ordering::Relaxed);
        got.map_err(|e| DbError::Unavailable(e.to_string()))
    }

    /// Runs `f` with a pooled connection on the blocking thread pool: diesel never runs on the
    /// async executor. The connection is checked out and returned inside the blocking closure,
    /// never held across an await. The outer error is the pool's; `f`'s own result comes back
    /// untouched (`crate::error` builds `Db::run` on this for the application's error type).
    pub async fn block<F, R>(&self, f: F) -> Result<R, DbError>
    where
        F: FnOnce(&mut PgConnection) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (pool, outage) = (self.pool.clone(), self.outage.clone());
        actix_web::web::block(move || {
            let mut conn = Db::checkout(&pool, &outage)?;
            Ok(f(&mut conn))
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// A connection for code that is already off the executor (CLI, seeding, tests).
    pub fn get_blocking(&self) -> Result<Conn, DbError> {
        Db::checkout(&self.pool, &self.outage)
    }
}

/// Settings of every pooled connection. JIT compilation pays off for long analytical queries;
/// for the console's short look-ups its compile time (hundreds of ms on large estimated
/// costs) dwarfs the query itself.
#[derive(Debug)]
struct SessionSettings;

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        configure_session(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Applies the application's session settings to a connection made outside the pool (the
/// benchmark's bare-SQL connection must run under the same settings as the app).
pub fn configure_session(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    conn.batch_execute("SET jit = off")
}

/// Splits a database URL into (server URL pointing at the `postgres` database, database name).
fn split_url(url: &str) -> anyhow::Result<(String, String)> {
    let (base, rest) =
        url.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("DATABASE_URL has no database name: {url}"))?;
    let (name, query) = match rest.split_once('?') {
        Some((n, q)) => (n, format!("?{q}")),
        None => (rest, String::new()),
    };
    anyhow::ensure!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "database name must be letters, digits and underscores: {name:?}"
    );
    Ok((format!("{base}/postgres{query}"), name.to_string()))
}

/// Whether the database answers (`SELECT 1`).
pub fn ping(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    query("SELECT 1").execute(conn).map(|_| ())
}

/// Creates the database named in `url` if it does not exist yet.
pub fn create_database_if_missing(url: &str) -> anyhow::Result<()> {
    if PgConnection::establish(url).is_ok() {
        return Ok(());
    }
    let (server, name) = split_url(url)?;
    let mut conn = PgConnection::establish(&server)?;
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        v: bool,
    }
    let exists = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS v")
        .bind::<diesel::sql_types::Text, _>(&name)
        .get_result::<Exists>(&mut conn)?
        .v;
    if !exists {
        tracing::info!(database = %name, "creating database");
        // An identifier cannot be bound: `split_url` allows only letters, digits and `_`.
        conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
    }
    Ok(())
}

/// Runs pending migrations (the schema only; `startup::migrate` also syncs the data the
/// application keeps in code).
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.run_pending_migrations(MIGRATIONS).map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(())
}

/// Whether a database error is a transient conflict with a concurrent transaction, which the
/// user may simply retry: a serialization failure (typed by diesel), a deadlock or a lock
/// timeout. Diesel reports no SQLSTATE for the last two (40P01, 55P03), so PostgreSQL's fixed
/// English message is the only signal there.
pub fn is_transient(kind: &diesel::result::DatabaseErrorKind, message: &str) -> bool {
    matches!(kind, diesel::result::DatabaseErrorKind::SerializationFailure)
        || message.starts_with("deadlock detected")
        || message.starts_with("canceling statement due to lock timeout")
}

use diesel::RunQueryDsl;

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn split_url_keeps_query() {
        let (s, n) = split_url("postgres://root@127.0.0.1:5432/custodian?sslmode=disable").unwrap();
        assert_eq!(s, "postgres://root@127.0.0.1:5432/postgres?sslmode=disable");
        assert_eq!(n, "custodian");
        assert!(split_url("postgres://h/bad-name").is_err());
    }
}

/// A statement whose text is written in the code, kept prepared on each connection that runs
/// it (diesel's statement cache, keyed by the text and the bind types), so PostgreSQL parses it
/// once per connection rather than once per call. Diesel caches the statements its query
/// builder makes, but never one from `sql_query`, whose text it cannot know to be fixed;
/// [`query`] takes only a `&'static str`, so the shapes are the code's, whatever the values.
/// PostgreSQL still chooses per execution between a custom and a generic plan.
#[derive(Debug, Clone)]
#[must_use = "a query runs only when loaded or executed"]
pub struct Prepared<Q>(pub Q);

/// `diesel::sql_query`, prepared once per connection: see [`Prepared`].
pub fn query<'f>(text: &'static str) -> Prepared<Boxed<'f>> {
    Prepared(diesel::sql_query(text).into_boxed())
}

/// A `sql_query` whose binds are added one by one.
pub type Boxed<'f> = diesel::query_builder::BoxedSqlQuery<'f, diesel::pg::Pg, diesel::query_builder::SqlQuery>;

impl<'f> Prepared<Boxed<'f>> {
    /// Binds the next parameter (`$1`, `$2`… in order), as `sql_query(…).bind` does.
    pub fn bind<ST, V>(self, value: V) -> Self
    where
        diesel::pg::Pg: diesel::sql_types::HasSqlType<ST>,
        ST: Send + 'f,
        V: diesel::serialize::ToSql<ST, diesel::pg::Pg> + Send + 'f,
    {
        Prepared(self.0.bind::<ST, V>(value))
    }
}

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>> diesel::query_builder::QueryFragment<diesel::pg::Pg>
    for Prepared<Q>
{
    fn walk_ast<'b>(&'b self, pass: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> diesel::QueryResult<()> {
        self.0.walk_ast(pass)
    }

    /// The text is the code's (see [`Prepared`]), so it is safe to keep.
    fn is_safe_to_cache_prepared(&self, _: &diesel::pg::Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> diesel::query_builder::QueryId for Prepared<Q> {
    type QueryId = ();
    // Not static: cached by its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, C> diesel::RunQueryDsl<C> for Prepared<Q> {}
