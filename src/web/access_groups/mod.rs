//! Access groups (SPEC screen 9, administration.access_groups_manage): a name, a description
//! and grants giving teams or users a level (see, see and edit, edit and send) on the group's contacts.
//! Contacts join groups elsewhere (card, bulk, segments, import, forms). Every change is audited.

pub mod create;
pub mod delete;
pub mod edit;
pub mod grant_edit;
pub mod grants;
pub mod list;
