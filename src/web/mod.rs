//! The screens: one route table, handlers grouped by resource.

pub mod access_groups;
pub mod account;
pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod authzen;
pub mod automation;
pub mod checklist;
pub mod confirm;
pub mod contacts;
pub mod csrf;
pub mod dashboard;
pub mod error_page;
pub mod form;
pub mod forms_admin;
pub mod health;
pub mod imports;
pub mod input;
pub mod layout;
pub mod message_templates;
pub mod notifications;
pub mod numbers;
pub mod outbox;
pub mod presets;
pub mod public_forms;
pub mod respond;
pub mod reviews;
pub mod scim;
pub mod segments;
pub mod send;
pub mod settings;
pub mod spreadsheet;
pub mod teams;
pub mod urls;
pub mod users;

use crate::error::AppError;
use actix_web::web;

/// The route table. Paths are fixed by SPEC section 8. Each resource has its own scope, and
/// numeric ids only match digits (`{id:[0-9]+}`), so `/contacts/manage` and `/contacts/{id}` can
/// never shadow each other, whatever the order in which they are listed.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .route("/login", web::get().to(auth::login::show))
        .route("/login", web::post().to(auth::login::submit))
        .route("/login/sso", web::get().to(auth::sso::start))
        .route("/login/sso/callback", web::get().to(auth::sso::callback))
        .route("/login/two-factor", web::get().to(auth::two_factor::show))
        .route("/login/two-factor", web::post().to(auth::two_factor::submit))
        .route("/login/two-factor/enrol", web::get().to(auth::two_factor::enrol_show))
        .route("/login/two-factor/enrol", web::post().to(auth::two_factor::enrol_submit))
        .route("/logout", web::post().to(auth::login::logout))
        .route("/setup/{token}", web::get().to(auth::setup::show))
        .route("/setup/{token}", web::post().to(auth::setup::submit))
        .route("/", web::get().to(dashboard::show))
        .route("/f/{key}", web::get().to(public_forms::show))
        .route("/f/{key}", web::post().to(public_forms::submit::submit))
        .route("/audit.csv", web::get().to(audit::export::download))
        .service(web::scope("/account").configure(account_routes))
        .service(web::scope("/settings").configure(settings_routes))
        .service(web::scope("/users").configure(users_routes))
        .service(web::scope("/contacts").configure(contacts_routes))
        .service(web::scope("/segments").configure(segments_routes))
        .service(web::scope("/forms").configure(forms_routes))
        .service(web::scope("/automation").configure(automation_routes))
        .service(web::scope("/notifications").configure(notifications_routes))
        .service(web::scope("/presets").configure(presets_routes))
        .service(web::scope("/templates").configure(message_templates_routes))
        .service(web::scope("/send").configure(send_routes))
        .service(web::scope("/outbox").configure(outbox_routes))
        .service(web::scope("/teams").configure(teams_routes))
        .service(web::scope("/reviews").configure(reviews_routes))
        .service(web::scope("/access-groups").configure(access_groups_routes))
        .service(web::scope("/audit").configure(audit_routes))
        .service(web::scope("/api-tokens").configure(api_tokens_routes))
        .configure(api_routes)
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}

/// The signed-in user's own account and two-factor.
fn account_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(account::show))
        .route("/two-factor/confirm", web::post().to(account::confirm))
        .route("/two-factor/recovery-codes", web::post().to(account::recovery_codes))
        .route("/two-factor/disable", web::post().to(account::disable))
        .route("/password", web::post().to(account::change_password));
}

/// Instance-wide settings: the two-factor policy, password sign-in beside single sign-on,
/// user provisioning.
fn settings_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/two-factor", web::get().to(settings::two_factor::show))
        .route("/two-factor", web::post().to(settings::two_factor::save))
        .route("/sign-in", web::get().to(settings::sign_in::show))
        .route("/sign-in", web::post().to(settings::sign_in::save))
        .route("/provisioning", web::get().to(settings::provisioning::show))
        .route("/provisioning", web::post().to(settings::provisioning::save));
}

