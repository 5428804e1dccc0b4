//! Instance-wide sign-in settings, for holders of `administration.settings`:
//! - GET/POST /settings/two-factor: which roles must sign in with two-factor. Each role shows
//!   how many of its active users are enrolled, so the consequence of ticking it is visible
//!   before saving;
//! - GET/POST /settings/sign-in (with single sign-on configured): "SSO only", password sign-in
//!   for Administrators alone;
//! - GET/POST /settings/provisioning: SCIM's address, its tokens, the default role of a
//!   provisioned user, the successor of users it deletes, and the last provisioning events.

use crate::auth::two_factor;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Role;
use crate::users::provisioning;
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

pub struct RoleRow {
    pub value: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub users: i64,
    pub enrolled: i64,
}

#[derive(Template)]
#[template(path = "settings/two_factor.html")]
pub struct PolicyPage {
    pub layout: Layout,
    pub roles: Vec<RoleRow>,
    /// Single sign-on is configured: link its settings.
    pub sso: bool,
}

#[tracing::instrument(skip_all)]
pub async fn show(
    viewer: Viewer,
    db: web::Data<Db>,
    sso: web::Data<crate::auth::sso::Configured>,
) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    let (required, counts) = db.run(|c| Ok((two_factor::required_roles(c)?, two_factor::enrolled_by_role(c)?))).await?;
    let roles = Role::ALL
        .into_iter()
        .map(|r| {
            let (users, enrolled) =
                counts.iter().find(|(n, _, _)| n == r.as_str()).map(|(_, u, e)| (*u, *e)).unwrap_or((0, 0));
            RoleRow { value: r.as_str(), label: r.label(), required: required.contains(&r), users, enrolled }
        })
        .collect();
    page(PolicyPage { layout: viewer.layout("/settings/two-factor"), roles, sso: sso.0.is_some() })
}

#[tracing::instrument(skip_all)]
pub async fn save(
    viewer: Viewer,
    db: web::Data<Db>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    let mut roles = Vec::new();
    for (k, v) in form.into_inner().into_iter().filter(|(k, _)| k == "role") {
        let role: Role = v.parse().map_err(|_| AppError::BadRequest(format!("Unknown role in {k}.")))?;
        roles.push(role);
    }
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    db.transaction(move |c| Ok(crate::security_settings::set_two_factor_roles(c, &actor, &who, &roles)?)).await?;
    viewer.flash(crate::auth::session::FlashKind::Success, "The two-factor policy is saved.");
    Ok(see_other("/settings/two-factor"))
}

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
pub async fn sign_in_show(
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
pub async fn sign_in_save(
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

#[derive(Template)]
#[template(path = "settings/provisioning.html")]
pub struct ProvisioningPage {
    pub layout: Layout,
    pub base_url: String,
    pub tokens: Vec<crate::api_tokens::TokenRow>,
    pub form: ProvisioningForm,
    pub errors: crate::validation::FieldErrors,
    pub roles: Vec<Role>,
    pub events: Vec<crate::audit::Row>,
}

/// The page, showing `form` (the stored settings, or a refused submission with `errors`).
async fn provisioning_page(
    req: &actix_web::HttpRequest,
    viewer: &Viewer,
    db: &Db,
    form: Option<ProvisioningForm>,
    errors: crate::validation::FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (tokens, stored, events) = db
        .run(|c| {
            let tokens: Vec<_> = crate::api_tokens::list(c)?
                .into_iter()
                .filter(|t| !t.is_revoked() && t.scopes.iter().any(|s| s == "scim"))
                .collect();
            let stored = ProvisioningForm {
                default_role: provisioning::default_role(c)?.as_str().to_string(),
                delete_successor: provisioning::delete_successor(c)?.map(|u| u.email).unwrap_or_default(),
            };
            Ok((tokens, stored, crate::audit::provisioning_events(c, 20)?))
        })
        .await?;
    let status = if errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    crate::web::respond::render(
        ProvisioningPage {
            layout: viewer.layout("/settings/provisioning"),
            base_url: crate::web::scim::base_url(req),
            tokens,
            form: form.unwrap_or(stored),
            errors,
            roles: Role::ALL.into_iter().filter(|r| *r != Role::Administrator).collect(),
            events,
        },
        status,
    )
}

#[tracing::instrument(skip_all)]
pub async fn provisioning_show(
    req: actix_web::HttpRequest,
    viewer: Viewer,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    provisioning_page(&req, &viewer, &db, None, crate::validation::FieldErrors::default()).await
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct ProvisioningForm {
    #[serde(default)]
    pub default_role: String,
    /// The email of the user who receives what a deleted user owns; empty: DELETE deactivates.
    #[serde(default)]
    pub delete_successor: String,
}

#[tracing::instrument(skip_all)]
pub async fn provisioning_save(
    req: actix_web::HttpRequest,
    viewer: Viewer,
    db: web::Data<Db>,
    form: web::Form<ProvisioningForm>,
) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    let form = form.into_inner();
    let (f, actor, who) = (form.clone(), viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| {
            let mut errors = crate::validation::FieldErrors::default();
            let role = match f.default_role.parse::<Role>() {
                Ok(Role::Administrator) => {
                    errors.add("default_role", "Only an Administrator makes Administrators: choose another role.");
                    None
                }
                Ok(r) => Some(r),
                Err(_) => {
                    errors.add("default_role", "Choose a role.");
                    None
                }
            };
            let successor = if f.delete_successor.trim().is_empty() {
                None
            } else {
                match crate::accounts::active_by_email(c, &f.delete_successor)? {
                    Ok(u) => Some(u),
                    Err(msg) => {
                        errors.add("delete_successor", msg);
                        None
                    }
                }
            };
            let Some(role) = role.filter(|_| errors.is_empty()) else { return Ok(Err(errors)) };
            crate::security_settings::set_provisioning(c, &actor, &who, role, successor.as_ref())?;
            Ok(Ok(()))
        })
        .await?;
    match done {
        Ok(()) => {
            viewer.flash(crate::auth::session::FlashKind::Success, "Provisioning settings saved.");
            Ok(see_other("/settings/provisioning"))
        }
        Err(errors) => provisioning_page(&req, &viewer, &db, Some(form), errors).await,
    }
}
