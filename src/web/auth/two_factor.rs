//! The second step of a sign-in: GET/POST /login/two-factor (a code from the authenticator app
//! or a recovery code) and GET/POST /login/two-factor/enrol (for a user whose role requires
//! two-factor and who has none yet). Both are reachable only with the pending step the password
//! left in the session; the session is signed in — under a new key — only when they succeed.
//! Wrong codes count against the same throttle as wrong passwords.

use crate::audit;
use crate::auth::session::{self, Pending};
use crate::auth::two_factor::{self, Checked};
use crate::auth::viewer::client_ip;
use crate::auth::{sign_in, throttle};
use crate::db::Db;
use crate::error::AppError;
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context;
use askama::Template;
use diesel::PgConnection;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "two_factor/code.html")]
pub struct CodePage {
    pub layout: Layout,
    pub error: Option<String>,
}

/// The enrolment form: the picture, the secret as text, and the field for the first code.
pub struct Enrolment {
    pub qr_svg: String,
    pub secret: String,
    /// Where the first code is posted.
    pub action: &'static str,
    pub error: Option<String>,
}

impl Enrolment {
    /// The enrolment of `secret` for `account` (the user's email, as apps show it).
    pub fn new(
        secret: &str,
        account: &str,
        action: &'static str,
        error: Option<String>,
    ) -> Result<Enrolment, AppError> {
        let url = two_factor::otpauth_url(secret, account)
            .ok_or_else(|| anyhow::anyhow!("the stored two-factor secret is not valid base32"))?;
        let qr_svg = two_factor::qr_svg(&url).ok_or_else(|| anyhow::anyhow!("QR code too large"))?;
        Ok(Enrolment { qr_svg, secret: two_factor::grouped(secret), action, error })
    }
}

#[derive(Template)]
#[template(path = "two_factor/enrol.html")]
pub struct EnrolPage {
    pub layout: Layout,
    pub enrolment: Enrolment,
}

