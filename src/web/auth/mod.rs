//! Sign-in, sign-out and first-start setup screens.

pub mod login;
pub mod setup;
pub mod sso;
pub mod two_factor;
