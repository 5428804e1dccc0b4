//! CSV import of contacts (SPEC screen 11): the uploaded file, its column mapping and
//! options, and the job that applies it.
//!
//! - [`file`]: delimiter detection and the header row of an uploaded file.
//! - [`job`]: the job row (status, progress, counts) and its options.
//! - [`options`]: the mapping page's choices checked (who may give which owner and groups)
//!   and the job started with them.
//! - [`run`]: the import itself: the file streamed row by row, rows checked without a query
//!   each, written in large set-based batches, all in one transaction.
//! - [`housekeeping`]: interrupted jobs run again, abandoned uploads removed.

pub mod file;
pub mod housekeeping;
pub mod job;
pub mod options;
pub mod rows;
pub mod run;
mod writes;

pub use job::{Dedup, Options, Target};
