//! The audit log screens (SPEC screen 16): the filtered viewer and its CSV export. The
//! reading itself (filters, keyset pages, redaction, per-object history) is `crate::audit`.

pub mod export;
pub mod list;