/// Recovery codes, shown once.
#[derive(Template)]
#[template(path = "two_factor/recovery.html")]
pub struct RecoveryPage {
    pub layout: Layout,
    pub codes: Vec<String>,
    pub next: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// Why a code was not taken.
pub enum Refused {
    /// Too many failures: the throttle's lock is on.
    Locked,
    /// The code was wrong (or already used); the message says which.
    Wrong(&'static str),
}

impl Refused {
    pub fn message(&self) -> String {
        match self {
            Refused::Locked => format!(
                "Too many failed attempts. Sign-in is paused for up to {} minutes; try again later.",
                throttle::LOCK_MINUTES
            ),
            Refused::Wrong(why) => (*why).to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Refused::Locked => StatusCode::TOO_MANY_REQUESTS,
            Refused::Wrong(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

pub const WRONG_CODE: &str = "That code is not valid. Type the 6 digits your app shows now, or a recovery code.";
pub const REPLAYED_CODE: &str = "That code was already used. Wait for the next one your app shows.";

/// Checks a code under the sign-in throttle of (`email`, `ip`): the attempt is counted before
/// anything else (`throttle::admit`, so parallel attempts cannot pass the limit), refused at
/// once while locked, slowed down after failures; a failure is audited, a success takes the
/// count back. `check` decides, in the same transaction as the bookkeeping: `Ok(value)` when
/// the code is accepted.
pub async fn throttled<T: Send + 'static>(
    db: &Db,
    user_id: i64,
    email: String,
    ip: String,
    check: impl FnOnce(&mut PgConnection) -> Result<Result<T, &'static str>, AppError> + Send + 'static,
) -> Result<Result<T, Refused>, AppError> {
    let audit_ip = Some(ip.clone()).filter(|s| !s.is_empty());
    let (keys, admission) = db.run(move |c| Ok(sign_in::second_step_attempt(c, user_id, &email, &ip)?)).await?;
    let throttle::Admission::Admitted { failures, .. } = admission else { return Ok(Err(Refused::Locked)) };
    actix_web::rt::time::sleep(throttle::slowdown(failures)).await;
    db.transaction(move |c| {
        let checked = check(c)?;
        sign_in::second_step_checked(c, &keys, user_id, checked.is_ok(), audit_ip)?;
        Ok(checked.map_err(Refused::Wrong))
    })
    .await
}

/// What a checked code means for a sign-in (or a change on the account page).
pub fn accepted(checked: Checked) -> Result<Checked, &'static str> {
    match checked {
        Checked::Code | Checked::Recovery { .. } => Ok(checked),
        Checked::Replayed => Err(REPLAYED_CODE),
        Checked::Invalid => Err(WRONG_CODE),
    }
}

/// Where a request for one of the two pages goes instead, when the pending sign-in is not
/// for it: back to the password without one, to the other page when it is the other step's.
fn elsewhere(pending: &Option<Pending>, enrol_page: bool) -> Option<HttpResponse> {
    match pending {
        None => Some(see_other("/login")),
        Some(p) if p.enrol && !enrol_page => Some(see_other("/login/two-factor/enrol")),
        Some(p) if !p.enrol && enrol_page => Some(see_other("/login/two-factor")),
        Some(_) => None,
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(session: Session) -> Result<HttpResponse, AppError> {
    if let Some(to) = elsewhere(&session::pending(&session), false) {
        return Ok(to);
    }
    page(CodePage { layout: Layout::anonymous(&session), error: None })
}

/// The pending sign-in one of the two pages serves, its user still active (a
/// deactivation between the two steps counts); otherwise where the browser goes instead.
async fn pending_for(session: &Session, db: &Db, enrol_page: bool) -> Result<Result<Pending, HttpResponse>, AppError> {
    let pending = session::pending(session);
    if let Some(to) = elsewhere(&pending, enrol_page) {
        return Ok(Err(to));
    }
    let Some(pending) = pending else { return Ok(Err(see_other("/login"))) };
    let uid = pending.user_id;
    if !db.run(move |c| Ok(crate::accounts::find(c, uid)?.is_some_and(|u| u.is_active()))).await? {
        session::sign_out(session);
        return Ok(Err(see_other("/login")));
    }
    Ok(Ok(pending))
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    session: Session,
    db: web::Data<Db>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let pending = match pending_for(&session, &db, false).await? {
        Ok(p) => p,
        Err(to) => return Ok(to),
    };
    let ip = client_ip(&req).unwrap_or_default();
    let (uid, code) = (pending.user_id, form.into_inner().code);
    let outcome = throttled(&db, uid, pending.email.clone(), ip.clone(), move |c| {
        Ok(accepted(two_factor::check(c, uid, &code)?))
    })
    .await?;
    match outcome {
        Ok(checked) => {
            let method = match checked {
                Checked::Recovery { left } => {
                    let ip = Some(ip.clone());
                    db.run(move |c| {
                        Ok(audit::Entry::new(Some(uid), "user.two_factor_recovery_used", "user", uid)
                            .after(serde_json::json!({ "left": left }))
                            .ip(ip)
                            .record(c)?)
                    })
                    .await?;
                    "recovery_code"
                }
                _ => "two_factor",
            };
            super::signed_in(&db, &session, uid, Some(ip), method).await?;
            if let Checked::Recovery { left } = checked {
                session::flash(
                    &session,
                    session::FlashKind::Info,
                    format!("You signed in with a recovery code; {left} left. New ones are on your account page."),
                );
            }
            Ok(see_other(&pending.next))
        }
        Err(refused) => {
            render(CodePage { layout: Layout::anonymous(&session), error: Some(refused.message()) }, refused.status())
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn enrol_show(session: Session, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let pending = match pending_for(&session, &db, true).await? {
        Ok(p) => p,
        Err(to) => return Ok(to),
    };
    enrol_page(&session, &db, &pending, None, StatusCode::OK).await
}

async fn enrol_page(
    session: &Session,
    db: &Db,
    pending: &Pending,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let uid = pending.user_id;
    let (enrolled, email) = db
        .run(move |c| {
            let user = crate::accounts::find(c, uid)?.ok_or(AppError::NotFound)?;
            Ok((two_factor::status(c, uid)?.enrolled, user.email))
        })
        .await?;
    if enrolled {
        // Enrolled meanwhile (another tab): the code page takes over.
        session::begin_second_step(session, uid, &pending.email, &pending.next, false).context("session")?;
        return Ok(see_other("/login/two-factor"));
    }
    let secret = session::enrolment_secret(session, uid).context("session")?;
    let enrolment = Enrolment::new(&secret, &email, "/login/two-factor/enrol", error)?;
    render(EnrolPage { layout: Layout::anonymous(session), enrolment }, status)
}

#[tracing::instrument(skip_all)]
pub async fn enrol_submit(
    req: HttpRequest,
    session: Session,
    db: web::Data<Db>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let pending = match pending_for(&session, &db, true).await? {
        Ok(p) => p,
        Err(to) => return Ok(to),
    };
    let ip = client_ip(&req).unwrap_or_default();
    let (uid, code) = (pending.user_id, form.into_inner().code);
    let audit_ip = Some(ip.clone());
    let secret = session::shown_enrolment_secret(&session, uid).unwrap_or_default();
    let outcome = throttled(&db, uid, pending.email.clone(), ip.clone(), move |c| {
        Ok(match two_factor::confirm(c, uid, &secret, &code)? {
            Some(codes) => {
                audit::Entry::new(Some(uid), "user.two_factor_enrolled", "user", uid).ip(audit_ip).record(c)?;
                Ok(codes)
            }
            None => Err(WRONG_CODE),
        })
    })
    .await?;
    match outcome {
        Ok(codes) => {
            session::forget_enrolment_secret(&session);
            super::signed_in(&db, &session, uid, Some(ip), "two_factor").await?;
            page(RecoveryPage { layout: Layout::anonymous(&session), codes, next: pending.next })
        }
        Err(refused) => enrol_page(&session, &db, &pending, Some(refused.message()), refused.status()).await,
    }
}
