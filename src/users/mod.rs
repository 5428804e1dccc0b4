//! Users: validation of the account's fields, the wizard's state and its
//! commit, and the account lifecycle (deactivate, reactivate, delete with a successor).

pub mod avatar;
pub mod draft;
pub mod holdings;
pub mod lifecycle;
pub mod own_password;
pub mod provisioning;
pub mod save;
pub mod setup;
pub mod validate;
pub mod wizard;

// The user record and its queries are `crate::accounts` (below `access`, which reads it).
