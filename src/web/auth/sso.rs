//! GET /login/sso and GET /login/sso/callback: single sign-on through the configured OpenID
//! Provider (`auth::sso` does the protocol). The provider's verified email signs in the active
//! user with that email (case-insensitively); an unknown email is refused, or — with
//! just-in-time creation configured — creates a user with the configured role. Deactivated and
//! deleted users are refused. The provider gives no role and no preset here. A sign-in through
//! the provider leaves the second factor to the provider: Custodian's own two-factor guards
//! password sign-in.

use crate::accounts as model;
use crate::auth::sso::{Configured, SsoError, Started, FLOW_SECONDS};
use crate::auth::viewer::client_ip;
use crate::db::Db;
use crate::error::AppError;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use crate::web::urls::local_path;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context;
use askama::Template;
use serde::Deserialize;

const FLOW_KEY: &str = "sso_flow";
/// The ID token of a session signed in through the provider (for RP-initiated logout).
use crate::auth::session::ID_TOKEN_KEY;

#[derive(Template)]
#[template(path = "login_refused.html")]
pub struct RefusedPage {
    pub layout: Layout,
    pub title: &'static str,
    pub message: String,
}

fn refused(
    session: &Session,
    status: StatusCode,
    title: &'static str,
    message: String,
) -> Result<HttpResponse, AppError> {
    render(RefusedPage { layout: Layout::anonymous(session), title, message }, status)
}

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// The first leg: off to the provider, with state, nonce and PKCE kept in the session.
#[tracing::instrument(skip_all)]
pub async fn start(
    session: Session,
    sso: web::Data<Configured>,
    q: web::Query<StartQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(sso) = sso.0.as_ref() else { return Err(AppError::NotFound) };
    match sso.begin(local_path(q.next.as_deref())).await {
        Ok((url, started)) => {
            session.insert(FLOW_KEY, started).context("session")?;
            Ok(HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, url)).finish())
        }
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on could not start");
            refused(
                &session,
                StatusCode::BAD_GATEWAY,
                "Single sign-on is not answering",
                format!(
                    "{} is not answering right now. Try again in a moment, or sign in with your password.",
                    sso.settings.display_name
                ),
            )
        }
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The second leg: the provider sends the browser back with a code (or an error).
#[tracing::instrument(skip_all)]
pub async fn callback(
    req: HttpRequest,
    session: Session,
    db: web::Data<Db>,
    sso: web::Data<Configured>,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(sso) = sso.0.as_ref() else { return Err(AppError::NotFound) };
    // One use: whatever happens next, this flow is over.
    let started: Option<Started> = session.remove_as(FLOW_KEY).and_then(Result::ok);
    let started = started.filter(|s| chrono::Utc::now().timestamp() - s.since <= FLOW_SECONDS);
    let q = q.into_inner();
    if let Some(error) = q.error {
        let detail = q.error_description.unwrap_or(error);
        return refused(
            &session,
            StatusCode::UNAUTHORIZED,
            "Single sign-on did not sign you in",
            format!("{} answered: {detail}", sso.settings.display_name),
        );
    }
    let (Some(started), Some(code), Some(state)) = (started, q.code, q.state) else {
        return refused(
            &session,
            StatusCode::BAD_REQUEST,
            "This sign-in has expired",
            "This sign-in link is not the one this browser started, was already used, or is too old. Start again."
                .into(),
        );
    };
    let next = started.next.clone();
    let identity = match sso.finish(started, code, &state).await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on refused");
            let (status, message) = match e {
                SsoError::Unavailable(_) => {
                    (StatusCode::BAD_GATEWAY, format!("{} is not answering right now. Try again.", sso.settings.display_name))
                }
                SsoError::State => (
                    StatusCode::BAD_REQUEST,
                    "This sign-in is not the one this browser started. Start again.".to_string(),
                ),
                SsoError::NoEmail => (
                    StatusCode::FORBIDDEN,
                    format!("{} did not tell us your email, so we cannot tell who you are here.", sso.settings.display_name),
                ),
                SsoError::Token(_) | SsoError::IdToken(_) => (
                    StatusCode::UNAUTHORIZED,
                    "The answer of the identity provider could not be verified, so nobody was signed in. Start again; if it keeps happening, tell an administrator.".to_string(),
                ),
            };
            return refused(&session, status, "Single sign-on did not sign you in", message);
        }
    };
    if !identity.verified {
        return refused(
            &session,
            StatusCode::FORBIDDEN,
            "Email not verified",
            format!(
                "{} has not verified the email {}, so it cannot sign you in here. Verify it there, or sign in with your password.",
                sso.settings.display_name, identity.email
            ),
        );
    }
    let ip = client_ip(&req);
    let jit = sso.settings.jit_role;
    let email = identity.email.clone();
    let given = identity.given_name.clone();
    let family = identity.family_name.clone();
    let matched = db
        .transaction(move |c| {
            Ok(match model::find_by_email(c, &email)? {
                Some(u) if u.is_active() => Matched::User(u.id),
                Some(_) => Matched::Inactive,
                None => match jit {
                    None => Matched::Unknown,
                    Some(role) => {
                        let first = given.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
                        let last = family.unwrap_or_default();
                        match crate::users::provisioning::create_signed_on(c, &email, &first, &last, role, ip.clone())?
                        {
                            Ok(user) => Matched::User(user.id),
                            Err(errors) => Matched::Invalid(errors.describe()),
                        }
                    }
                },
            })
        })
        .await?;
    match matched {
        Matched::User(uid) => {
            super::signed_in(&db, &session, uid, client_ip(&req), "single_sign_on").await?;
            session.insert(ID_TOKEN_KEY, identity.id_token).context("session")?;
            Ok(see_other(&next))
        }
        Matched::Inactive => refused(
            &session,
            StatusCode::FORBIDDEN,
            "Account deactivated",
            "This account is deactivated. Ask an administrator.".into(),
        ),
        Matched::Invalid(why) => refused(
            &session,
            StatusCode::FORBIDDEN,
            "Account not created",
            format!("The identity provider's details cannot make an account here: {why} Ask an administrator."),
        ),
        Matched::Unknown => refused(
            &session,
            StatusCode::FORBIDDEN,
            "No account here",
            format!("No Custodian user has the email {}. Ask an administrator to create your account.", identity.email),
        ),
    }
}

enum Matched {
    User(i64),
    /// Just-in-time creation refused what the provider sent.
    Invalid(String),
    Inactive,
    Unknown,
}
