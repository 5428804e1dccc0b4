//! Small helpers shared by form handlers.

use crate::validation::FieldErrors;

/// Percent-encodes a value for a query string.
pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).map(|q| q[2..].to_string()).unwrap_or_default()
}

/// A safe local redirect target: only paths on this site (no scheme, no `//host`).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines and read a backslash as a slash, so "/\t/evil.example"
        // or "/\\evil.example" would leave the site: any of them anywhere makes it "/".
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.chars().any(|c| c == '\\' || c.is_control()) => {
            p.to_string()
        }
        _ => "/".to_string(),
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
