//! The operation table of SPEC 3: each operation on a contact needs a catalog permission and
//! an access level.

use super::level::Level;
use super::rules::{Decision, Subject};
use crate::permissions::Perm;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// See in list, open card.
    View,
    /// Edit fields, tags.
    Edit,
    /// Change owners, access groups.
    Assign,
    /// Set or clear the confidential flag: Assign, and only by the main owner or an
    /// Administrator (SPEC 3).
    Confidential,
    Delete,
    SendEmail,
    SendSms,
    /// Export (only visible contacts are exported; the user's export must not be disabled).
    Export,
}

impl Operation {
    pub fn requirement(self) -> (Perm, Level) {
        match self {
            Operation::View => (Perm::ContactsView, Level::View),
            Operation::Edit => (Perm::ContactsEdit, Level::Edit),
            Operation::Assign | Operation::Confidential => (Perm::ContactsAssign, Level::Edit),
            Operation::Delete => (Perm::ContactsDelete, Level::Edit),
            Operation::SendEmail => (Perm::EmailSend, Level::Act),
            Operation::SendSms => (Perm::SmsSend, Level::Act),
            Operation::Export => (Perm::ContactsExport, Level::View),
        }
    }

    /// The operation a catalog key stands for on a contact (authorization API). Keys outside the
    /// table need only that the contact be visible.
    pub fn for_perm(p: Perm) -> Option<Operation> {
        Some(match p {
            Perm::ContactsView => Operation::View,
            Perm::ContactsEdit => Operation::Edit,
            Perm::ContactsAssign => Operation::Assign,
            Perm::ContactsDelete => Operation::Delete,
            Perm::EmailSend => Operation::SendEmail,
            Perm::SmsSend => Operation::SendSms,
            Perm::ContactsExport => Operation::Export,
            _ => return None,
        })
    }
}

/// Why an operation is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    MissingPermission(Perm),
    ExportDisabled,
    Level {
        have: Level,
        need: Level,
    },
    /// Confidential is set by the main owner or an Administrator only.
    NotMainOwner,
}

impl Refusal {
    pub fn describe(&self) -> String {
        match self {
            Refusal::MissingPermission(p) => format!("lacks the permission {p}"),
            Refusal::ExportDisabled => "contact export is disabled for this user".into(),
            Refusal::Level { have: Level::None, need } => {
                format!("has no access to this contact; {need} is needed (to {})", need.words())
            }
            Refusal::Level { have, need } => {
                format!("may only {} this contact ({have}); {need} is needed (to {})", have.words(), need.words())
            }
            Refusal::NotMainOwner => "only the main owner or an Administrator sets confidential".into(),
        }
    }
}

/// The part of `op` that does not depend on a contact: the permission, and for export the
/// user's "disable export" (e.g. for exporting a whole list).
pub fn permits_at_all(s: &Subject, op: Operation) -> Result<(), Refusal> {
    let (perm, _) = op.requirement();
    if !s.perms.contains(perm) {
        return Err(Refusal::MissingPermission(perm));
    }
    if op == Operation::Export && s.export_disabled {
        return Err(Refusal::ExportDisabled);
    }
    Ok(())
}

/// Whether `subject` with `decision` on a contact may perform `op`.
pub fn permits(s: &Subject, decision: &Decision, op: Operation) -> Result<(), Refusal> {
    permits_at_all(s, op)?;
    let (_, need) = op.requirement();
    if decision.level < need {
        return Err(Refusal::Level { have: decision.level, need });
    }
    if op == Operation::Confidential && !s.administrator && !decision.paths.contains(&super::rules::Path::MainOwner) {
        return Err(Refusal::NotMainOwner);
    }
    Ok(())
}
