//! GET/POST /settings/two-factor: which roles must sign in with two-factor. Each role shows how
//! many of its active users are enrolled, so the consequence of ticking it is visible before
//! saving.

use crate::auth::two_factor;
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Role;
use crate::web::form::Form;
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

/// The policy as sent: the ticked roles.
#[derive(serde::Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    role: Vec<String>,
}

#[tracing::instrument(skip_all)]
pub async fn save(viewer: Viewer, db: web::Data<Db>, form: Form<PolicyForm>) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    let mut roles = Vec::new();
    for v in form.into_inner().role {
        let role: Role = v.parse().map_err(|_| AppError::BadRequest(format!("Unknown role {v:?}.")))?;
        roles.push(role);
    }
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    db.transaction(move |c| Ok(crate::security_settings::set_two_factor_roles(c, &actor, &who, &roles)?)).await?;
    viewer.flash(crate::auth::session::FlashKind::Success, "The two-factor policy is saved.");
    Ok(see_other("/settings/two-factor"))
}
