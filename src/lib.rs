//! Custodian: the access-control console of a CRM.
//!
//! `startup` builds the application; `permissions` owns the catalog and presets; `access`
//! owns SPEC section 3 (who may do what with a contact); `web` holds the screens.

pub mod access;
pub mod access_groups;
pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod bulk;
pub mod config;
pub mod contacts;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod expiry;
pub mod imports;
pub mod jobs;
pub mod messaging;
pub mod notifications;
pub mod numbers;
pub mod permissions;
pub mod presets;
pub mod public_forms;
pub mod reviews;
pub mod scim;
pub mod security_settings;
pub mod segments;
pub mod start;
pub mod startup;
pub mod teams;
pub mod telemetry;
pub mod users;
pub mod validation;
pub mod web;
