//! The states of a bulk run (`bulk_runs.status`), in the order a run goes through them.

/// Stored by "Preview", waiting for a worker to compute its preview or being computed by one.
pub const PREVIEWING: &str = "previewing";
/// Previewed; its token can execute it once.
pub const PREVIEWED: &str = "previewed";
/// Executed by its user, waiting for a worker or being run by one (the row's lock says which).
pub const QUEUED: &str = "queued";
/// Applied, all of it; `report` holds what it did.
pub const DONE: &str = "done";
/// Not applied: what the user may change was no longer what they previewed.
pub const CHANGED: &str = "changed";
/// Not applied: refused when it ran, or it failed; `error` says why.
pub const FAILED: &str = "failed";
