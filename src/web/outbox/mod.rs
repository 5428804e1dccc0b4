//! Outbox (SPEC screen 15): send batches and their messages with delivery status. A user sees
//! their own batches; Administrators see everyone's. Addresses are shown only to users who may
//! view contacts (a Sending operator sees statuses and counts).

pub mod batch;
pub mod list;

use crate::auth::Viewer;
use crate::permissions::Role;

/// Administrators see every batch.
pub fn sees_all(viewer: &Viewer) -> bool {
    viewer.user.role() == Role::Administrator
}
