//! The permission checklist (SPEC 2.1 / screen 4): the catalog tree as nested checkboxes.
//! Shared by the preset screens and step 2 of the user wizard.
//!
//! Field name of every action box: `perm`, value: the key. A module's box (no name) toggles
//! its actions with static/js/checklist.js; without script each action is ticked on its own.

use crate::permissions::{Perm, PermSet, MODULES};

/// How a key differs from what the held presets give (user wizard only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    None,
    /// Ticked though no held preset has it: a per-user grant.
    Granted,
    /// Unticked though a held preset has it: a per-user revoke.
    Revoked,
}

pub struct Item {
    pub key: &'static str,
    pub action: &'static str,
    pub label: &'static str,
    pub checked: bool,
    pub mark: Mark,
    /// The author does not hold this key, so may not tick it (no escalation).
    pub disabled: bool,
}

impl Item {
    pub fn mark_class(&self) -> &'static str {
        match self.mark {
            Mark::None => "",
            Mark::Granted => "override-grant",
            Mark::Revoked => "override-revoke",
        }
    }

    /// Whether the held presets give this key (what a box differs from when it is an override).
    pub fn from_presets(&self) -> bool {
        self.checked != (self.mark != Mark::None)
    }

    pub fn mark_text(&self) -> &'static str {
        match self.mark {
            Mark::None => "",
            Mark::Granted => "granted for this user",
            Mark::Revoked => "revoked for this user",
        }
    }
}

pub struct Group {
    pub key: &'static str,
    pub label: &'static str,
    pub items: Vec<Item>,
}

impl Group {
    /// How many of the module's actions are ticked (the legend says "3 of 8").
    pub fn checked_count(&self) -> usize {
        self.items.iter().filter(|i| i.checked).count()
    }

    pub fn all_checked(&self) -> bool {
        self.items.iter().all(|i| i.checked)
    }
}

/// The checklist view.
pub struct Checklist {
    pub groups: Vec<Group>,
    /// Read-only (system presets, viewers without the right to edit): no inputs are enabled.
    pub read_only: bool,
}

impl Checklist {
    /// `checked`: what is ticked. `base`: what the held presets give (for override marks; pass
    /// `checked` itself when there are no overrides). `allowed`: what the author may tick.
    pub fn new(checked: PermSet, base: PermSet, allowed: PermSet, read_only: bool) -> Checklist {
        let groups = MODULES
            .iter()
            .map(|m| Group {
                key: m.key,
                label: m.label,
                items: m
                    .actions
                    .iter()
                    .map(|p| {
                        let (c, b) = (checked.contains(*p), base.contains(*p));
                        Item {
                            key: p.key(),
                            action: p.action(),
                            label: p.label(),
                            checked: c,
                            mark: match (c, b) {
                                (true, false) => Mark::Granted,
                                (false, true) => Mark::Revoked,
                                _ => Mark::None,
                            },
                            disabled: read_only || (!allowed.contains(*p) && !c),
                        }
                    })
                    .collect(),
            })
            .collect();
        Checklist { groups, read_only }
    }

    /// A read-only view of a set.
    pub fn view(set: PermSet) -> Checklist {
        Checklist::new(set, set, set, true)
    }
}

/// The ticked keys of a submitted checklist (its `perm` fields); unknown keys are ignored.
pub fn keys(ticked: &[String]) -> PermSet {
    ticked.iter().filter_map(|v| Perm::from_key(v)).collect()
}
