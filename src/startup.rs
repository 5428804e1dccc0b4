//! Builds the application: database preparation, session key, middleware and the route table.

use crate::auth::session_store::PgSessionStore;
use crate::config::Config;
use crate::db::{self, schema::app_settings, Db};
use crate::web::csrf;
use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_session::SessionMiddleware;
use actix_web::cookie::{time::Duration as CookieDuration, Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders, Logger};
use actix_web::{web, App, HttpServer};
use diesel::prelude::*;
use sha2::{Digest, Sha512};
use std::net::TcpListener;
use std::time::Duration;

pub struct Application {
    address: String,
    port: u16,
    server: Server,
}

/// Creates the database if missing and migrates it (blocking; call off the executor).
pub fn prepare_database(url: &str) -> anyhow::Result<()> {
    db::create_database_if_missing(url)?;
    let mut conn = PgConnection::establish(url)?;
    migrate(&mut conn)
}

/// Runs pending migrations, then brings the system presets in line with the catalog in code.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<()> {
    db::run_migrations(conn)?;
    crate::permissions::store::sync_system_presets(conn)?;
    Ok(())
}

/// The cookie key: from the configured secret, or a random secret generated once and kept in
/// the database so that every instance and every restart agree.
fn session_key(conn: &mut PgConnection, configured: Option<&str>) -> anyhow::Result<Key> {
    let secret = match configured {
        Some(s) => {
            anyhow::ensure!(s.len() >= 32, "SESSION_SECRET must be at least 32 characters");
            s.to_string()
        }
        None => {
            use rand::distributions::{Alphanumeric, DistString};
            let fresh = Alphanumeric.sample_string(&mut rand::thread_rng(), 64);
            diesel::insert_into(app_settings::table)
                .values((app_settings::key.eq("session_secret"), app_settings::value.eq(&fresh)))
                .on_conflict_do_nothing()
                .execute(conn)?;
            app_settings::table
                .filter(app_settings::key.eq("session_secret"))
                .select(app_settings::value)
                .first(conn)?
        }
    };
    Ok(Key::from(&Sha512::digest(secret.as_bytes())[..]))
}

/// Security headers on every response. No inline script anywhere, so CSP can forbid it.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
}

