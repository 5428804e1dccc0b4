//! CSV import of contacts (SPEC screen 11): the uploaded file, its column mapping and
//! options, and the job that applies it.
//!
//! - [`file`]: delimiter detection and the header row of an uploaded file.
//! - [`job`]: the job row (status, progress, counts) and its options.
//! - [`options`]: the mapping page's choices checked (who may give which owner and groups)
//!   and the job started with them.
//! - [`run`]: the import itself: the file streamed row by row, rows checked without a query
//!   each, written in large set-based batches, all in one transaction.
//! - [`housekeeping`]: abandoned uploads removed.
//!
//! A started import is a background job ([`IMPORT`], `crate::jobs`): any instance runs it,
//! again from the start if the one running it stopped, and tries again after a failure.

pub mod file;
pub mod housekeeping;
pub mod job;
pub mod options;
pub mod rows;
pub mod run;
mod writes;

pub use job::{Dedup, Options, Target};

/// Running a started import ([`job::start`] queues it).
pub static IMPORT: crate::jobs::Kind =
    crate::jobs::Kind { name: "import.run", attempt: run::attempt, give_up: run::failed };
