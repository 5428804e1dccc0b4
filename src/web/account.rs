//! The signed-in user's own account: GET /account, and their two-factor sign-in —
//! POST /account/two-factor/confirm (enrol), /account/two-factor/recovery-codes (replace the
//! recovery codes) and /account/two-factor/disable. Every change is confirmed with a current
//! code, under the sign-in throttle: nobody turns off or re-keys someone's two-factor with a
//! session left open on a desk.

use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::two_factor;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::web::auth::two_factor::{accepted, throttled, Enrolment, RecoveryPage, Refused};
use crate::web::layout::Layout;
use crate::web::respond::{page, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use anyhow::Context;
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    /// The user's role must use two-factor.
    pub required: bool,
    /// Not enrolled: the enrolment form.
    pub enrolment: Option<Enrolment>,
    pub recovery_left: i64,
    pub regenerate_error: Option<String>,
    pub disable_error: Option<String>,
    /// The password form's messages, beside its fields.
    pub password_errors: crate::validation::FieldErrors,
    /// What the user may do: the keys they hold, module by module.
    pub modules: Vec<(&'static crate::permissions::Module, Vec<&'static str>)>,
    pub total: usize,
}

/// The keys of `perms`, module by module (modules the user holds nothing in are left out).
fn granted_by_module(
    perms: crate::permissions::PermSet,
) -> Vec<(&'static crate::permissions::Module, Vec<&'static str>)> {
    crate::permissions::MODULES
        .iter()
        .filter_map(|m| {
            let actions: Vec<&'static str> =
                m.actions.iter().filter(|p| perms.contains(**p)).map(|p| p.action()).collect();
            (!actions.is_empty()).then_some((m, actions))
        })
        .collect()
}

/// Which form of the page a message belongs beside.
enum Beside {
    Enrol,
    Regenerate,
    Disable,
    Password(crate::validation::FieldErrors),
}

async fn account_page(
    viewer: &Viewer,
    db: &Db,
    error: Option<(Beside, String)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (uid, role) = (viewer.id(), viewer.user.role.clone());
    let (st, required) = db
        .transaction(move |c| {
            let st = two_factor::status(c, uid)?;
            Ok((st, two_factor::required_for(c, &role)?))
        })
        .await?;
    let secret = if st.enrolled {
        None
    } else {
        Some(crate::auth::session::enrolment_secret(&viewer.session, uid).context("session")?)
    };
    let (mut enrol_error, mut regenerate_error, mut disable_error) = (None, None, None);
    let mut password_errors = crate::validation::FieldErrors::default();
    match error {
        Some((Beside::Enrol, e)) => enrol_error = Some(e),
        Some((Beside::Regenerate, e)) => regenerate_error = Some(e),
        Some((Beside::Disable, e)) => disable_error = Some(e),
        Some((Beside::Password(errors), _)) => password_errors = errors,
        None => {}
    }
    let enrolment = match secret {
        Some(s) => Some(Enrolment::new(&s, &viewer.user.email, "/account/two-factor/confirm", enrol_error)?),
        None => None,
    };
    render(
        AccountPage {
            layout: viewer.layout("/account"),
            name: viewer.user.display_name(),
            email: viewer.user.email.clone(),
            role: viewer.user.role().label(),
            required,
            enrolment,
            recovery_left: st.recovery_left,
            regenerate_error,
            disable_error,
            password_errors,
            modules: granted_by_module(viewer.perms()),
            total: viewer.perms().len(),
        },
        status,
    )
}

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    account_page(&viewer, &db, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The code check of every change on this page, under the throttle of the user's own email.
async fn with_code<T: Send + 'static>(
    viewer: &Viewer,
    db: &Db,
    check: impl FnOnce(&mut diesel::PgConnection) -> Result<Result<T, &'static str>, AppError> + Send + 'static,
) -> Result<Result<T, Refused>, AppError> {
    let ip = viewer.ip.clone().unwrap_or_default();
    throttled(db, viewer.id(), viewer.user.email.clone(), ip, check).await
}

