//! Authentication: passwords, server-side sessions, sign-in throttling and the
//! `Viewer` extractor for the signed-in user.

pub mod password;
pub mod session;
pub mod session_store;
pub mod sign_in;
pub mod sso;
pub mod sso_only;
pub mod throttle;
pub mod two_factor;
pub mod viewer;

pub use viewer::Viewer;
