//! Permissions (SPEC 2): the catalog, roles, permission sets and presets.

pub mod catalog;
pub mod presets;
pub mod roles;
pub mod set;
pub mod store;

pub use catalog::{Module, Perm, MODULES};
pub use roles::Role;
pub use set::{effective, PermSet};
