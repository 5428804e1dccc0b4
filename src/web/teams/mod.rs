//! Teams (SPEC screen 8, administration.teams_manage): a name, a manager and members; a user
//! may be in several teams. Every change is audited.

pub mod create;
pub mod delete;
pub mod edit;
pub mod list;
pub mod members;
