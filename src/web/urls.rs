//! URLs: encoding a value for a query string, and keeping redirects on this site.

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
