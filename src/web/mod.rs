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
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}
