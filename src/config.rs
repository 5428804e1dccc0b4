//! Configuration from command-line flags, environment variables and `.env`.

use clap::{Parser, Subcommand};

#[derive(Parser, Debug, Clone)]
#[command(name = "custodian", about = "Access-control console of a CRM")]
pub struct Config {
    /// PostgreSQL URL; the database is created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://root@127.0.0.1:5432/custodian")]
    pub database_url: String,

    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Secret that signs session cookies (at least 32 characters). When unset, a random one is
    /// generated once and kept in the database, so restarts and several instances agree.
    #[arg(long, env = "SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,

    /// Mark cookies Secure (serve over HTTPS).
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: i64,

    /// Maximum database connections in the pool.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,

    /// Database connections of the background work (bulk runs, imports, email delivery): a pool
    /// of its own, so background work never takes the connections page requests need. A third
    /// as many jobs run at once (a job holds three: its claim, its transaction, its progress).
    #[arg(long, env = "WORKER_POOL_SIZE", default_value_t = 12)]
    pub worker_pool_size: u32,

    /// How often every instance looks for due jobs (queued, left by a stopped instance, or past
    /// a retry's backoff), expired uploads and email to deliver (milliseconds).
    #[arg(long, env = "SWEEP_EVERY_MS", default_value_t = 5_000)]
    pub sweep_every_ms: u64,

    /// Worker threads of the HTTP server (default: one per core).
    #[arg(long, env = "WORKERS")]
    pub workers: Option<usize>,

    /// SMTP server for outgoing email: `smtps://user:pass@host`, `smtp://user:pass@host:587?tls=required`
    /// or `smtp://host:port` (an unencrypted relay). When unset, messages stay queued in the outbox.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Sender address of outgoing email (needed with SMTP_URL).
    #[arg(long, env = "SMTP_FROM")]
    pub smtp_from: Option<String>,

    /// Addresses of the reverse proxies / load balancers in front of the server (comma-separated).
    /// A request from one of them is taken to come from the address it names last in
    /// `X-Forwarded-For` (the last hop it did not add itself); sign-in throttling and the
    /// public-form limit then count real clients. Unset: the peer address counts, and
    /// `X-Forwarded-For` is ignored (anyone could forge it).
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Where browsers and integrations reach this server (`https://crm.example.com`): the origin
    /// the AuthZEN metadata, SCIM locations and the token page's examples name. Unset: the
    /// `Host` the request came to, or what a trusted proxy forwards (`X-Forwarded-Host`,
    /// `X-Forwarded-Proto`, `Forwarded`), never what any other client says.
    #[arg(long, env = "PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,

    /// Single sign-on: the OpenID Provider's issuer URL (its `/.well-known/openid-configuration`
    /// is read from there). Unset: no single sign-on.
    #[arg(long, env = "OIDC_ISSUER_URL")]
    pub oidc_issuer_url: Option<String>,

    /// The client id Custodian is registered under at the OpenID Provider.
    #[arg(long, env = "OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// The client secret that goes with the client id.
    #[arg(long, env = "OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,

    /// The redirect URL registered at the OpenID Provider: this server's `/login/sso/callback`
    /// as browsers reach it (e.g. `https://crm.example.com/login/sso/callback`).
    #[arg(long, env = "OIDC_REDIRECT_URL")]
    pub oidc_redirect_url: Option<String>,

    /// The name on the sign-in button ("Sign in with <name>").
    #[arg(long, env = "OIDC_DISPLAY_NAME", default_value = "single sign-on")]
    pub oidc_display_name: String,

    /// Just-in-time creation: a verified email that matches no user creates one with this role
    /// (any role but administrator). Unset: unknown emails are refused.
    #[arg(long, env = "OIDC_JIT_ROLE")]
    pub oidc_jit_role: Option<String>,

    /// Milliseconds "Preview" in bulk Manage waits for its preview, which a background worker
    /// computes, before it answers with a page that follows the preview until it is ready.
    #[arg(long, env = "BULK_PREVIEW_WAIT_MS", default_value_t = 2000)]
    pub bulk_preview_wait_ms: u64,

    /// Seed the demo organisation (once) before serving.
    #[arg(long, default_value_t = false)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Start the web console (the default).
    Serve,
    /// Create the database if missing, run migrations and exit.
    Migrate,
}

impl Config {
    /// A configuration for tests and tools: defaults plus the given database and bind address.
    pub fn for_database(database_url: &str, bind: &str) -> Config {
        let mut c = Config::parse_from(["custodian"]);
        c.database_url = database_url.to_string();
        c.bind = bind.to_string();
        c.demo = false;
        c
    }
}

/// A public URL: `http(s)://host[:port]`, no path, kept without a trailing slash.
fn public_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) => Ok(s.to_string()),
        _ => Err("give the origin only, e.g. https://crm.example.com".into()),
    }
}
