//! CSV import of contacts (SPEC screen 11): the uploaded file, its column mapping and
//! options, and the job that applies it.
//!
//! - [`file`]: delimiter detection and the header row of an uploaded file.
//! - [`job`]: the job row (status, progress, counts) and its options.
//! - [`run`]: the import itself: the file streamed row by row, rows checked without a query
//!   each, written in large set-based batches, all in one transaction.
//! - [`housekeeping`]: interrupted jobs run again, abandoned uploads removed.

pub mod file;
pub mod housekeeping;
pub mod job;
pub mod rows;
pub mod run;
mod writes;

pub use job::{Dedup, Options, Target};
