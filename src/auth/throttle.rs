//! Throttling of failed sign-ins (SPEC 5), built so that it cannot be turned against the user:
//! - failures of one account from one address slow that address down, then lock it out of
//!   that account for a while ([`Keys::pair`]);
//! - failures from one address over many accounts lock that address ([`Keys::ip`]);
//! - failures of one account from everywhere only slow every attempt on it down, by at most
//!   [`MAX_SLOWDOWN_MS`] ([`Keys::account`]): nobody can keep an account locked for everyone.
//!
//! Keys are derived from what was typed, whether or not the account exists, so the answers
//! never reveal which emails are registered, and the email is folded by PostgreSQL's
//! `lower()`, the same function every look-up of a user by email uses (a Unicode case variant
//! is the same key). State lives in PostgreSQL (no per-instance state).

use crate::db::schema::login_attempts;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// Failures of one account from one address before that address is locked out of it.
pub const ACCOUNT_LIMIT: i32 = 5;
/// The longest pause an account's failures add to an attempt.
pub const MAX_SLOWDOWN_MS: u64 = 2_000;
/// Failures per client address before it is locked (higher: offices share addresses).
pub const IP_LIMIT: i32 = 20;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;
/// Failures older than this are forgotten.
const WINDOW_MINUTES: i64 = 15;

/// The throttle keys of one attempt.
#[derive(Clone, Debug)]
pub struct Keys {
    /// The account from everywhere: slowed, never locked.
    pub account: String,
    /// The account from this address: slowed, then locked.
    pub pair: String,
    /// This address over every account: locked at [`IP_LIMIT`].
    pub ip: String,
    /// The second step of this account from every address ([`Keys::second_step`]): locked at
    /// [`SECOND_STEP_LIMIT`].
    pub second: Option<String>,
}

/// Wrong codes of one account's second step, from every address together, before that step is
/// locked for a while. Whoever reaches it knows the password already: a pending sign-in
/// replayed from many addresses must not multiply the guesses (the password step keeps its
/// per-address rule, so nobody locks an account out without its password).
pub const SECOND_STEP_LIMIT: i32 = 10;

impl Keys {
    /// These keys for the second step of `user_id`'s sign-in (codes).
    pub fn second_step(mut self, user_id: i64) -> Keys {
        self.second = Some(format!("second:{user_id}"));
        self
    }

    /// The keys that lock, with their limits.
    fn locking(&self) -> Vec<(&String, i32)> {
        let mut all = vec![(&self.pair, ACCOUNT_LIMIT), (&self.ip, IP_LIMIT)];
        all.extend(self.second.iter().map(|k| (k, SECOND_STEP_LIMIT)));
        all
    }
}

/// The keys for `email` typed from `ip` (the email folded by PostgreSQL, see the module doc).
pub fn keys(conn: &mut PgConnection, email: &str, ip: &str) -> QueryResult<Keys> {
    #[derive(QueryableByName)]
    struct Folded {
        #[diesel(sql_type = diesel::sql_types::Text)]
        email: String,
    }
    let folded: Folded = crate::db::query("SELECT lower(btrim($1)) AS email")
        .bind::<diesel::sql_types::Text, _>(email)
        .get_result(conn)?;
    Ok(Keys {
        account: format!("acct:{}", folded.email),
        // Its own prefix: no email typed can make an account key equal another's pair key.
        pair: format!("pair:{ip}|{}", folded.email),
        ip: format!("ip:{ip}"),
        second: None,
    })
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

/// Recent failures of a key (for the slow-down).
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

/// Whether an attempt may be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The pair or the address is locked, or this attempt is past a limit: refuse it unchecked.
    Locked,
    /// Check it, after [`slowdown`] of `failures`, the account's recent failures before it;
    /// `pair` is the count of this account from this address, this attempt included.
    Admitted { failures: i32, pair: i32 },
}

