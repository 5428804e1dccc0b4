//! Black-box tests: the real application over HTTP against a real PostgreSQL, plus end-to-end
//! flows in headless Chromium.

mod helpers;

mod access_props;
mod access_rules;
mod auth;
mod contacts;
mod fixtures;
mod browser;
mod outage;
mod imports;
mod forms;
mod segments;
