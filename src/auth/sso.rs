//! Single sign-on: Custodian as an OpenID Connect relying party, authorization code flow with
//! PKCE (S256). The `openidconnect` crate does the protocol and every check a relying party
//! owes: the ID token's signature against the provider's published keys, its issuer, audience,
//! expiry and nonce. This module adds what is Custodian's: configuration, the provider's
//! metadata (discovered from the issuer, kept a minute), the state kept between the two legs in
//! the session, and the one fact the console takes from the provider — a verified email.
//! Nothing else comes from the provider: no role, no preset (see `web::auth::sso`).

use crate::permissions::Role;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The core metadata plus the logout endpoint (RP-initiated logout), when advertised.
type Metadata = openidconnect::ProviderMetadataWithLogout;

/// How long discovered metadata (and the keys it names) is reused.
const METADATA_TTL: Duration = Duration::from_secs(60);
/// How long the provider may take to send the browser back.
pub const FLOW_SECONDS: i64 = 600;

/// The configured provider (see `Config::oidc_*`).
pub struct Settings {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    pub display_name: String,
    /// Just-in-time creation with this role; `None`: unknown emails are refused.
    pub jit_role: Option<Role>,
}

impl Settings {
    /// Reads the configuration: `None` when single sign-on is not configured; an error when it
    /// is configured half-way or wrongly (the server refuses to start rather than guess).
    pub fn from_config(c: &crate::config::Config) -> anyhow::Result<Option<Settings>> {
        let Some(issuer) = &c.oidc_issuer_url else { return Ok(None) };
        let need = |v: &Option<String>, name: &str| {
            v.clone().ok_or_else(|| anyhow::anyhow!("OIDC_ISSUER_URL is set but {name} is not"))
        };
        let jit_role = match &c.oidc_jit_role {
            None => None,
            Some(r) => {
                let role: Role = r.parse().map_err(|_| anyhow::anyhow!("OIDC_JIT_ROLE: unknown role {r:?}"))?;
                anyhow::ensure!(
                    role != Role::Administrator,
                    "OIDC_JIT_ROLE cannot be administrator: only an Administrator makes Administrators"
                );
                Some(role)
            }
        };
        Ok(Some(Settings {
            issuer: IssuerUrl::new(issuer.clone())?,
            client_id: ClientId::new(need(&c.oidc_client_id, "OIDC_CLIENT_ID")?),
            client_secret: c.oidc_client_secret.clone().map(ClientSecret::new),
            redirect: RedirectUrl::new(need(&c.oidc_redirect_url, "OIDC_REDIRECT_URL")?)?,
            display_name: c.oidc_display_name.clone(),
            jit_role,
        }))
    }
}

/// What went wrong with a single sign-on; each has its own page.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("the identity provider is not answering: {0}")]
    Unavailable(String),
    #[error("the sign-in does not match the one this browser started")]
    State,
    #[error("the identity provider did not give a token: {0}")]
    Token(String),
    #[error("the ID token is not valid: {0}")]
    IdToken(String),
    #[error("the ID token carries no email")]
    NoEmail,
}

/// What the first leg leaves in the session for the second.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Started {
    state: String,
    nonce: String,
    verifier: String,
    pub next: String,
    pub since: i64,
}

/// Who the provider says signed in.
#[derive(Debug)]
pub struct Identity {
    pub email: String,
    pub verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The ID token as received, kept for RP-initiated logout (`id_token_hint`).
    pub id_token: String,
}

/// The relying party. Cheap to clone.
#[derive(Clone)]
pub struct Sso {
    pub settings: Arc<Settings>,
    http: openidconnect::reqwest::Client,
    metadata: Arc<tokio::sync::Mutex<Option<(Metadata, Instant)>>>,
}

impl Sso {
    pub fn new(settings: Settings) -> anyhow::Result<Sso> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let the provider's answers send us anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Sso { settings: Arc::new(settings), http, metadata: Default::default() })
    }

    async fn metadata(&self) -> Result<Metadata, SsoError> {
        let mut cached = self.metadata.lock().await;
        if let Some((m, at)) = cached.as_ref() {
            if at.elapsed() < METADATA_TTL {
                return Ok(m.clone());
            }
        }
        let m = Metadata::discover_async(self.settings.issuer.clone(), &self.http)
            .await
            .map_err(|e| SsoError::Unavailable(e.to_string()))?;
        *cached = Some((m.clone(), Instant::now()));
        Ok(m)
    }

    /// The first leg: where to send the browser, and what to keep for the second.
    pub async fn begin(&self, next: String) -> Result<(String, Started), SsoError> {
        let m = self.metadata().await?;
        let client =
            CoreClient::from_provider_metadata(m, self.settings.client_id.clone(), self.settings.client_secret.clone())
                .set_redirect_uri(self.settings.redirect.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let started = Started {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next,
            since: chrono::Utc::now().timestamp(),
        };
        Ok((url.to_string(), started))
    }

    /// The second leg: checks the state, exchanges the code (with the PKCE verifier) and
    /// validates the ID token.
    pub async fn finish(&self, started: Started, code: String, state: &str) -> Result<Identity, SsoError> {
        if !bool::from(started.state.as_bytes().ct_eq(state.as_bytes())) {
            return Err(SsoError::State);
        }
        let m = self.metadata().await?;
        let client =
            CoreClient::from_provider_metadata(m, self.settings.client_id.clone(), self.settings.client_secret.clone())
                .set_redirect_uri(self.settings.redirect.clone());
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| SsoError::Token(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(started.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| SsoError::Token(e.to_string()))?;
        let token = response.id_token().ok_or_else(|| SsoError::IdToken("no ID token".into()))?;
        let claims = token
            .claims(&client.id_token_verifier(), &Nonce::new(started.nonce))
            .map_err(|e| SsoError::IdToken(e.to_string()))?;
        let email = claims.email().ok_or(SsoError::NoEmail)?.as_str().to_string();
        Ok(Identity {
            email,
            verified: claims.email_verified() == Some(true),
            given_name: claims.given_name().and_then(|c| c.get(None)).map(|v| v.as_str().to_string()),
            family_name: claims.family_name().and_then(|c| c.get(None)).map(|v| v.as_str().to_string()),
            id_token: token.to_string(),
        })
    }

    /// The provider's logout address for a session signed in with `id_token`, coming back to
    /// `after` — when the provider advertises RP-initiated logout.
    pub async fn logout_url(&self, id_token: &str, after: &str) -> Option<String> {
        let m = self.metadata().await.ok()?;
        let end = m.additional_metadata().end_session_endpoint.clone()?;
        let token: CoreIdToken = id_token.parse().ok()?;
        let url = LogoutRequest::from(end)
            .set_id_token_hint(&token)
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(after.to_string()).ok()?)
            .set_client_id(self.settings.client_id.clone())
            .http_get_url();
        Some(url.to_string())
    }

    /// Where the provider sends the browser back after logout: this site's sign-in page.
    pub fn after_logout(&self) -> String {
        let mut u = self.settings.redirect.url().clone();
        u.set_path("/login");
        u.set_query(None);
        u.to_string()
    }
}

/// The relying party when single sign-on is configured: application data of every worker.
#[derive(Clone, Default)]
pub struct Configured(pub Option<Sso>);

impl Configured {
    pub fn from_config(c: &crate::config::Config) -> anyhow::Result<Configured> {
        Ok(Configured(Settings::from_config(c)?.map(Sso::new).transpose()?))
    }

    /// The sign-in button's name, when configured.
    pub fn display_name(&self) -> Option<String> {
        self.0.as_ref().map(|s| s.settings.display_name.clone())
    }
}
