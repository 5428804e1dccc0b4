//! Users: the record, its queries and validation of its fields, the wizard's state and its
//! commit, and the account lifecycle (deactivate, reactivate, delete with a successor).

pub mod avatar;
pub mod lifecycle;
pub mod model;
pub mod save;
pub mod validate;
pub mod wizard;

pub use model::User;
