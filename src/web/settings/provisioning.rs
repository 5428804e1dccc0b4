//! GET/POST /settings/provisioning: SCIM's address, its tokens, the default role of a
//! provisioned user, the successor of users it deletes, and the last provisioning events.

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Role;
use crate::users::provisioning;
use crate::web::layout::Layout;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use askama::Template;

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
pub async fn show(req: actix_web::HttpRequest, viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
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
pub async fn save(
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