#[tracing::instrument(skip_all)]
pub async fn confirm(viewer: Viewer, db: web::Data<Db>, form: web::Form<CodeForm>) -> Result<HttpResponse, AppError> {
    let (uid, ip, code) = (viewer.id(), viewer.ip.clone(), form.into_inner().code);
    // The secret this session's page showed; none shown, nothing to confirm.
    let secret = crate::auth::session::shown_enrolment_secret(&viewer.session, uid).unwrap_or_default();
    let outcome = with_code(&viewer, &db, move |c| {
        Ok(match two_factor::confirm(c, uid, &secret, &code)? {
            Some(codes) => {
                audit::Entry::new(Some(uid), "user.two_factor_enrolled", "user", uid).ip(ip).record(c)?;
                Ok(codes)
            }
            None => Err(crate::web::auth::two_factor::WRONG_CODE),
        })
    })
    .await?;
    match outcome {
        Ok(codes) => {
            crate::auth::session::forget_enrolment_secret(&viewer.session);
            page(RecoveryPage { layout: viewer.layout("/account"), codes, next: "/account".into() })
        }
        Err(r) => account_page(&viewer, &db, Some((Beside::Enrol, r.message())), r.status()).await,
    }
}

#[tracing::instrument(skip_all)]
pub async fn recovery_codes(
    viewer: Viewer,
    db: web::Data<Db>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let (uid, ip, code) = (viewer.id(), viewer.ip.clone(), form.into_inner().code);
    let outcome = with_code(&viewer, &db, move |c| {
        Ok(match accepted(two_factor::check(c, uid, &code)?) {
            Ok(_) => {
                let codes = two_factor::new_recovery_codes(c, uid)?;
                audit::Entry::new(Some(uid), "user.two_factor_recovery_codes_renewed", "user", uid).ip(ip).record(c)?;
                Ok(codes)
            }
            Err(why) => Err(why),
        })
    })
    .await?;
    match outcome {
        Ok(codes) => page(RecoveryPage { layout: viewer.layout("/account"), codes, next: "/account".into() }),
        Err(r) => account_page(&viewer, &db, Some((Beside::Regenerate, r.message())), r.status()).await,
    }
}

#[tracing::instrument(skip_all)]
pub async fn disable(viewer: Viewer, db: web::Data<Db>, form: web::Form<CodeForm>) -> Result<HttpResponse, AppError> {
    let (uid, ip, code, role) = (viewer.id(), viewer.ip.clone(), form.into_inner().code, viewer.user.role.clone());
    if db.run(move |c| Ok(two_factor::required_for(c, &role)?)).await? {
        let why = "Your role requires two-factor: it cannot be turned off.".to_string();
        return account_page(&viewer, &db, Some((Beside::Disable, why)), StatusCode::FORBIDDEN).await;
    }
    let outcome = with_code(&viewer, &db, move |c| {
        Ok(match accepted(two_factor::check(c, uid, &code)?) {
            Ok(_) => {
                two_factor::remove(c, uid)?;
                audit::Entry::new(Some(uid), "user.two_factor_disabled", "user", uid).ip(ip).record(c)?;
                Ok(())
            }
            Err(why) => Err(why),
        })
    })
    .await?;
    match outcome {
        Ok(()) => {
            viewer.flash(FlashKind::Success, "Two-factor is off: your password alone signs you in.");
            Ok(see_other("/account"))
        }
        Err(r) => account_page(&viewer, &db, Some((Beside::Disable, r.message())), r.status()).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// POST /account/password: the user's own password (`users::own_password`), the current one
/// checked under the sign-in throttle of their email, as the two-factor changes are.
#[tracing::instrument(skip_all)]
pub async fn change_password(
    viewer: Viewer,
    db: web::Data<Db>,
    form: crate::web::form::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    use crate::users::own_password::{self, Refused as Why};
    let (uid, ip, f) = (viewer.id(), viewer.ip.clone(), form.into_inner());
    let outcome = with_code(&viewer, &db, move |c| {
        Ok(match own_password::change(c, uid, ip, &f.current_password, &f.password, &f.password_confirm)? {
            Err(Why::WrongCurrent) => Err(own_password::WRONG_CURRENT),
            other => Ok(other),
        })
    })
    .await?;
    let beside = |field: &'static str, message: String| {
        let mut errors = crate::validation::FieldErrors::default();
        errors.add(field, message);
        errors
    };
    let errors = match outcome {
        Ok(Ok(_)) => {
            // Every session of the user ended with the change; this one goes on under a new key.
            viewer.session.renew();
            viewer.flash(FlashKind::Success, "Password changed. You were signed out everywhere else.");
            return Ok(see_other("/account"));
        }
        Ok(Err(Why::Invalid(errors))) => errors,
        Ok(Err(Why::SingleSignOnOnly)) => beside("current_password", own_password::SSO_ONLY.into()),
        Ok(Err(Why::WrongCurrent)) => beside("current_password", own_password::WRONG_CURRENT.into()),
        Err(r) => beside("current_password", r.message()),
    };
    account_page(&viewer, &db, Some((Beside::Password(errors), String::new())), StatusCode::UNPROCESSABLE_ENTITY).await
}
