//! GET/POST /settings/sign-in (with single sign-on configured): "SSO only", password sign-in
//! for Administrators alone.

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "settings/sign_in.html")]
pub struct SignInPage {
    pub layout: Layout,
    pub provider: String,
    pub sso_only: bool,
    /// Active users who would lose password sign-in.
    pub affected: i64,
}

#[tracing::instrument(skip_all)]
pub async fn show(
    viewer: Viewer,
    db: web::Data<Db>,
    sso: web::Data<crate::auth::sso::Configured>,
) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    let provider = sso.display_name().ok_or(AppError::NotFound)?;
    let (sso_only, affected) =
        db.run(|c| Ok((crate::auth::sso_only::is_on(c)?, crate::auth::sso_only::affected(c)?))).await?;
    page(SignInPage { layout: viewer.layout("/settings/sign-in"), provider, sso_only, affected })
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    sso_only: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn save(
    viewer: Viewer,
    db: web::Data<Db>,
    sso: web::Data<crate::auth::sso::Configured>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    sso.display_name().ok_or(AppError::NotFound)?;
    let on = form.sso_only.is_some();
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    db.transaction(move |c| Ok(crate::security_settings::set_sso_only(c, &actor, &who, on)?)).await?;
    let msg = if on {
        "Password sign-in is now for Administrators only; everyone else signs in with single sign-on."
    } else {
        "Everyone can sign in with a password again."
    };
    viewer.flash(crate::auth::session::FlashKind::Success, msg);
    Ok(see_other("/settings/sign-in"))
}
