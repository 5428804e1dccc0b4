//! Access levels to a contact: none < view < edit < act (SPEC 3).

use serde::Serialize;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    None,
    View,
    Edit,
    /// Edit plus sending messages and running automations.
    Act,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::View => "view",
            Level::Edit => "edit",
            Level::Act => "act",
        }
    }

    /// The grant levels (as stored in `access_group_grants.level`) that reach at least `self`.
    pub fn grant_levels_at_least(self) -> &'static [&'static str] {
        match self {
            Level::None | Level::View => &["view", "edit", "act"],
            Level::Edit => &["edit", "act"],
            Level::Act => &["act"],
        }
    }
}

impl FromStr for Level {
    type Err = ();
    fn from_str(s: &str) -> Result<Level, ()> {
        match s {
            "none" => Ok(Level::None),
            "view" => Ok(Level::View),
            "edit" => Ok(Level::Edit),
            "act" => Ok(Level::Act),
            _ => Err(()),
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
