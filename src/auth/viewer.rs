//! The signed-in user of a request, as a typed extractor. Every page handler that needs a user
//! takes a `Viewer`; its permission checks are the first lines of the handler.

use super::session;
use crate::accounts::User;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{Perm, PermSet};
use actix_session::{Session, SessionExt};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use anyhow::Context;
use std::future::Future;
use std::pin::Pin;

pub struct Viewer {
    pub user: User,
    /// The user as the access rules see them, with their effective permissions (loaded with
    /// the user, in the same query).
    pub subject: crate::access::Subject,
    pub session: Session,
    /// Unread notifications, for the header.
    pub unread: i64,
    /// The client's address, for the audit log.
    pub ip: Option<String>,
}

impl Viewer {
    pub fn id(&self) -> i64 {
        self.user.id
    }

    /// This user at the screens, as the actor of a change the audit log records.
    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor { id: self.user.id, ip: self.ip.clone(), via: None }
    }

    /// The user's effective permissions.
    pub fn perms(&self) -> PermSet {
        self.subject.perms
    }

    pub fn has(&self, p: Perm) -> bool {
        self.subject.perms.contains(p)
    }

    /// Refuses with 403 unless the user holds `p`.
    pub fn require(&self, p: Perm) -> Result<(), AppError> {
        if self.has(p) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!("user {} lacks {}", self.user.id, p)))
        }
    }

    /// Refuses with 403 unless the user holds at least one of `ps`.
    pub fn require_any(&self, ps: &[Perm]) -> Result<(), AppError> {
        if ps.iter().any(|p| self.has(*p)) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!("user {} lacks all of {:?}", self.user.id, ps)))
        }
    }

    pub fn flash(&self, kind: session::FlashKind, text: impl Into<String>) {
        session::flash(&self.session, kind, text);
    }
}

/// The reverse proxies the server trusts to say who the client is (configuration
/// `TRUSTED_PROXIES`), kept as application data.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<std::net::IpAddr>);

/// Where this server is reached (configuration `PUBLIC_URL`), kept as application data.
#[derive(Debug, Clone, Default)]
pub struct PublicUrl(pub Option<String>);

/// This server's origin as clients reach it (`scheme://host[:port]`): the configured
/// `PUBLIC_URL`; else, from a trusted proxy, what it forwards; else the `Host` the request
/// came to, over plain HTTP. Forwarding headers from any other peer are ignored: anyone could
/// send them.
pub fn origin(req: &HttpRequest) -> String {
    if let Some(url) = req.app_data::<actix_web::web::Data<PublicUrl>>().and_then(|p| p.0.clone()) {
        return url;
    }
    let trusted = req.app_data::<actix_web::web::Data<TrustedProxies>>().map(|t| t.0.clone()).unwrap_or_default();
    if req.peer_addr().is_some_and(|p| trusted.contains(&p.ip())) {
        let info = req.connection_info();
        return format!("{}://{}", info.scheme(), info.host());
    }
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .map(str::to_string)
        .unwrap_or_else(|| req.app_config().host().to_string());
    format!("http://{host}")
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the last address in
/// `X-Forwarded-For` that is not itself a trusted proxy (what the proxies saw; a client can
/// forge only the hops before them).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let trusted = req.app_data::<actix_web::web::Data<TrustedProxies>>().map(|t| t.0.clone()).unwrap_or_default();
    if !trusted.contains(&peer) {
        return Some(peer.to_string());
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    let client = forwarded.into_iter().rev().find(|a| !trusted.contains(a)).unwrap_or(peer);
    Some(client.to_string())
}

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Viewer, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let db = req.app_data::<web::Data<Db>>().cloned();
        let next = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let ip = client_ip(req);
        Box::pin(async move {
            let db = db.ok_or_else(|| anyhow::anyhow!("Db missing from app data"))?;
            let Some(uid) = session::user_id(&session) else {
                return Err(AppError::LoginRequired { next });
            };
            // Signed in through the provider: the second factor is the provider's.
            let by_provider = session.get::<String>(session::ID_TOKEN_KEY).ok().flatten().is_some();
            let loaded = db
                .run(move |c| {
                    let Some((user, subject)) = crate::access::facts::signed_in(c, uid)? else { return Ok(None) };
                    let unread = crate::notifications::unread_count(c, uid)?;
                    let must_enrol = !by_provider && crate::auth::two_factor::must_enrol(c, &user)?;
                    Ok(Some((user, subject, unread, must_enrol)))
                })
                .await?;
            match loaded {
                // A policy that came into force after this sign-in reaches it now: the session
                // becomes a pending sign-in that enrols before it reaches anything.
                Some((user, _, _, true)) if user.is_active() => {
                    session::begin_second_step(&session, user.id, &user.email, &next, true).context("session")?;
                    Err(AppError::EnrolmentRequired)
                }
                Some((user, subject, unread, false)) if user.is_active() => {
                    Ok(Viewer { user, subject, session, unread, ip })
                }
                _ => {
                    session::sign_out(&session);
                    Err(AppError::LoginRequired { next })
                }
            }
        })
    }
}

impl Viewer {
    /// What the access rules need to know about this user, movable into `Db::run`.
    pub fn access(&self) -> AccessUser {
        AccessUser { user: self.user.clone(), subject: self.subject.clone() }
    }
}

/// The signed-in user as the access rules see it (Send, unlike the Viewer's session).
#[derive(Clone)]
pub struct AccessUser {
    pub user: User,
    subject: crate::access::Subject,
}

impl AccessUser {
    pub fn subject(&self) -> crate::access::Subject {
        self.subject.clone()
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }
}
