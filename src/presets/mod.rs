//! Custom presets (SPEC 2.3): creation, editing with impact, renaming, deleting with a
//! replacement, each under the no-escalation rule of `access::escalation`. Shared by the preset
//! screens and the user wizard's "Save as new". (The catalog, roles and permission sets it
//! builds on live in `permissions`, below `access`.)
//!
//! - this module: the no-escalation rule as it applies to presets;
//! - [`records`]: reading, creating, renaming, editing and deleting presets;
//! - [`impact`]: what an edit does to each holder, and the fingerprint a confirmation carries.

pub mod compare;
pub mod impact;
pub mod records;

pub use impact::{impact, impact_digest, Impact};
pub use records::*;

use crate::permissions::PermSet;

/// Largest preset name accepted (the list and selects must stay readable).
pub const MAX_NAME: usize = 80;

/// A preset's name as checked: trimmed, not empty, at most [`MAX_NAME`] characters. Every way
/// of naming a preset (the presets screens, the wizard's "save as new preset") parses it here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetName(String);

impl PresetName {
    pub fn parse(typed: &str) -> Result<PresetName, PresetError> {
        let name = typed.trim();
        if name.is_empty() {
            Err(PresetError::NameMissing)
        } else if name.chars().count() > MAX_NAME {
            Err(PresetError::NameTooLong)
        } else {
            Ok(PresetName(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    #[error("Give the preset a name.")]
    NameMissing,
    #[error("Keep the name under {MAX_NAME} characters.")]
    NameTooLong,
    #[error("A preset with this name already exists.")]
    NameTaken,
    #[error("You can only include permissions you hold yourself: {0}.")]
    Escalation(String),
    /// The author may not change presets at all.
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<crate::access::Denied> for PresetError {
    fn from(e: crate::access::Denied) -> PresetError {
        match e {
            crate::access::Denied::Db(e) => PresetError::Db(e),
            other => PresetError::NotAllowed(other.to_string()),
        }
    }
}

impl From<PresetError> for crate::error::AppError {
    fn from(e: PresetError) -> Self {
        match e {
            PresetError::Db(e) => e.into(),
            PresetError::NotAllowed(why) => crate::error::AppError::Forbidden(why),
            other => crate::error::AppError::BadRequest(other.to_string()),
        }
    }
}

/// Refuses keys the author does not hold (no escalation: [`crate::access::escalation::preset_keys`]).
pub fn check_no_escalation(author_perms: PermSet, keys: PermSet) -> Result<(), PresetError> {
    crate::access::escalation::preset_keys(author_perms, keys).map_err(|e| match e {
        crate::access::escalation::Escalation::Permissions(extra) => PresetError::Escalation(extra.keys().join(", ")),
        other => PresetError::Escalation(other.to_string()),
    })
}

/// The no-escalation rule for every holder a preset change affects
/// ([`crate::access::escalation::account_change`]): the author holds what they gain, and only an
/// Administrator changes what an Administrator holds.
pub fn check_holders(
    actor: &crate::access::Subject,
    impact: &[Impact],
) -> Result<(), crate::access::escalation::Escalation> {
    use crate::access::escalation::{account_change, Standing};
    // (`holders` leaves deleted accounts out.)
    for i in impact.iter().filter(|i| i.changes()) {
        // Only the difference matters to the rule: put the holder's losses back to get "before".
        // (A preset edit changes no data setting: both sides hold them as they are, unset.)
        let before = Standing { role: i.holder.role(), perms: i.losses, only_owned: false, export_disabled: false };
        let after = Standing { perms: i.gains, ..before };
        account_change(actor, Some(before), after)?;
    }
    Ok(())
}

/// Whether any holder in `impact` is an Administrator whose permissions change (the change
/// must then leave a complete Administrator).
pub fn touches_administrator(impact: &[Impact]) -> bool {
    impact.iter().any(|i| i.changes() && i.holder.role() == crate::permissions::Role::Administrator)
}

/// The keys a preset gets from an edit (no escalation): the author decides only the keys they
/// hold; every other key keeps its current state, whether or not the form sent it (disabled
/// boxes are not submitted). Adding a key the author does not hold is refused.
pub fn merge_edit(author: PermSet, current: PermSet, submitted: PermSet) -> Result<PermSet, PresetError> {
    check_no_escalation(author.union(current), submitted)?;
    let decided = submitted.difference(submitted.difference(author));
    Ok(decided.union(current.difference(author)))
}
