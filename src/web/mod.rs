//! The screens: one route table, handlers grouped by resource.

pub mod auth;
pub mod dashboard;
pub mod forms;
pub mod health;
pub mod checklist;
pub mod layout;
pub mod outbox;
pub mod respond;
pub mod send;
pub mod templates;
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
        .route("/templates", web::get().to(templates::list::show))
        .route("/templates", web::post().to(templates::new::submit))
        .route("/templates/new", web::get().to(templates::new::show))
        .route("/templates/{id}", web::get().to(templates::show::show))
        .route("/templates/{id}/edit", web::get().to(templates::edit::show))
        .route("/templates/{id}/edit", web::post().to(templates::edit::submit))
        .route("/templates/{id}/delete", web::get().to(templates::delete::show))
        .route("/templates/{id}/delete", web::post().to(templates::delete::submit))
        .route("/templates/{id}/share", web::post().to(templates::share::share))
        .route("/templates/{id}/copy", web::post().to(templates::share::copy))
        .route("/send", web::get().to(send::form::show))
        .route("/send", web::post().to(send::confirm::submit))
        .route("/send/preview", web::get().to(send::preview::show))
        .route("/outbox", web::get().to(outbox::list::show))
        .route("/outbox/{id}", web::get().to(outbox::batch::show))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}
