//! Throttling of failed sign-ins, per account and per client address (SPEC 5): after a few
//! failures each further attempt is slowed down, then the key is locked for a while.
//! Keys are derived from what was typed, whether or not the account exists, so the answers
//! never reveal which emails are registered. State lives in PostgreSQL (no per-instance state).

use crate::db::schema::login_attempts;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// Failures per account before it is locked.
pub const ACCOUNT_LIMIT: i32 = 5;
/// Failures per client address before it is locked (higher: offices share addresses).
pub const IP_LIMIT: i32 = 20;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;
/// Failures older than this are forgotten.
const WINDOW_MINUTES: i64 = 15;

pub fn account_key(email: &str) -> String {
    format!("acct:{}", email.trim().to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The latest lock expiry among `keys`, if any is locked now.
pub fn locked_until(conn: &mut PgConnection, keys: &[String]) -> QueryResult<Option<DateTime<Utc>>> {
    let now = Utc::now();
    let until: Vec<Option<DateTime<Utc>>> = login_attempts::table
        .filter(login_attempts::key.eq_any(keys))
        .filter(login_attempts::locked_until.gt(now))
        .select(login_attempts::locked_until)
        .load(conn)?;
    Ok(until.into_iter().flatten().max())
}

/// Recent failures of the account key (for the slow-down before the lock).
pub fn recent_failures(conn: &mut PgConnection, key: &str) -> QueryResult<i32> {
    let since = Utc::now() - Duration::minutes(WINDOW_MINUTES);
    Ok(login_attempts::table
        .filter(login_attempts::key.eq(key))
        .filter(login_attempts::last_failure.gt(since))
        .select(login_attempts::failures)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Counts one failure against `key`; locks it when it reaches `limit`.
pub fn record_failure(conn: &mut PgConnection, key: &str, limit: i32) -> QueryResult<()> {
    let now = Utc::now();
    let window_start = now - Duration::minutes(WINDOW_MINUTES);
    let lock_until = now + Duration::minutes(LOCK_MINUTES);
    // One statement: start over when the last failure is outside the window or a lock expired.
    diesel::sql_query(
        "INSERT INTO login_attempts (key, failures, last_failure, locked_until) VALUES ($1, 1, $2, NULL)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_attempts.last_failure < $3
                             OR (login_attempts.locked_until IS NOT NULL AND login_attempts.locked_until <= $2)
                           THEN 1 ELSE login_attempts.failures + 1 END,
           last_failure = $2,
           locked_until = CASE WHEN login_attempts.last_failure >= $3
                                AND (login_attempts.locked_until IS NULL OR login_attempts.locked_until > $2)
                                AND login_attempts.failures + 1 >= $4
                               THEN $5 ELSE login_attempts.locked_until END",
    )
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Timestamptz, _>(window_start)
    .bind::<diesel::sql_types::Integer, _>(limit)
    .bind::<diesel::sql_types::Timestamptz, _>(lock_until)
    .execute(conn)
    .map(|_| ())
}

/// Forgets the failures of an account after a successful sign-in.
pub fn clear(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_attempts::table.filter(login_attempts::key.eq(key))).execute(conn).map(|_| ())
}

/// The pause before answering an attempt after `failures` recent failures: none for the first
/// two, then 250 ms more per failure (the "slowed down" of SPEC 5, before the lock).
pub fn slowdown(failures: i32) -> std::time::Duration {
    std::time::Duration::from_millis(250 * (failures - 2).max(0) as u64)
}
