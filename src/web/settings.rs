//! Instance-wide sign-in settings, for holders of `administration.settings`:
//! - GET/POST /settings/two-factor: which roles must sign in with two-factor. Each role shows
//!   how many of its active users are enrolled, so the consequence of ticking it is visible
//!   before saving;
//! - GET/POST /settings/sign-in (with single sign-on configured): "SSO only", password sign-in
//!   for Administrators alone.

use crate::audit;
use crate::auth::two_factor;
use crate::auth::Viewer;
use crate::db::schema::{two_factor as tf, users};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{Perm, Role};
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

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
    viewer.require(Perm::AdministrationSettings)?;
    let (required, counts) = db
        .run(|c| {
            let counts: Vec<(String, i64, i64)> = users::table
                .left_join(tf::table.on(tf::user_id.eq(users::id).and(tf::confirmed_at.is_not_null())))
                .filter(users::status.eq(crate::accounts::ACTIVE))
                .group_by(users::role)
                .select((users::role, diesel::dsl::count(users::id), diesel::dsl::count(tf::user_id.nullable())))
                .load(c)?;
            Ok((two_factor::required_roles(c)?, counts))
        })
        .await?;
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
    viewer.require(Perm::AdministrationSettings)?;
    let mut roles = Vec::new();
    for (k, v) in form.into_inner().into_iter().filter(|(k, _)| k == "role") {
        let role: Role = v.parse().map_err(|_| AppError::BadRequest(format!("Unknown role in {k}.")))?;
        roles.push(role);
    }
    let (uid, ip) = (viewer.id(), viewer.ip.clone());
    db.transaction(move |c| {
        let before: Vec<&str> = two_factor::required_roles(c)?.into_iter().map(Role::as_str).collect();
        two_factor::set_required_roles(c, &roles)?;
        let after: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        audit::Entry::new(Some(uid), "settings.two_factor_roles", "settings", "two_factor")
            .before(serde_json::json!({ "roles": before }))
            .after(serde_json::json!({ "roles": after }))
            .ip(ip)
            .record(c)?;
        Ok(())
    })
    .await?;
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
    viewer.require(Perm::AdministrationSettings)?;
    let provider = sso.display_name().ok_or(AppError::NotFound)?;
    let (sso_only, affected) = db
        .run(|c| {
            let affected = users::table
                .filter(users::status.eq(crate::accounts::ACTIVE))
                .filter(users::role.ne(Role::Administrator.as_str()))
                .count()
                .get_result(c)?;
            Ok((crate::auth::sso_only::is_on(c)?, affected))
        })
        .await?;
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
    viewer.require(Perm::AdministrationSettings)?;
    sso.display_name().ok_or(AppError::NotFound)?;
    let on = form.sso_only.is_some();
    let (uid, ip) = (viewer.id(), viewer.ip.clone());
    db.transaction(move |c| {
        let before = crate::auth::sso_only::is_on(c)?;
        crate::auth::sso_only::set(c, on)?;
        audit::Entry::new(Some(uid), "settings.sso_only", "settings", "sign_in")
            .before(serde_json::json!({ "sso_only": before }))
            .after(serde_json::json!({ "sso_only": on }))
            .ip(ip)
            .record(c)?;
        Ok(())
    })
    .await?;
    let msg = if on {
        "Password sign-in is now for Administrators only; everyone else signs in with single sign-on."
    } else {
        "Everyone can sign in with a password again."
    };
    viewer.flash(crate::auth::session::FlashKind::Success, msg);
    Ok(see_other("/settings/sign-in"))
}
