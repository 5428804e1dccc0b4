//! The audit log screens (SPEC screen 16): the filtered viewer, its CSV export, and the
//! per-object "History" other pages embed with `templates/partials/history.html`.

pub mod export;
pub mod list;
pub mod query;
pub mod row;

pub use query::{history, provisioning_events, Row};