/// Pages and downloads carry personal data (cards, exports, the audit log): no browser or proxy
/// keeps a copy. Static assets, and responses that set their own caching (avatars: private,
/// a minute), are left as they are.
async fn no_store(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let asset = req.path().starts_with("/static/");
    let mut res = next.call(req).await?;
    if !asset && !res.headers().contains_key(actix_web::http::header::CACHE_CONTROL) {
        res.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

impl Application {
    /// Prepares the database, seeds demo data when asked, binds and builds the server.
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let url = config.database_url.clone();
        let secret = config.session_secret.clone();
        let demo = config.demo;
        let bind = config.bind.clone();
        let key = web::block(move || -> anyhow::Result<Key> {
            prepare_database(&url)?;
            let mut conn = PgConnection::establish(&url)?;
            if demo {
                crate::demo::seed(&mut conn)?;
            }
            if let Some(token) = crate::users::setup::issue_token_if_no_users(&mut conn)? {
                tracing::warn!("No users yet. Create the first Administrator at: http://{bind}/setup/{token}");
            }
            crate::auth::session_store::purge_expired(&mut conn)?;
            session_key(&mut conn, secret.as_deref())
        })
        .await??;

        let db = Db::new(&config.database_url, config.db_pool_size, Duration::from_secs(3));
        // Background work has connections of its own (jobs::Workers), one queue and one loop.
        let kinds = [&crate::bulk::PREVIEW, &crate::bulk::EXECUTE, &crate::bulk::NOTICES, &crate::imports::IMPORT];
        let workers = crate::jobs::Workers::new(&config.database_url, config.worker_pool_size, &kinds);
        // Uploads nobody imported.
        let mut sweeps = vec![
            crate::jobs::Sweep { name: "import uploads", run: Box::new(crate::imports::housekeeping::sweep) },
            // Access whose end has come: removed, audited and told (access itself ended
            // at that instant, through the views; see crate::expiry).
            crate::jobs::Sweep { name: "ended access", run: Box::new(crate::expiry::sweep) },
            // Access reviews' reminders, deadlines and repeats (crate::reviews::deadline).
            crate::jobs::Sweep { name: "access reviews", run: Box::new(crate::reviews::deadline::sweep) },
        ];
        // Outbox delivery: only with SMTP configured; otherwise messages stay queued. A round
        // claims few, so it ends long before an unfinished claim counts as lost.
        const CLAIMED_AT_ONCE: i64 = 10;
        if let Some(url) = &config.smtp_url {
            let from =
                config.smtp_from.as_deref().ok_or_else(|| anyhow::anyhow!("SMTP_URL is set but SMTP_FROM is not"))?;
            let mailer = crate::messaging::delivery::SmtpMailer::new(url, from)?;
            sweeps.push(crate::jobs::Sweep {
                name: "email delivery",
                run: Box::new(move |workers| {
                    let d = crate::messaging::delivery::deliver(&workers.db, &mailer, CLAIMED_AT_ONCE)?;
                    if d.sent + d.failed > 0 {
                        tracing::info!(sent = d.sent, failed = d.failed, "outbox delivery");
                    }
                    Ok(())
                }),
            });
        }
        tokio::spawn(crate::jobs::run_background(
            workers.clone(),
            Duration::from_millis(config.sweep_every_ms.max(10)),
            sweeps,
        ));
        let listener = TcpListener::bind(&config.bind)?;
        let local = listener.local_addr()?;
        let idle = CookieDuration::minutes(config.session_idle_minutes);
        let secure = config.secure_cookies;
        let data = web::Data::new(db.clone());
        let workers = web::Data::new(workers);
        let mail_server = web::Data::new(crate::web::send::MailServer(config.smtp_url.is_some()));
        let proxies = web::Data::new(crate::auth::viewer::TrustedProxies(config.trusted_proxies.clone()));
        let public_url = web::Data::new(crate::auth::viewer::PublicUrl(config.public_url.clone()));
        let sso = web::Data::new(crate::auth::sso::Configured::from_config(config)?);
        let preview_wait = web::Data::new(crate::web::contacts::manage::PreviewWait(std::time::Duration::from_millis(
            config.bulk_preview_wait_ms,
        )));
        let mut server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(PgSessionStore::new(db.clone()), key.clone())
                .cookie_name("custodian_session".into())
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_secure(secure)
                .cookie_content_security(CookieContentSecurity::Private)
                .session_lifecycle(
                    BrowserSession::default()
                        .state_ttl(idle)
                        .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
                )
                .build();
            App::new()
                .app_data(data.clone())
                .app_data(workers.clone())
                .app_data(mail_server.clone())
                .app_data(proxies.clone())
                .app_data(public_url.clone())
                .app_data(sso.clone())
                .app_data(preview_wait.clone())
                // One body limit per kind of request, the same wherever the body is read.
                .app_data(web::FormConfig::default().limit(crate::web::input::FORM_LIMIT))
                .app_data(web::PayloadConfig::default().limit(crate::web::input::FORM_LIMIT))
                .app_data(web::JsonConfig::default().limit(crate::web::input::JSON_LIMIT))
                .wrap(from_fn(csrf::check))
                .wrap(from_fn(crate::web::input::guard))
                .wrap(sessions)
                .wrap(from_fn(crate::web::error_page::error_pages))
                .wrap(security_headers())
                .wrap(from_fn(no_store))
                .wrap(from_fn(crate::web::authzen::echo_request_id))
                // Paths only: a query string may hold what should not be logged.
                .wrap(
                    Logger::new("%{method}xi %U %s %Dms").custom_request_replace("method", |r| r.method().to_string()),
                )
                .configure(crate::web::routes)
        })
        // A response written in more than one piece (static files) would otherwise wait for
        // the client's delayed ACK (40 ms) on every keep-alive request.
        .on_connect(|conn, _| {
            if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = tcp.set_nodelay(true);
            }
        });
        if let Some(w) = config.workers {
            server = server.workers(w);
        }
        let server = server.listen(listener)?.run();
        Ok(Application { address: local.to_string(), port: local.port(), server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
