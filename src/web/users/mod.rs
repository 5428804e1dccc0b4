//! User screens: list, the three-step wizard (create and edit), card, avatar, deactivate /
//! reactivate and delete with a successor; the user picker's matches.

pub mod avatar;
pub mod card;
pub mod delete;
pub mod list;
pub mod pick;
pub mod status;
pub mod wizard;
pub mod wizard_details;
pub mod wizard_pages;
pub mod wizard_permissions;
pub mod wizard_save;
