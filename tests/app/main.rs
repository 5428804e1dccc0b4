//! Black-box tests: the real application over HTTP against a real PostgreSQL, plus end-to-end
//! flows in headless Chromium.

// A panic is how a test fails: unwrapping is the point here.
#![allow(clippy::unwrap_used)]

mod grant_props;
mod helpers;

mod access_props;
mod access_rules;
mod api;
mod architecture;
mod auth;
mod authzen;
mod authzen_certification;
mod authzen_props;
mod automation;
mod browser;
mod console;
mod contacts;
mod ending;
mod ending_props;
mod entry_points;
mod fixtures;
mod forms;
mod imports;
mod jobs;
mod malformed;
mod manage;
mod manage_previews;
mod manage_props;
mod orgs;
mod outage;
mod presets;
mod presets_browser;
mod reviews;
mod scim;
mod scim_groups;
mod screens;
mod security;
mod segments;
mod send;
mod sso;
mod templates;
mod two_factor;
mod users;
mod users_browser;
