//! GET/POST /login: sign-in with email and password, throttled per account and per address.
//! A user with two-factor (or whose role requires it) goes on to `/login/two-factor`.

use crate::accounts as model;
use crate::audit;
use crate::auth::password;
use crate::auth::session;
use crate::auth::sso::Configured;
use crate::auth::throttle;
use crate::auth::two_factor;
use crate::auth::viewer::client_ip;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Role;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use crate::web::urls::local_path;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
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

enum Outcome {
    Locked,
    /// Right password, but password sign-in is for Administrators only ("SSO only").
    SsoOnly,
    Failed {
        failures: i32,
    },
    Deactivated,
    Ok {
        user_id: i64,
    },
}

/// Whether a right password leads to the code page (`enrolled`) or to enrolment (`required`).
#[derive(Default)]
struct SecondStep {
    enrolled: bool,
    required: bool,
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

    // Everything the answer may need, in one checkout: the throttle, the user, and what comes
    // after a right password (SSO only; two-factor enrolled or required).
    let sso_configured = sso.0.is_some();
    let (keys, admission, user, sso_only, second_step) = db
        .run({
            let (email, ip) = (email.clone(), ip.clone());
            move |c| {
                let keys = throttle::keys(c, &email, &ip)?;
                // The attempt is counted before anything is checked (`throttle::admit`).
                let admission = throttle::admit(c, &keys)?;
                let user = model::find_by_email(c, &email)?;
                let sso_only = sso_configured && crate::auth::sso_only::is_on(c)?;
                let second_step = match &user {
                    Some(u) => SecondStep {
                        enrolled: two_factor::status(c, u.id)?.enrolled,
                        required: two_factor::required_for(c, &u.role)?,
                    },
                    None => SecondStep::default(),
                };
                Ok((keys, admission, user, sso_only, second_step))
            }
        })
        .await?;
    let outcome = if let throttle::Admission::Admitted { failures, pair } = admission {
        actix_web::rt::time::sleep(throttle::slowdown(failures)).await;
        let password = form.password.clone();
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let ok = web::block(move || match stored {
            Some(h) => password::verify(&password, &h),
            None => password::verify_dummy(&password),
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        match (&user, ok) {
            (Some(u), true) if u.is_active() && sso_only && u.role() != Role::Administrator => Outcome::SsoOnly,
            (Some(u), true) if u.is_active() => Outcome::Ok { user_id: u.id },
            (Some(_), true) => Outcome::Deactivated,
            _ => Outcome::Failed { failures: pair },
        }
    } else {
        Outcome::Locked
    };

    // A right password that signs nobody in yet (a second step) or at all is no failure.
    if matches!(outcome, Outcome::SsoOnly | Outcome::Deactivated)
        || (matches!(outcome, Outcome::Ok { .. }) && (second_step.enrolled || second_step.required))
    {
        let keys = keys.clone();
        db.run(move |c| Ok(throttle::give_back(c, &keys)?)).await?;
    }
    let user_id = user.as_ref().map(|u| u.id);
    let ip_for_audit = Some(ip.clone());
    let result = match outcome {
        Outcome::Ok { user_id } => {
            let SecondStep { enrolled, required } = second_step;
            let next = local_path(form.next.as_deref());
            if enrolled || required {
                // The password alone signs nobody in: the attempt stays counted until the
                // second factor is through, and the session holds only the pending step.
                session::begin_second_step(&session, user_id, &email, &next, !enrolled)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                return Ok(see_other(if enrolled { "/login/two-factor" } else { "/login/two-factor/enrol" }));
            }
            signed_in(&db, &session, user_id, Some(keys), ip_for_audit, "password").await?;
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
            let typed = email.clone();
            // Already counted by `throttle::admit`: only the audit is left to write.
            db.transaction(move |c| {
                audit::Entry::new(
                    user_id,
                    "user.login_failed",
                    "user",
                    user_id.map(|i| i.to_string()).unwrap_or_default(),
                )
                .after(serde_json::json!({ "email": typed }))
                .ip(ip_for_audit)
                .record(c)?;
                Ok(())
            })
            .await?;
            let mut msg = "Email or password is incorrect.".to_string();
            if failures >= throttle::ACCOUNT_LIMIT {
                msg.push_str(
                    " Too many failed attempts: sign-in for this account from your address is paused for a while.",
                );
            }
            (StatusCode::UNPROCESSABLE_ENTITY, msg)
        }
    };
    let page = LoginPage {
        layout: Layout::anonymous(&session),
        email,
        next: local_path(form.next.as_deref()),
        error: Some(result.1),
        sso: sso.display_name(),
    };
    render(page, result.0)
}

/// Completes a sign-in: clears the throttle's `keys` (when the last factor has not already),
/// records it with the way the last factor was given, and signs the session in under a new key.
pub async fn signed_in(
    db: &Db,
    session: &Session,
    user_id: i64,
    keys: Option<throttle::Keys>,
    ip: Option<String>,
    method: &'static str,
) -> Result<(), AppError> {
    db.transaction(move |c| {
        if let Some(keys) = keys {
            throttle::succeeded(c, &keys)?;
        }
        model::record_sign_in(c, user_id)?;
        audit::Entry::new(Some(user_id), "user.login", "user", user_id)
            .after(serde_json::json!({ "method": method }))
            .ip(ip)
            .record(c)?;
        Ok(())
    })
    .await?;
    session::sign_in(session, user_id).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
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
        db.run(move |c| Ok(audit::Entry::new(Some(uid), "user.logout", "user", uid).ip(ip).record(c)?)).await?;
    }
    let id_token: Option<String> = session.get(super::sso::ID_TOKEN_KEY).ok().flatten();
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
