//! The authorization API for the rest of the CRM (SPEC 7) and the screen that manages its
//! tokens (GET/POST /api-tokens, administration.settings).

pub mod bearer;
pub mod error;
pub mod openapi;
pub mod tokens;
pub mod v1;
