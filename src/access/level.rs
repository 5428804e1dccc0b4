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

    /// The level in a manager's words (the stored names stay `view`, `edit`, `act`).
    pub fn words(self) -> &'static str {
        match self {
            Level::None => "no access",
            Level::View => "see",
            Level::Edit => "see and edit",
            Level::Act => "edit and send",
        }
    }

    /// [`Level::words`] of a stored level name; the name itself when it is none of them.
    pub fn words_of(name: &str) -> &str {
        name.parse::<Level>().map(Level::words).unwrap_or(name)
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
