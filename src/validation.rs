//! What domain validation reports: field name → message, for re-rendering a form with the
//! errors beside the fields. Used by every layer that checks input (domain rules and screens).

use std::collections::BTreeMap;

/// Field name → message, for re-rendering a form with errors beside the fields.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every message, as "field: message" (for answers that have no form to show them beside).
    pub fn describe(&self) -> String {
        self.0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; ")
    }
}

/// Checks a required name of at most `max` characters that must be unique; `taken` asks the
/// database whether another record (case-insensitively) already uses the trimmed name.
pub fn unique_name(
    name: &str,
    max: usize,
    taken_message: &str,
    errors: &mut FieldErrors,
    taken: impl FnOnce(&str) -> diesel::QueryResult<bool>,
) -> diesel::QueryResult<()> {
    let name = name.trim();
    if name.is_empty() {
        errors.add("name", "Enter a name.");
    } else if name.chars().count() > max {
        errors.add("name", format!("Use at most {max} characters."));
    } else if taken(name)? {
        errors.add("name", taken_message.to_string());
    }
    Ok(())
}
