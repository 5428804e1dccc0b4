//! GET /users/{id}: the user card: details, role, status, presets, overrides, effective
//! permissions, the contacts they reach and why, and the actions the viewer may take.

use crate::access::facts;
use crate::access::reach::Reach;
use crate::accounts::{self as model, User, ACTIVE, DEACTIVATED};
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{store, Perm};
use crate::web::checklist::Checklist;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "users/card.html")]
pub struct CardPage {
    pub layout: Layout,
    pub user: User,
    pub presets: Vec<String>,
    pub grants: Vec<&'static str>,
    pub revokes: Vec<&'static str>,
    pub checklist: Checklist,
    pub can_manage: bool,
    pub can_deactivate: bool,
    pub can_reactivate: bool,
    pub can_delete: bool,
    /// Live sessions of the user, and whether the viewer may end them.
    pub sessions: i64,
    pub can_sign_out: bool,
    /// The user's two-factor, and whether the viewer may reset it (Administrators only).
    pub two_factor: crate::auth::two_factor::Status,
    pub can_reset_two_factor: bool,
    /// The user's audit history, for holders of administration.audit_view (it includes
    /// sign-ins and their addresses).
    pub history: Option<Vec<crate::audit::Row>>,
    /// What contacts the user reaches, path by path (the explainer's other direction).
    pub reach: Reach,
}

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require_any(&[Perm::AdministrationUsersView, Perm::AdministrationUsersManage])?;
    let id = id.into_inner();
    let audit = viewer.has(Perm::AdministrationAuditView);
    let (user, (sources, ends), history, reach, sessions, two_factor) = db
        .run(move |c| {
            let (user, subject) = facts::signed_in(c, id)?.ok_or(AppError::NotFound)?;
            let history = if audit { Some(crate::audit::history(c, "user", id, 30)?) } else { None };
            let sessions = crate::auth::session_store::live_sessions_of(c, id)?;
            let two_factor = crate::auth::two_factor::status(c, id)?;
            let sources = (store::sources(c, id)?, crate::users::draft::preset_ends(c, id)?);
            Ok((user, sources, history, Reach::of(c, &subject)?, sessions, two_factor))
        })
        .await?;
    let manage = viewer.has(Perm::AdministrationUsersManage);
    let other = user.id != viewer.id();
    let effective = sources.effective();
    page(CardPage {
        layout: viewer.layout("/users"),
        // Each with its end, if it has one ("Marketer (until 31 Dec 2026, 17:00 UTC)").
        presets: sources
            .presets
            .iter()
            .map(|(id, n, _)| crate::access::ends::named(n, ends.iter().find(|(p, _)| p == id).and_then(|(_, e)| e.at)))
            .collect(),
        grants: sources.grants.keys(),
        revokes: sources.revokes.keys(),
        checklist: Checklist::view(effective),
        can_manage: manage && user.status != model::DELETED,
        can_deactivate: manage && other && user.status == ACTIVE,
        can_reactivate: manage && user.status == DEACTIVATED,
        can_delete: manage && other && user.status != model::DELETED,
        can_sign_out: manage && other && sessions > 0,
        can_reset_two_factor: manage && other && viewer.subject.administrator && two_factor.enrolled,
        two_factor,
        sessions,
        history,
        reach,
        user,
    })
}
