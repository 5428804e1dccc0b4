//! The screens: one route table, handlers grouped by resource.

pub mod access_groups;
pub mod api;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod checklist;
pub mod contacts;
pub mod csrf;
pub mod dashboard;
pub mod error_page;
pub mod export;
pub mod forms;
pub mod forms_admin;
pub mod health;
pub mod imports;
pub mod input;
pub mod layout;
pub mod notifications;
pub mod outbox;
pub mod presets;
pub mod public_forms;
pub mod respond;
pub mod segments;
pub mod send;
pub mod spreadsheet;
pub mod teams;
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
        .route("/contacts", web::get().to(contacts::list::show))
        .route("/contacts/manage", web::get().to(contacts::manage::form))
        .route("/contacts/manage/preview", web::post().to(contacts::manage::preview))
        .route("/contacts/manage/execute", web::post().to(contacts::manage::execute))
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
        .configure(orgs_routes)
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
        .route("/users/{id}/sign-out", web::post().to(users::status::sign_out))
        .route("/users/{id}/delete", web::get().to(users::delete::show))
        .route("/users/{id}/delete", web::post().to(users::delete::submit))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}

/// Teams, access groups, the audit log, API tokens and the authorization API.
fn orgs_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/teams", web::get().to(teams::list::show))
        .route("/teams", web::post().to(teams::create::create))
        .route("/teams/new", web::get().to(teams::create::new))
        .route("/teams/{id}", web::get().to(teams::edit::show))
        .route("/teams/{id}", web::post().to(teams::edit::update))
        .route("/teams/{id}/members", web::post().to(teams::members::add))
        .route("/teams/{id}/members/{user_id}/remove", web::post().to(teams::members::remove))
        .route("/teams/{id}/delete", web::get().to(teams::delete::confirm))
        .route("/teams/{id}/delete", web::post().to(teams::delete::delete))
        .route("/access-groups", web::get().to(access_groups::list::show))
        .route("/access-groups", web::post().to(access_groups::create::create))
        .route("/access-groups/new", web::get().to(access_groups::create::new))
        .route("/access-groups/{id}", web::get().to(access_groups::edit::show))
        .route("/access-groups/{id}", web::post().to(access_groups::edit::update))
        .route("/access-groups/{id}/grants", web::post().to(access_groups::grants::add))
        .route("/access-groups/{id}/grants/{grant_id}", web::post().to(access_groups::grant_edit::change))
        .route("/access-groups/{id}/grants/{grant_id}/remove", web::post().to(access_groups::grant_edit::remove))
        .route("/access-groups/{id}/delete", web::get().to(access_groups::delete::confirm))
        .route("/access-groups/{id}/delete", web::post().to(access_groups::delete::delete))
        .route("/audit", web::get().to(audit::list::show))
        .route("/audit.csv", web::get().to(audit::export::download))
        .route("/api-tokens", web::get().to(api::tokens::show))
        .route("/api-tokens", web::post().to(api::tokens::create))
        .route("/api-tokens/{id}/revoke", web::post().to(api::tokens::revoke))
        .route("/api/v1/users/{id}/permissions", web::get().to(api::v1::permissions))
        .route("/api/v1/check", web::post().to(api::v1::check))
        .route("/api/{tail:.*}", web::route().to(api::v1::no_such_endpoint));
}
