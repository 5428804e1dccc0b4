//! Validation of user fields, shared by setup and the user wizard. Each check adds a plain
//! message beside its field.

use crate::web::forms::FieldErrors;
use validator::ValidateEmail;

/// The weakest password accepted, on zxcvbn's 0–4 scale.
const MIN_SCORE: u8 = 3;

pub fn email(value: &str, errors: &mut FieldErrors) {
    let v = value.trim();
    if v.is_empty() {
        errors.add("email", "Enter an email address.");
    } else if !v.validate_email() {
        errors.add("email", "Enter a valid email address, like name@example.com.");
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
