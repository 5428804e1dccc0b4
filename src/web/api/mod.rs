//! The authorization API for the rest of the CRM (SPEC 7) and the screen that manages its
//! tokens (GET/POST /api-tokens, administration.settings).

pub mod bearer;
pub mod error;
pub mod examples;
pub mod openapi;
pub mod tokens;
pub mod v1;

/// Whether `path` belongs to a JSON API (Custodian's, AuthZEN's or SCIM's): such requests carry
/// a bearer token rather than a session (so no CSRF token), and every answer to them is JSON.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/access/v1/") || path.starts_with("/scim/")
}
