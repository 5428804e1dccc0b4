//! /contacts/import: upload a CSV (streamed to a temporary file), map its columns and choose
//! options, then follow the import job to its report of rejected rows.

pub mod job;
pub mod upload;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::permissions::Perm;

/// Every import route needs contacts.import.
pub fn require(viewer: &Viewer) -> Result<(), AppError> {
    viewer.require(Perm::ContactsImport)
}
