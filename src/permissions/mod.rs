//! Permissions (SPEC 2): the catalog, roles, permission sets, and loading a user's presets
//! and overrides (`store`). Managing presets is the domain module `presets`.

pub mod catalog;
pub mod roles;
pub mod set;
pub mod store;

pub use catalog::{Module, Perm, MODULES};
pub use roles::Role;
pub use set::{effective, PermSet};
