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

/// An email address as every entry point checks it (the wizard, SCIM, sign-in setup, a
/// contact's card, imports, public forms): trimmed, and a valid address by `validator`'s rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// `Err` says what is wrong, for beside the field.
    pub fn parse(typed: &str) -> Result<Email, &'static str> {
        use validator::ValidateEmail;
        let v = typed.trim();
        if v.is_empty() {
            Err("Enter an email address.")
        } else if !v.validate_email() {
            Err("Enter a valid email address, like name@example.com.")
        } else {
            Ok(Email(v.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's phone number in E.164 (`+48600700800`), from what was typed: it must carry its
/// country code (`+…`, or `00…`) and be a valid number for it (`phonenumber`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// `Ok(None)`: nothing typed (no phone). `Err` says what is wrong.
    pub fn parse(typed: &str) -> Result<Option<Phone>, &'static str> {
        let v = typed.trim();
        if v.is_empty() {
            return Ok(None);
        }
        let Some(normalised) = with_country_code(v) else {
            return Err("Include the country code, starting with +, like +48 600 700 800.");
        };
        match phonenumber::parse(None, &normalised) {
            Ok(n) if phonenumber::is_valid(&n) => Ok(Some(Phone(n.format().mode(phonenumber::Mode::E164).to_string()))),
            _ => Err("This is not a valid phone number for its country code."),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// `v` written with a leading `+` when it starts with its country code (`+…` or `00…`).
fn with_country_code(v: &str) -> Option<String> {
    match v.strip_prefix("00") {
        Some(rest) => Some(format!("+{rest}")),
        None => v.starts_with('+').then(|| v.to_string()),
    }
}
