//! The screens: one route table, handlers grouped by resource.

pub mod auth;
pub mod automation;
pub mod dashboard;
pub mod forms;
pub mod health;
pub mod checklist;
pub mod contacts;
pub mod layout;
pub mod notifications;
pub mod presets;
pub mod respond;
pub mod users;

use crate::error::AppError;
use actix_web::web;

/// The route table. Paths are fixed by SPEC section 8.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .service(actix_files::Files::new("/static", concat!(env!("CARGO_MANIFEST_DIR"), "/static")))
        .route("/login", web::get().to(auth::login::show))
        .route("/login", web::post().to(auth::login::submit))
        .route("/logout", web::post().to(auth::login::logout))
        .route("/setup/{token}", web::get().to(auth::setup::show))
        .route("/setup/{token}", web::post().to(auth::setup::submit))
        .route("/", web::get().to(dashboard::show))
        .route("/users", web::get().to(users::list::show))
        .route("/contacts", web::get().to(contacts::list::show))
        .route("/contacts/manage", web::get().to(contacts::manage::form))
        .route("/contacts/manage/preview", web::post().to(contacts::manage::preview))
        .route("/contacts/manage/execute", web::post().to(contacts::manage::execute))
        .route("/contacts/new", web::get().to(contacts::edit::new_form))
        .route("/contacts/new", web::post().to(contacts::edit::create))
        .route("/contacts/{id}", web::get().to(contacts::card::show))
        .route("/contacts/{id}", web::post().to(contacts::edit::update))
        .route("/contacts/{id}/owners", web::post().to(contacts::owners::submit))
        .route("/contacts/{id}/tags", web::post().to(contacts::labels::tags))
        .route("/contacts/{id}/groups", web::post().to(contacts::labels::groups))
        .route("/contacts/{id}/confidential", web::post().to(contacts::labels::confidential))
        .route("/contacts/{id}/delete", web::get().to(contacts::delete::confirm))
        .route("/contacts/{id}/delete", web::post().to(contacts::delete::delete))
        .route("/automation", web::get().to(automation::list::show))
        .route("/automation/new", web::get().to(automation::edit::new_form))
        .route("/automation/new", web::post().to(automation::edit::create))
        .route("/automation/{id}", web::get().to(automation::edit::edit_form))
        .route("/automation/{id}", web::post().to(automation::edit::update))
        .route("/automation/{id}/enabled", web::post().to(automation::flags::enabled))
        .route("/automation/{id}/share", web::post().to(automation::flags::share))
        .route("/automation/{id}/delete", web::get().to(automation::delete::confirm))
        .route("/automation/{id}/delete", web::post().to(automation::delete::delete))
        .route("/notifications", web::get().to(notifications::list))
        .route("/notifications/read", web::post().to(notifications::mark_read))
        .route("/presets", web::get().to(presets::list::show))
        .route("/presets/new", web::get().to(presets::new::show))
        .route("/presets/new", web::post().to(presets::new::submit))
        .route("/presets/compare", web::get().to(presets::compare::show))
        .route("/presets/{id}", web::get().to(presets::show::show))
        .route("/presets/{id}", web::post().to(presets::edit::submit))
        .route("/presets/{id}/rename", web::post().to(presets::rename::submit))
        .route("/presets/{id}/delete", web::get().to(presets::delete::show))
        .route("/presets/{id}/delete", web::post().to(presets::delete::submit))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}
