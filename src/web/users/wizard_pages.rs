//! The pages of the user wizard's three steps, their rendering, and GET of any step.

use super::wizard::{authorize, load_or_fresh, Scope, WizardQuery};
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{PermSet, Role};
use crate::users::wizard::{self as state, PresetInfo, UserDraft};
use crate::validation::FieldErrors;
use crate::web::checklist::Checklist;
use crate::web::layout::Layout;
use crate::web::respond::render;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "users/wizard_details.html")]
pub struct DetailsPage {
    pub layout: Layout,
    pub scope: Scope,
    pub s: UserDraft,
    pub errors: FieldErrors,
    pub has_password: bool,
}

#[derive(Template)]
#[template(path = "users/wizard_permissions.html")]
pub struct PermissionsPage {
    pub layout: Layout,
    pub scope: Scope,
    pub s: UserDraft,
    pub presets: Vec<PresetInfo>,
    pub roles: [Role; 6],
    pub checklist: Checklist,
    pub errors: FieldErrors,
    /// Editing oneself: step 2 is shown read-only.
    pub own: bool,
    pub preset_name: String,
}

#[derive(Template)]
#[template(path = "users/wizard_summary.html")]
pub struct SummaryPage {
    pub layout: Layout,
    pub scope: Scope,
    pub s: UserDraft,
    pub preset_names: Vec<String>,
    pub effective: Vec<(&'static str, &'static str)>,
    pub grants: Vec<&'static str>,
    pub revokes: Vec<&'static str>,
    pub error: Option<String>,
}

/// Renders step 1 with a status.
pub fn details_page(
    viewer: &Viewer,
    scope: Scope,
    s: UserDraft,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let has_password = s.password_hash.is_some();
    render(DetailsPage { layout: viewer.layout("/users"), scope, s, errors, has_password }, status)
}

/// Renders step 2 with a status.
pub async fn permissions_page(
    viewer: &Viewer,
    db: &Db,
    scope: Scope,
    s: UserDraft,
    errors: FieldErrors,
    preset_name: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let presets = db.run(|c| Ok(state::all_presets(c)?)).await?;
    let base = state::base_of(&presets, &s.presets);
    let checked = base.union(s.grants()).difference(s.revokes());
    let own = scope.target == Some(viewer.id());
    let checklist = Checklist::new(checked, base, viewer.perms(), own);
    let page = PermissionsPage {
        layout: viewer.layout("/users"),
        scope,
        s,
        presets,
        roles: Role::ALL,
        checklist,
        errors,
        own,
        preset_name,
    };
    render(page, status)
}

/// Renders step 3 with a status.
pub async fn summary_page(
    viewer: &Viewer,
    db: &Db,
    scope: Scope,
    s: UserDraft,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let presets = db.run(|c| Ok(state::all_presets(c)?)).await?;
    let held: Vec<PermSet> = presets.iter().filter(|p| s.presets.contains(&p.id)).map(|p| p.keys).collect();
    let eff = crate::permissions::effective(&held, s.grants(), s.revokes());
    let page = SummaryPage {
        layout: viewer.layout("/users"),
        preset_names: presets
            .iter()
            .filter(|p| s.presets.contains(&p.id))
            .map(|p| crate::access::ends::named(&p.name, s.preset_end(p.id).at))
            .collect(),
        effective: eff.iter().map(|p| (p.key(), p.label())).collect(),
        grants: s.grants().keys(),
        revokes: s.revokes().keys(),
        scope,
        s,
        error,
    };
    render(page, status)
}

/// GET /users/new and /users/{id}/edit (`?w=&step=`): shows a step of the wizard.
#[tracing::instrument(skip_all)]
pub async fn show(
    viewer: Viewer,
    db: web::Data<Db>,
    req: HttpRequest,
    q: web::Query<WizardQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = Scope::of(&req)?;
    authorize(&viewer, &db, &scope).await?;
    let s = load_or_fresh(&viewer, &db, &scope).await?;
    // Later steps only once step 1 passed.
    let step = if s.details_done { q.step.unwrap_or(1).clamp(1, 3) } else { 1 };
    match step {
        1 => details_page(&viewer, scope, s, FieldErrors::default(), StatusCode::OK),
        2 => permissions_page(&viewer, &db, scope, s, FieldErrors::default(), String::new(), StatusCode::OK).await,
        _ => summary_page(&viewer, &db, scope, s, None, StatusCode::OK).await,
    }
}
