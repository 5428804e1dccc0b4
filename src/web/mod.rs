//! The screens: one route table, handlers grouped by resource.

pub mod auth;
pub mod dashboard;
pub mod forms;
pub mod health;
pub mod checklist;
pub mod layout;
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
        .route("/users/new", web::get().to(users::wizard::show))
        .route("/users/new/details", web::post().to(users::wizard_details::submit))
        .route("/users/new/permissions", web::post().to(users::wizard_permissions::submit))
        .route("/users/new/save", web::post().to(users::wizard_save::save))
        .route("/users/new/cancel", web::post().to(users::wizard_save::cancel))
        .route("/users/new/avatar", web::get().to(users::avatar::preview))
        .route("/users/{id}", web::get().to(users::card::show))
        .route("/users/{id}/avatar", web::get().to(users::avatar::show))
        .route("/users/{id}/edit", web::get().to(users::wizard::show))
        .route("/users/{id}/edit/details", web::post().to(users::wizard_details::submit))
        .route("/users/{id}/edit/permissions", web::post().to(users::wizard_permissions::submit))
        .route("/users/{id}/edit/save", web::post().to(users::wizard_save::save))
        .route("/users/{id}/edit/cancel", web::post().to(users::wizard_save::cancel))
        .route("/users/{id}/edit/avatar", web::get().to(users::avatar::preview))
        .route("/users/{id}/deactivate", web::post().to(users::status::deactivate))
        .route("/users/{id}/reactivate", web::post().to(users::status::reactivate))
        .route("/users/{id}/delete", web::get().to(users::delete::show))
        .route("/users/{id}/delete", web::post().to(users::delete::submit))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}