/// Admits one attempt (a password or a code) before it is checked: the attempt is counted as a
/// failure against each of its keys first, and [`succeeded`] takes it back. Counting first is
/// what makes the limits hold under parallel attempts: each upsert takes the key's row lock,
/// so of N attempts sent at once only those the limit leaves room for are admitted, whatever
/// the delays and checks that follow.
pub fn admit(conn: &mut PgConnection, keys: &Keys) -> QueryResult<Admission> {
    conn.transaction(|c| {
        let locking: Vec<String> = keys.locking().into_iter().map(|(k, _)| k.clone()).collect();
        if locked_until(c, &locking)?.is_some() {
            return Ok(Admission::Locked);
        }
        let account = record_failure(c, &keys.account, i32::MAX)?;
        let pair = record_failure(c, &keys.pair, ACCOUNT_LIMIT)?;
        let mut over = pair > ACCOUNT_LIMIT;
        for (key, limit) in keys.locking().into_iter().skip(1) {
            over |= record_failure(c, key, limit)? > limit;
        }
        Ok(if over { Admission::Locked } else { Admission::Admitted { failures: account - 1, pair } })
    })
}

/// The attempt [`admit`] counted succeeded and signs the user in: the account's failures, from
/// everywhere and from this address, are forgotten, and the address's count gives this attempt
/// back.
pub fn succeeded(conn: &mut PgConnection, keys: &Keys) -> QueryResult<()> {
    give_back(conn, keys)?;
    clear(conn, keys)
}

/// The attempt [`admit`] counted was right but signs nobody in yet (a second step follows) or
/// at all (a deactivated account): it is not a failure, so each key's count gives it back, with
/// the lock it alone may have set. Earlier failures stay counted.
pub fn give_back(conn: &mut PgConnection, keys: &Keys) -> QueryResult<()> {
    let mut all = vec![(&keys.account, i32::MAX)];
    all.extend(keys.locking());
    for (key, limit) in all {
        crate::db::query(
            "UPDATE login_attempts SET failures = GREATEST(failures - 1, 0), \
               locked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE locked_until END \
             WHERE key = $1",
        )
        .bind::<diesel::sql_types::Text, _>(key)
        .bind::<diesel::sql_types::Integer, _>(limit)
        .execute(conn)?;
    }
    Ok(())
}

/// Counts one failure against `key`; locks it when it reaches `limit`. Returns the count.
fn record_failure(conn: &mut PgConnection, key: &str, limit: i32) -> QueryResult<i32> {
    let now = Utc::now();
    let window_start = now - Duration::minutes(WINDOW_MINUTES);
    let lock_until = now + Duration::minutes(LOCK_MINUTES);
    // One statement. A failure outside the window, or the first after a lock expired, starts
    // the count over (and clears the old lock); the lock is set when the count reaches `limit`.
    crate::db::query(
        "INSERT INTO login_attempts AS a (key, failures, last_failure, locked_until) \
           VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $5 END) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN a.last_failure < $3 OR a.locked_until <= $2 THEN 1 ELSE a.failures + 1 END, \
           last_failure = $2, \
           locked_until = CASE \
             WHEN (CASE WHEN a.last_failure < $3 OR a.locked_until <= $2 THEN 1 ELSE a.failures + 1 END) >= $4 THEN $5 \
             WHEN a.last_failure < $3 OR a.locked_until <= $2 THEN NULL \
             ELSE a.locked_until END \
         RETURNING failures",
    )
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Timestamptz, _>(window_start)
    .bind::<diesel::sql_types::Integer, _>(limit)
    .bind::<diesel::sql_types::Timestamptz, _>(lock_until)
    .get_result::<Count>(conn)
    .map(|c| c.failures)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    failures: i32,
}

/// Forgets the failures of an account, from everywhere and from this address.
fn clear(conn: &mut PgConnection, keys: &Keys) -> QueryResult<()> {
    let mut both = vec![keys.account.as_str(), keys.pair.as_str()];
    both.extend(keys.second.as_deref());
    diesel::delete(login_attempts::table.filter(login_attempts::key.eq_any(both))).execute(conn).map(|_| ())
}

/// The pause before answering an attempt after `failures` recent failures: none for the first
/// two, then 250 ms more per failure, never more than [`MAX_SLOWDOWN_MS`].
pub fn slowdown(failures: i32) -> std::time::Duration {
    std::time::Duration::from_millis((250 * (failures - 2).max(0) as u64).min(MAX_SLOWDOWN_MS))
}
