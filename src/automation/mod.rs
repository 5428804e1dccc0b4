//! Automation rules (SPEC screen 14): owned by their creator; a trigger (contact created, tag
//! added, form submitted, imported), conditions and one action (set main owner, add
//! co-owner, add tag, add access group). An unshared rule acts only on contacts its owner can
//! act on; a shared rule's tag actions reach all contacts but confidential ones, while owner and
//! access-group actions apply only where the owner could make them by hand (`access::escalation`).
//!
//! - [`model`]: the rule record, its form and validation, storage.
//! - [`list`]: the rules a user sees.
//! - [`fire()`]: running the rules after a contact event (registered in
//!   `events::after`).

pub mod fire;
pub mod list;
pub mod model;

pub use fire::fire;
pub use model::{Rule, RuleForm};
