//! Black-box tests: the real application over HTTP against a real PostgreSQL, plus end-to-end
//! flows in headless Chromium.

mod helpers;

mod auth;
mod browser;
mod outage;
mod users;
mod users_browser;
