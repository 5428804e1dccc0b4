//! GET/POST /login: sign-in with email and password, throttled per account and per address.
//! A user with two-factor (or whose role requires it) goes on to `/login/two-factor`.

use crate::auth::sign_in::{self, Outcome};
use crate::auth::sso::Configured;
use crate::auth::viewer::client_ip;
use crate::auth::{password, session, throttle};
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

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    /// "Sign in with <name>", when single sign-on is configured.
    pub sso: Option<String>,
}

impl LoginPage {
    /// The single sign-on start, keeping where to go after.
    pub fn sso_href(&self) -> String {
        format!("/login/sso?next={}", crate::web::urls::url_encode(&self.next))
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Shows the sign-in form (or goes home when already signed in).
#[tracing::instrument(skip_all)]
pub async fn show(
    session: Session,
    sso: web::Data<Configured>,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if session::user_id(&session).is_some() {
        return Ok(see_other("/"));
    }
    let page = LoginPage {
        layout: Layout::anonymous(&session),
        email: String::new(),
        next: local_path(q.next.as_deref()),
        error: None,
        sso: sso.display_name(),
    };
    render(page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Checks the credentials; on success renews the session and redirects.
#[tracing::instrument(skip_all, fields(email = %form.email))]
pub async fn submit(
    req: HttpRequest,
    session: Session,
    db: web::Data<Db>,
    sso: web::Data<Configured>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let ip = client_ip(&req).unwrap_or_default();
    let email = form.email.trim().to_string();

    // The attempt is counted before anything is checked, in one checkout with everything the
    // answer may need.
    let sso_configured = sso.0.is_some();
    let attempt = db
        .run({
            let (email, ip) = (email.clone(), ip.clone());
            move |c| Ok(sign_in::attempt(c, &email, &ip, sso_configured)?)
        })
        .await?;
    let right = match attempt.admission {
        throttle::Admission::Admitted { failures, .. } => {
            actix_web::rt::time::sleep(throttle::slowdown(failures)).await;
            let password = form.password.clone();
            let stored = attempt.user.as_ref().map(|u| u.password_hash.clone());
            web::block(move || match stored {
                Some(h) => password::verify(&password, &h),
                None => password::verify_dummy(&password),
            })
            .await
            .context("password check")?
        }
        throttle::Admission::Locked => false,
    };
    let (typed, audit_ip) = (email.clone(), Some(ip.clone()));
    let outcome = db.transaction(move |c| Ok(sign_in::conclude(c, &attempt, right, &typed, audit_ip)?)).await?;
    let next = local_path(form.next.as_deref());
    let (status, error) = match outcome {
        Outcome::SecondStep { user_id, enrol } => {
            // The password alone signs nobody in: the session holds only the pending step.
            session::begin_second_step(&session, user_id, &email, &next, enrol).context("session")?;
            return Ok(see_other(if enrol { "/login/two-factor/enrol" } else { "/login/two-factor" }));
        }
        Outcome::SignedIn { user_id } => {
            session::sign_in(&session, user_id).context("session")?;
            return Ok(see_other(&next));
        }
        Outcome::Locked => {
            let minutes = throttle::LOCK_MINUTES;
            (
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed sign-in attempts. Sign-in is paused for up to {minutes} minutes; try again later."
                ),
            )
        }
        Outcome::SsoOnly => (
            StatusCode::FORBIDDEN,
            format!(
                "Password sign-in is off for your account: use “Sign in with {}”.",
                sso.display_name().unwrap_or_default()
            ),
        ),
        Outcome::Deactivated => {
            (StatusCode::UNPROCESSABLE_ENTITY, "This account is deactivated. Ask an administrator.".into())
        }
        Outcome::Failed { failures } => {
            let mut msg = "Email or password is incorrect.".to_string();
            if failures >= throttle::ACCOUNT_LIMIT {
                msg.push_str(
                    " Too many failed attempts: sign-in for this account from your address is paused for a while.",
                );
            }
            (StatusCode::UNPROCESSABLE_ENTITY, msg)
        }
    };
    let page =
        LoginPage { layout: Layout::anonymous(&session), email, next, error: Some(error), sso: sso.display_name() };
    render(page, status)
}

/// The page after signing out of a session that came through single sign-on, offering to sign
/// out of the provider too.
#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage {
    pub layout: Layout,
    pub provider: String,
    pub logout_url: String,
}

/// POST /logout: ends the session (its row is deleted) and records it. After a single sign-on,
/// where the provider advertises RP-initiated logout, offers to sign out there too.
#[tracing::instrument(skip_all)]
pub async fn logout(
    req: HttpRequest,
    session: Session,
    db: web::Data<Db>,
    sso: web::Data<Configured>,
) -> Result<HttpResponse, AppError> {
    if let Some(uid) = session::user_id(&session) {
        let ip = client_ip(&req);
        db.run(move |c| Ok(sign_in::signed_out(c, uid, ip)?)).await?;
    }
    let id_token: Option<String> = session.get(crate::auth::session::ID_TOKEN_KEY).ok().flatten();
    session::sign_out(&session);
    if let (Some(sso), Some(token)) = (sso.0.as_ref(), id_token) {
        if let Some(logout_url) = sso.logout_url(&token, &sso.after_logout()).await {
            let page =
                SignedOutPage { layout: Layout::bare(), provider: sso.settings.display_name.clone(), logout_url };
            return render(page, StatusCode::OK);
        }
    }
    Ok(see_other("/login"))
}
