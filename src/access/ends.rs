//! Access that ends on time (issue #32): a preset held, a per-user override, a co-ownership, a
//! team membership and an access-group grant may carry an end. The rule itself lives in the
//! database (migration 000320): each of those tables is read through a view of the rows that
//! have not ended, so an ended assignment is absent at that instant for every reader, the
//! decision's facts and the SQL filter alike, whether or not the expiry job (`crate::expiry`)
//! has removed it yet. This module reads an end as people type it and words it as they read it.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

/// When an assignment ends, and who set that end (told when it comes); the default: never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct End {
    pub at: Option<DateTime<Utc>>,
    pub set_by: Option<i64>,
}

impl End {
    /// An end `at` (none: never) chosen by `by`.
    pub fn set(at: Option<DateTime<Utc>>, by: i64) -> End {
        End { at, set_by: at.map(|_| by) }
    }
}

/// The furthest an end may be set: beyond it, leave the end empty (it never ends).
pub const FURTHEST_YEARS: i64 = 10;

/// An end as typed in a form (`2026-12-31T17:00` from a date-and-time field, or a date alone,
/// which means the end of that day), in UTC; empty: it never ends. The message says what is
/// wrong, for beside the field.
pub fn parse(text: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let at = if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        d.succ_opt().and_then(|next| next.and_hms_opt(0, 0, 0))
    } else {
        ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    };
    let Some(at) = at.map(|t| t.and_utc()) else {
        return Err(format!("“{text}” is not a date and time: use the form 2026-12-31T17:00 (UTC)."));
    };
    if at <= now {
        return Err("The end must be later than now: an end in the past would give nothing.".into());
    }
    if at > now + Duration::days(365 * FURTHEST_YEARS) {
        return Err(format!(
            "The end must be within {FURTHEST_YEARS} years; leave it empty for access that does not end."
        ));
    }
    Ok(Some(at))
}

/// Whether an end `new` keeps access longer than `old` (no end is the latest): a change that
/// does widens access, like a higher level.
pub fn later(new: Option<DateTime<Utc>>, old: Option<DateTime<Utc>>) -> bool {
    match (new, old) {
        (None, Some(_)) => true,
        (Some(n), Some(o)) => n > o,
        (_, None) => false,
    }
}

/// "until 31 Dec 2026, 17:00 UTC".
pub fn until(at: DateTime<Utc>) -> String {
    format!("until {}", at.format("%-d %b %Y, %H:%M UTC"))
}

/// The value a date-and-time field shows for an end (`2026-12-31T17:00`).
pub fn field_value(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn reads_an_end_as_typed() {
        let now = Utc.with_ymd_and_hms(2026, 12, 8, 10, 0, 0).unwrap();
        assert_eq!(parse("", now), Ok(None));
        assert_eq!(parse("2026-12-31T17:00", now), Ok(Some(Utc.with_ymd_and_hms(2026, 12, 31, 17, 0, 0).unwrap())));
        // A date alone: the end of that day.
        assert_eq!(parse("2026-12-31", now), Ok(Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap())));
        assert!(parse("2026-12-08T09:59", now).unwrap_err().contains("later than now"));
        assert!(parse("2040-01-01", now).unwrap_err().contains("within 10 years"));
        assert!(parse("tomorrow", now).unwrap_err().contains("“tomorrow” is not a date"));
        let (a, b) = (Some(now), Some(now + Duration::hours(1)));
        assert!(later(None, a) && later(b, a) && !later(a, b) && !later(a, None) && !later(None, None));
        assert_eq!(until(Utc.with_ymd_and_hms(2026, 12, 31, 17, 0, 0).unwrap()), "until 31 Dec 2026, 17:00 UTC");
    }
}
