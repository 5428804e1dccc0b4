//! The screens: one route table, handlers grouped by resource.

pub mod auth;
pub mod dashboard;
pub mod export;
pub mod forms_admin;
pub mod imports;
pub mod public_forms;
pub mod segments;
pub mod forms;
pub mod health;
pub mod checklist;
pub mod contacts;
pub mod layout;
pub mod notifications;
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
        .route("/contacts/export.csv", web::get().to(export::export))
        .route("/contacts/import", web::get().to(imports::upload::show))
        .route("/contacts/import", web::post().to(imports::upload::upload))
        .route("/contacts/import/{id}", web::get().to(imports::job::show))
        .route("/contacts/import/{id}", web::post().to(imports::job::start))
        .route("/contacts/import/{id}/rejects.csv", web::get().to(imports::job::rejects_csv))
        .route("/segments", web::get().to(segments::list))
        .route("/segments", web::post().to(segments::create))
        .route("/segments/{id}", web::get().to(segments::edit::show))
        .route("/segments/{id}", web::post().to(segments::edit::update))
        .route("/segments/{id}/apply", web::post().to(segments::edit::apply))
        .route("/segments/{id}/delete", web::post().to(segments::edit::delete))
        .route("/forms", web::get().to(forms_admin::list))
        .route("/forms", web::post().to(forms_admin::create))
        .route("/forms/{id}", web::get().to(forms_admin::edit))
        .route("/forms/{id}", web::post().to(forms_admin::update))
        .route("/forms/{id}/delete", web::post().to(forms_admin::delete))
        .route("/f/{key}", web::get().to(public_forms::show))
        .route("/f/{key}", web::post().to(public_forms::submit::submit))
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
        .route("/notifications", web::get().to(notifications::list))
        .route("/notifications/read", web::post().to(notifications::mark_read))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}
