//! Validation of user fields, shared by setup, the user wizard, SCIM and provisioning (the
//! address and number rules themselves are `validation::Email` and `Phone`). Each check adds a
//! plain message beside its field.

use crate::validation::{Email, FieldErrors, Phone};

/// The weakest password accepted, on zxcvbn's 0–4 scale.
const MIN_SCORE: u8 = 3;

pub fn email(value: &str, errors: &mut FieldErrors) {
    if let Err(why) = Email::parse(value) {
        errors.add("email", why);
    }
}

/// Checks strength (with the user's own details as words an attacker would try) and that the
/// confirmation matches. `required` is false on edit, where an empty password keeps the old one.
pub fn password(value: &str, confirm: &str, user_inputs: &[&str], required: bool, errors: &mut FieldErrors) {
    if value.is_empty() {
        if required {
            errors.add("password", "Choose a password.");
        }
        return;
    }
    if value.chars().count() < 10 {
        errors.add("password", "Use at least 10 characters.");
    } else {
        let estimate = zxcvbn::zxcvbn(value, user_inputs);
        if (estimate.score() as u8) < MIN_SCORE {
            let hint = estimate
                .feedback()
                .and_then(|f| f.warning().map(|w| w.to_string()))
                .unwrap_or_else(|| "It would be easy to guess.".into());
            errors.add("password", format!("This password is too weak: {hint} Add more words or characters."));
        }
    }
    if value != confirm {
        errors.add("password_confirm", "The two passwords do not match.");
    }
}

/// A phone number must carry its country code (`+…`); returns it in E.164 (`+48600700800`).
/// Empty means "no phone".
pub fn phone(value: &str, errors: &mut FieldErrors) -> Option<String> {
    match Phone::parse(value) {
        Ok(phone) => phone.map(Phone::into_string),
        Err(why) => {
            errors.add("phone", why);
            None
        }
    }
}

/// A name part: optional, but bounded.
pub fn name(field: &'static str, value: &str, errors: &mut FieldErrors) {
    if value.trim().chars().count() > 100 {
        errors.add(field, "Use at most 100 characters.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_needs_country_code_and_becomes_e164() {
        let mut e = FieldErrors::default();
        assert_eq!(phone("+48 600 700 800", &mut e).as_deref(), Some("+48600700800"));
        assert_eq!(phone("0048 600-700-800", &mut e).as_deref(), Some("+48600700800"));
        assert!(e.is_empty());
        assert_eq!(phone("600 700 800", &mut e), None);
        assert!(e.get("phone").is_some());
        let mut e = FieldErrors::default();
        assert_eq!(phone("+1 12", &mut e), None);
        assert!(e.get("phone").is_some());
    }
}