/// Users: the list, the wizard (new and edit), the card and its lifecycle actions.
fn users_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(users::list::show))
        .route("/pick", web::get().to(users::pick::pick))
        .route("/new", web::get().to(users::wizard_pages::show))
        .route("/new/details", web::post().to(users::wizard_details::submit))
        .route("/new/permissions", web::post().to(users::wizard_permissions::submit))
        .route("/new/save", web::post().to(users::wizard_save::save))
        .route("/new/cancel", web::post().to(users::wizard_save::cancel))
        .route("/new/avatar", web::get().to(users::avatar::preview))
        .route("/{id:[0-9]+}", web::get().to(users::card::show))
        .route("/{id:[0-9]+}/avatar", web::get().to(users::avatar::show))
        .route("/{id:[0-9]+}/edit", web::get().to(users::wizard_pages::show))
        .route("/{id:[0-9]+}/edit/details", web::post().to(users::wizard_details::submit))
        .route("/{id:[0-9]+}/edit/permissions", web::post().to(users::wizard_permissions::submit))
        .route("/{id:[0-9]+}/edit/save", web::post().to(users::wizard_save::save))
        .route("/{id:[0-9]+}/edit/cancel", web::post().to(users::wizard_save::cancel))
        .route("/{id:[0-9]+}/edit/avatar", web::get().to(users::avatar::preview))
        .route("/{id:[0-9]+}/deactivate", web::get().to(users::status::confirm_deactivate))
        .route("/{id:[0-9]+}/deactivate", web::post().to(users::status::deactivate))
        .route("/{id:[0-9]+}/reactivate", web::post().to(users::status::reactivate))
        .route("/{id:[0-9]+}/sign-out", web::post().to(users::status::sign_out))
        .route("/{id:[0-9]+}/two-factor/reset", web::post().to(users::status::reset_two_factor))
        .route("/{id:[0-9]+}/delete", web::get().to(users::delete::show))
        .route("/{id:[0-9]+}/delete", web::post().to(users::delete::submit));
}

/// Contacts: the list, bulk Manage, export, import, and the card with its panels.
fn contacts_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(contacts::list::show))
        .route("/manage", web::get().to(contacts::manage::form))
        .route("/manage/preview", web::post().to(contacts::manage::preview))
        .route("/manage/execute", web::post().to(contacts::manage::execute))
        .route("/manage/runs", web::get().to(contacts::runs::list))
        .route("/manage/runs/{id:[0-9]+}", web::get().to(contacts::manage::run_page))
        .route("/manage/runs/{id:[0-9]+}/progress", web::get().to(contacts::manage::run_progress))
        .route("/manage/runs/{id:[0-9]+}/again", web::post().to(contacts::manage::run_again))
        .route("/manage/runs/{id:[0-9]+}/undo", web::post().to(contacts::manage::run_undo))
        .route("/export.csv", web::get().to(contacts::export::export))
        .route("/import", web::get().to(imports::upload::show))
        .route("/import", web::post().to(imports::upload::upload))
        .route("/import/{id:[0-9]+}", web::get().to(imports::job::show))
        .route("/import/{id:[0-9]+}", web::post().to(imports::job::start))
        .route("/import/{id:[0-9]+}/rejects.csv", web::get().to(imports::job::rejects_csv))
        .route("/import/{id:[0-9]+}/progress", web::get().to(imports::job::progress))
        .route("/new", web::get().to(contacts::edit::new_form))
        .route("/new", web::post().to(contacts::edit::create))
        .route("/{id:[0-9]+}", web::get().to(contacts::card::show))
        .route("/{id:[0-9]+}", web::post().to(contacts::edit::update))
        .route("/{id:[0-9]+}/owners", web::post().to(contacts::owners::submit))
        .route("/{id:[0-9]+}/tags", web::post().to(contacts::labels::tags))
        .route("/{id:[0-9]+}/groups", web::post().to(contacts::labels::groups))
        .route("/{id:[0-9]+}/confidential", web::post().to(contacts::labels::confidential))
        .route("/{id:[0-9]+}/delete", web::get().to(contacts::delete::confirm))
        .route("/{id:[0-9]+}/delete", web::post().to(contacts::delete::delete));
}

/// Segments.
fn segments_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(segments::list))
        .route("", web::post().to(segments::create))
        .route("/{id:[0-9]+}", web::get().to(segments::edit::show))
        .route("/{id:[0-9]+}", web::post().to(segments::edit::update))
        .route("/{id:[0-9]+}/apply", web::post().to(segments::edit::apply))
        .route("/{id:[0-9]+}/delete", web::post().to(segments::edit::delete));
}

/// Public forms, as the console edits them.
fn forms_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(forms_admin::list))
        .route("", web::post().to(forms_admin::create))
        .route("/{id:[0-9]+}", web::get().to(forms_admin::edit))
        .route("/{id:[0-9]+}", web::post().to(forms_admin::update))
        .route("/{id:[0-9]+}/delete", web::post().to(forms_admin::delete));
}

