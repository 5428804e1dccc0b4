//! Numbers as pages show them.

pub use crate::numbers::{grouped, Count};

/// "1–50 of 10,000", "1–50 of more than 1,000" (`total` None) or "0 of 0".
pub fn position(first: i64, shown: usize, total: Option<i64>, cap: i64) -> String {
    let of = match total {
        Some(n) => grouped(n),
        None => format!("more than {}", grouped(cap)),
    };
    if shown == 0 {
        return format!("0 of {of}");
    }
    format!("{}–{} of {of}", grouped(first), grouped(first + shown as i64 - 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands_and_says_where_you_are() {
        assert_eq!(super::grouped(0), "0");
        assert_eq!(super::grouped(999), "999");
        assert_eq!(super::grouped(1000), "1,000");
        assert_eq!(super::grouped(1_000_000), "1,000,000");
        assert_eq!(super::grouped(-12345), "-12,345");
        assert_eq!(super::position(51, 50, Some(10_000), 1000), "51–100 of 10,000");
        assert_eq!(super::position(1, 50, None, 1000), "1–50 of more than 1,000");
        assert_eq!(super::position(1, 0, Some(0), 1000), "0 of 0");
    }
}
