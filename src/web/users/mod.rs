//! User screens: list, wizard, card, delete.

pub mod list;
