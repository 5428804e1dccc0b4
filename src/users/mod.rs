//! Users: the record, its queries and validation of its fields.

pub mod model;
pub mod validate;

pub use model::User;
