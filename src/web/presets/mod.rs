//! Presets (screen 4): list, view, create ("Save as new"), edit with an impact preview, rename,
//! delete with a replacement, and compare two presets or two users side by side.
//!
//! Who may do what: viewing and comparing presets needs any of `administration.presets_manage`,
//! `users_view` or `users_manage`; comparing users needs `users_view` or `users_manage`; every
//! change needs `presets_manage`. System presets never change.

pub mod compare;
pub mod delete;
pub mod edit;
pub mod list;
pub mod new;
pub mod rename;
pub mod show;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::permissions::{Perm, PermSet};
use crate::presets::Preset;
use crate::web::checklist::Checklist;

pub use crate::presets::compare::VIEW_KEYS;

/// Refuses (403) viewers who may not see presets.
pub fn require_view(viewer: &Viewer) -> Result<(), AppError> {
    viewer.require_any(VIEW_KEYS)
}

/// Refuses (403) viewers who may not change presets.
pub fn require_manage(viewer: &Viewer) -> Result<(), AppError> {
    viewer.require(Perm::AdministrationPresetsManage)
}

/// Refuses (403) any change of a system preset, whatever the request says.
pub fn require_custom(preset: &Preset) -> Result<(), AppError> {
    if preset.is_system() {
        Err(AppError::forbidden(format!("preset {} is a system preset", preset.id)))
    } else {
        Ok(())
    }
}

/// An editable checklist where every key the author does not hold is locked, ticked or not:
/// the author can neither add nor remove it (no escalation). Locked boxes are not submitted;
/// edits merge them back on the server.
pub fn author_checklist(checked: PermSet, author: PermSet) -> Checklist {
    let mut list = Checklist::new(checked, checked, author, false);
    for item in list.groups.iter_mut().flat_map(|g| g.items.iter_mut()) {
        item.disabled = Perm::from_key(item.key).is_none_or(|p| !author.contains(p));
    }
    list
}

pub use crate::presets::MAX_NAME;
