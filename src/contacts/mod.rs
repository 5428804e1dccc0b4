//! Contacts: the record, its owners, tags and groups, and the selection shared by every
//! screen that works on many contacts.

pub mod card;
pub mod events;
pub mod export;
pub mod list;
pub mod model;
pub mod owners;
pub mod selection;

pub use model::{Contact, Fields};