/// Automation rules.
fn automation_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(automation::list::show))
        .route("/new", web::get().to(automation::edit::new_form))
        .route("/new", web::post().to(automation::edit::create))
        .route("/{id:[0-9]+}", web::get().to(automation::edit::edit_form))
        .route("/{id:[0-9]+}", web::post().to(automation::edit::update))
        .route("/{id:[0-9]+}/enabled", web::post().to(automation::flags::enabled))
        .route("/{id:[0-9]+}/share", web::get().to(automation::flags::confirm_share))
        .route("/{id:[0-9]+}/share", web::post().to(automation::flags::share))
        .route("/{id:[0-9]+}/delete", web::get().to(automation::delete::confirm))
        .route("/{id:[0-9]+}/delete", web::post().to(automation::delete::delete));
}

/// Notifications.
fn notifications_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(notifications::list)).route("/read", web::post().to(notifications::mark_read));
}

/// Permission presets.
fn presets_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(presets::list::show))
        .route("/new", web::get().to(presets::new::show))
        .route("/new", web::post().to(presets::new::submit))
        .route("/compare", web::get().to(presets::compare::show))
        .route("/{id:[0-9]+}", web::get().to(presets::show::show))
        .route("/{id:[0-9]+}", web::post().to(presets::edit::submit))
        .route("/{id:[0-9]+}/rename", web::post().to(presets::rename::submit))
        .route("/{id:[0-9]+}/delete", web::get().to(presets::delete::show))
        .route("/{id:[0-9]+}/delete", web::post().to(presets::delete::submit));
}

/// Message templates.
fn message_templates_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(message_templates::list::show))
        .route("", web::post().to(message_templates::new::submit))
        .route("/new", web::get().to(message_templates::new::show))
        .route("/{id:[0-9]+}", web::get().to(message_templates::show::show))
        .route("/{id:[0-9]+}/edit", web::get().to(message_templates::edit::show))
        .route("/{id:[0-9]+}/edit", web::post().to(message_templates::edit::submit))
        .route("/{id:[0-9]+}/delete", web::get().to(message_templates::delete::show))
        .route("/{id:[0-9]+}/delete", web::post().to(message_templates::delete::submit))
        .route("/{id:[0-9]+}/share", web::post().to(message_templates::share::share))
        .route("/{id:[0-9]+}/copy", web::post().to(message_templates::share::copy));
}

/// Sending to an audience.
fn send_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(send::form::show))
        .route("", web::post().to(send::confirm::submit))
        .route("/preview", web::get().to(send::preview::show));
}

/// The outbox of sent batches.
fn outbox_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(outbox::list::show)).route("/{id:[0-9]+}", web::get().to(outbox::batch::show));
}

/// Access reviews.
fn reviews_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(reviews::list))
        .route("", web::post().to(reviews::create))
        .route("/new", web::get().to(reviews::new))
        .route("/{id:[0-9]+}", web::get().to(reviews::show))
        .route("/{id:[0-9]+}/decisions", web::post().to(reviews::decide))
        .route("/{id:[0-9]+}/report", web::get().to(reviews::report));
}

fn teams_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(teams::list::show))
        .route("", web::post().to(teams::create::create))
        .route("/new", web::get().to(teams::create::new))
        .route("/{id:[0-9]+}", web::get().to(teams::edit::show))
        .route("/{id:[0-9]+}", web::post().to(teams::edit::update))
        .route("/{id:[0-9]+}/members", web::post().to(teams::members::add))
        .route("/{id:[0-9]+}/members/{user_id:[0-9]+}/remove", web::get().to(teams::members::confirm_remove))
        .route("/{id:[0-9]+}/members/{user_id:[0-9]+}/remove", web::post().to(teams::members::remove))
        .route("/{id:[0-9]+}/delete", web::get().to(teams::delete::confirm))
        .route("/{id:[0-9]+}/delete", web::post().to(teams::delete::delete));
}

