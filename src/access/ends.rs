//! Access that ends on time (issue #32): a preset held, a per-user override, a co-ownership, a
//! team membership and an access-group grant may carry an end. The rule itself lives in the
//! database (migration 000320): each of those tables is read through a view of the rows that
//! have not ended, so an ended assignment is absent at that instant for every reader, the
//! decision's facts and the SQL filter alike, whether or not the expiry job (`crate::expiry`)
//! has removed it yet. This module reads an end as people type it and words it as they read it.

use super::rules::Path;
use crate::db::views::{access_group_grants as g, contact_owners as co, team_members as tm};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

/// When an assignment ends, and who set that end (told when it comes); the default: never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// [`parse`] for a form field: the end, or `None` with the reason added beside `field`.
pub fn parse_field(
    text: &str,
    now: DateTime<Utc>,
    field: &'static str,
    errors: &mut crate::validation::FieldErrors,
) -> Option<DateTime<Utc>> {
    parse(text, now).unwrap_or_else(|why| {
        errors.add(field, why);
        None
    })
}

/// "name (until 31 Dec 2026, 17:00 UTC)", or the name alone when there is no end.
pub fn named(name: &str, at: Option<DateTime<Utc>>) -> String {
    match at {
        Some(t) => format!("{name} ({})", until(t)),
        None => name.to_string(),
    }
}

/// "until 31 Dec 2026, 17:00 UTC".
pub fn until(at: DateTime<Utc>) -> String {
    format!("until {}", at.format("%-d %b %Y, %H:%M UTC"))
}

/// "until 31 Dec 2026, 17:00 UTC", or nothing when there is no end.
pub fn until_opt(at: Option<DateTime<Utc>>) -> String {
    at.map(until).unwrap_or_default()
}

/// " until 31 Dec 2026, 17:00 UTC" (with its leading space, to follow a sentence), or nothing
/// when there is no end.
pub fn until_suffix(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| format!(" {}", until(t))).unwrap_or_default()
}

/// The value a date-and-time field shows for an end (`2026-12-31T17:00`).
pub fn field_value(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

/// The ends that bear on the paths to one contact: its co-ownerships, and every team
/// membership and grant that ends (few: most access does not end). Three small queries, by the
/// partial indexes on `ends_at`.
#[derive(Debug, Default)]
pub struct Ending {
    co_owners: Vec<(i64, DateTime<Utc>)>,
    members: Vec<(i64, i64, DateTime<Utc>)>,
    grants: Vec<GrantEnd<DateTime<Utc>>>,
}

/// (group, user, team) of a grant, and its end.
type GrantEnd<E> = (i64, Option<i64>, Option<i64>, E);

impl Ending {
    pub fn of_contact(conn: &mut PgConnection, contact_id: i64) -> QueryResult<Ending> {
        let co_owners: Vec<(i64, Option<DateTime<Utc>>)> = co::table
            .filter(co::contact_id.eq(contact_id))
            .filter(co::ends_at.is_not_null())
            .select((co::user_id, co::ends_at))
            .load(conn)?;
        let members: Vec<(i64, i64, Option<DateTime<Utc>>)> =
            tm::table.filter(tm::ends_at.is_not_null()).select((tm::team_id, tm::user_id, tm::ends_at)).load(conn)?;
        let grants: Vec<GrantEnd<Option<DateTime<Utc>>>> = g::table
            .filter(g::ends_at.is_not_null())
            .select((g::group_id, g::user_id, g::team_id, g::ends_at))
            .load(conn)?;
        Ok(Ending {
            co_owners: co_owners.into_iter().filter_map(|(u, e)| Some((u, e?))).collect(),
            members: members.into_iter().filter_map(|(t, u, e)| Some((t, u, e?))).collect(),
            grants: grants.into_iter().filter_map(|(gr, u, t, e)| Some((gr, u, t, e?))).collect(),
        })
    }

    fn co_owner(&self, user: i64) -> Option<DateTime<Utc>> {
        self.co_owners.iter().find(|(u, _)| *u == user).map(|(_, e)| *e)
    }

    fn member(&self, team: i64, user: i64) -> Option<DateTime<Utc>> {
        self.members.iter().find(|(t, u, _)| *t == team && *u == user).map(|(_, _, e)| *e)
    }

    /// When `user`'s path `p` to the contact ends: the soonest end of what it goes through (a
    /// team manager's path through the member's membership and co-ownership; a team's grant
    /// through the grant and the user's membership). `None`: it does not end.
    pub fn of(&self, user: i64, p: &Path) -> Option<DateTime<Utc>> {
        let soonest = |ends: &[Option<DateTime<Utc>>]| ends.iter().flatten().min().copied();
        match p {
            Path::WholeBase | Path::MainOwner => None,
            Path::CoOwner { .. } => self.co_owner(user),
            Path::TeamManager { team_id, member_id, member_is_main_owner, .. } => {
                let co = if *member_is_main_owner { None } else { self.co_owner(*member_id) };
                soonest(&[self.member(*team_id, *member_id), co])
            }
            Path::Group { group_id, team_id, .. } => {
                let grant = self
                    .grants
                    .iter()
                    .find(|(gr, u, t, _)| {
                        *gr == *group_id && ((team_id.is_none() && *u == Some(user)) || (t.is_some() && *t == *team_id))
                    })
                    .map(|(_, _, _, e)| *e);
                soonest(&[grant, team_id.and_then(|t| self.member(t, user))])
            }
        }
    }

    /// `p` described, with its end when it has one.
    pub fn describe(&self, user: i64, p: &Path) -> String {
        match self.of(user, p) {
            Some(at) => format!("{}, {}", p.describe(), until(at)),
            None => p.describe(),
        }
    }
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
