//! Black-box tests: the real application over HTTP against a real PostgreSQL, plus end-to-end
//! flows in headless Chromium.

mod helpers;

mod access_props;
mod access_rules;
mod auth;
mod automation;
mod contacts;
mod fixtures;
mod manage;
mod browser;
mod outage;
mod presets;
mod presets_browser;
mod orgs;
mod api;
mod send;
mod templates;
mod users;
mod users_browser;
mod imports;
mod forms;
mod segments;