/// Access groups and their grants.
fn access_groups_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(access_groups::list::show))
        .route("", web::post().to(access_groups::create::create))
        .route("/new", web::get().to(access_groups::create::new))
        .route("/{id:[0-9]+}", web::get().to(access_groups::edit::show))
        .route("/{id:[0-9]+}", web::post().to(access_groups::edit::update))
        .route("/{id:[0-9]+}/grants", web::post().to(access_groups::grants::add))
        .route("/{id:[0-9]+}/grants/{grant_id:[0-9]+}", web::post().to(access_groups::grant_edit::change))
        .route("/{id:[0-9]+}/grants/{grant_id:[0-9]+}/remove", web::get().to(access_groups::grant_edit::confirm_remove))
        .route("/{id:[0-9]+}/grants/{grant_id:[0-9]+}/remove", web::post().to(access_groups::grant_edit::remove))
        .route("/{id:[0-9]+}/delete", web::get().to(access_groups::delete::confirm))
        .route("/{id:[0-9]+}/delete", web::post().to(access_groups::delete::delete));
}

/// The audit log (its CSV is `/audit.csv`, beside the scope).
fn audit_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(audit::list::show));
}

/// API tokens.
fn api_tokens_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(api::tokens::show))
        .route("", web::post().to(api::tokens::create))
        .route("/{id:[0-9]+}/revoke", web::post().to(api::tokens::revoke));
}

/// The authorization API (bearer tokens, JSON): Custodian's own, its OpenAPI document, and
/// AuthZEN (with its metadata at the well-known address).
fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/authzen-configuration", web::get().to(authzen::configuration))
        .service(web::scope("/access/v1").configure(authzen_routes).default_service(web::to(authzen::no_such_endpoint)))
        .route("/api/openapi.json", web::get().to(api::openapi::document))
        .service(web::scope("/scim/v2").configure(scim_routes))
        .route("/api/v1/users/{id}/permissions", web::get().to(api::v1::permissions))
        .route("/api/v1/check", web::post().to(api::v1::check))
        .route("/api/{tail:.*}", web::route().to(api::v1::no_such_endpoint));
}

/// AuthZEN 1.0: the evaluations and the three searches; another method on one of them gets
/// a JSON 405 (a route's method guard is its resource's, so the catch-all comes second).
fn authzen_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/evaluation", web::post().to(authzen::evaluation))
        .route("/evaluations", web::post().to(authzen::evaluations))
        .route("/search/subject", web::post().to(authzen::search_subject))
        .route("/search/resource", web::post().to(authzen::search_resource))
        .route("/search/action", web::post().to(authzen::search_action));
    for path in ["/evaluation", "/evaluations", "/search/subject", "/search/resource", "/search/action"] {
        cfg.route(path, web::route().to(authzen::post_only));
    }
}

/// SCIM 2.0: provisioning from the organisation's directory.
fn scim_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ServiceProviderConfig", web::get().to(scim::service_provider_config))
        .route("/ServiceProviderConfig", web::route().to(scim::method_not_allowed))
        .route("/ResourceTypes", web::get().to(scim::resource_types))
        .route("/ResourceTypes", web::route().to(scim::method_not_allowed))
        .route("/ResourceTypes/{id}", web::get().to(scim::resource_type))
        .route("/ResourceTypes/{id}", web::route().to(scim::method_not_allowed))
        .route("/Schemas", web::get().to(scim::schemas))
        .route("/Schemas", web::route().to(scim::method_not_allowed))
        .route("/Schemas/{id}", web::get().to(scim::schema))
        .route("/Schemas/{id}", web::route().to(scim::method_not_allowed))
        .route("/Users", web::get().to(scim::users::search))
        .route("/Users", web::post().to(scim::users::create))
        .route("/Users", web::route().to(scim::method_not_allowed))
        .route("/Users/{id}", web::get().to(scim::users::read))
        .route("/Users/{id}", web::put().to(scim::users::replace))
        .route("/Users/{id}", web::patch().to(scim::users::patch))
        .route("/Users/{id}", web::delete().to(scim::users::delete))
        .route("/Users/{id}", web::route().to(scim::method_not_allowed))
        .route("/Groups", web::get().to(scim::groups::search))
        .route("/Groups", web::post().to(scim::groups::create))
        .route("/Groups", web::route().to(scim::method_not_allowed))
        .route("/Groups/{id}", web::get().to(scim::groups::read))
        .route("/Groups/{id}", web::put().to(scim::groups::replace))
        .route("/Groups/{id}", web::patch().to(scim::groups::patch))
        .route("/Groups/{id}", web::delete().to(scim::groups::delete))
        .route("/Groups/{id}", web::route().to(scim::method_not_allowed))
        .default_service(web::to(scim::no_such_endpoint));
}
