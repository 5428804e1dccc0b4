//! Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238: 30 s steps, 6 digits,
//! SHA-1, the settings every authenticator app understands) and single-use recovery codes.
//!
//! The codes themselves come from the `totp-rs` crate; this module keeps the state around
//! them: enrolment (a secret that takes effect only once a code made from it is typed back),
//! replay protection (a code is accepted only for a time step later than the last accepted
//! one, so a code seen over someone's shoulder is worthless once used), recovery codes (shown
//! once, kept as SHA-256) and the roles that must use two-factor.

use crate::db::schema::{recovery_codes, two_factor, two_factor_roles};
use crate::permissions::Role;
use chrono::Utc;
use diesel::prelude::*;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per step, digits per code, steps accepted either side of now (RFC 6238's advice).
const STEP: u64 = 30;
const DIGITS: usize = 6;
const SKEW: i64 = 1;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show beside the account.
const ISSUER: &str = "Custodian";

/// A fresh random secret (160 bits, RFC 4226's recommendation), base32 as apps expect it.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::thread_rng().gen();
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP, bytes, Some(ISSUER.into()), account.to_string()).ok()
}

/// The `otpauth://` address an authenticator app reads from the enrolment picture.
pub fn otpauth_url(secret: &str, account: &str) -> Option<String> {
    Some(totp(secret, account)?.get_url())
}

/// The enrolment picture: a QR code of `url`, as inline SVG drawn on the server (without the
/// XML declaration, which HTML does not allow inline).
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    Some(match svg.find("<svg") {
        Some(start) => svg[start..].to_string(),
        None => svg,
    })
}

/// The secret grouped by four characters, easier to type into an app by hand.
pub fn grouped(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

fn now_secs() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// The time step, within the accepted window around `now`, for which `code` is valid.
fn matching_step(secret: &str, code: &str, now: u64) -> Option<i64> {
    let totp = totp(secret, "-")?;
    let current = i64::try_from(now / STEP).ok()?;
    (-SKEW..=SKEW).map(|d| current + d).filter(|s| *s >= 0).find(|s| {
        let made = totp.generate(u64::try_from(*s).unwrap_or(0) * STEP);
        bool::from(made.as_bytes().ct_eq(code.as_bytes()))
    })
}

/// What a code typed at sign-in (or to confirm a change) turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// A valid authenticator code, now used.
    Code,
    /// A recovery code, now used; `left` remain.
    Recovery { left: i64 },
    /// A valid code that was already used (its step is not later than the last accepted one).
    Replayed,
    /// Not a valid code.
    Invalid,
}

/// Codes as people type them: spaces and dashes dropped; recovery codes case-folded.
fn normalise(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_ascii_lowercase()
}

fn hash(code: &str) -> String {
    hex::encode(Sha256::digest(normalise(code).as_bytes()))
}

/// The state of a user's two-factor.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Confirmed: sign-in asks for a code.
    pub enrolled: bool,
    /// Unused recovery codes.
    pub recovery_left: i64,
}

pub fn status(conn: &mut PgConnection, user_id: i64) -> QueryResult<Status> {
    let enrolled = two_factor::table
        .filter(two_factor::user_id.eq(user_id))
        .filter(two_factor::confirmed_at.is_not_null())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    let recovery_left = recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(Status { enrolled, recovery_left })
}

/// Confirms enrolment with `secret` (the one the enrolment page showed, kept by the session)
/// and a code made from it; on success stores the secret as the account's and returns the
/// recovery codes (shown once: only their hashes are kept). `None`: the code is wrong, or the
/// account is enrolled already.
pub fn confirm(conn: &mut PgConnection, user_id: i64, secret: &str, code: &str) -> QueryResult<Option<Vec<String>>> {
    // The user's row first: two confirmations of one account queue here.
    crate::db::schema::users::table
        .find(user_id)
        .select(crate::db::schema::users::id)
        .for_update()
        .first::<i64>(conn)?;
    let confirmed: Option<Option<chrono::DateTime<Utc>>> =
        two_factor::table.find(user_id).select(two_factor::confirmed_at).first(conn).optional()?;
    if confirmed.flatten().is_some() {
        return Ok(None);
    }
    let Some(step) = matching_step(secret, &normalise(code), now_secs()) else { return Ok(None) };
    let row = (
        two_factor::user_id.eq(user_id),
        two_factor::secret.eq(secret),
        two_factor::confirmed_at.eq(Some(Utc::now())),
        two_factor::last_step.eq(step),
    );
    diesel::insert_into(two_factor::table)
        .values(row)
        .on_conflict(two_factor::user_id)
        .do_update()
        .set((
            two_factor::secret.eq(secret),
            two_factor::confirmed_at.eq(Some(Utc::now())),
            two_factor::last_step.eq(step),
        ))
        .execute(conn)?;
    Ok(Some(new_recovery_codes(conn, user_id)?))
}

/// Replaces a user's recovery codes with [`RECOVERY_CODES`] fresh ones, returned in clear.
pub fn new_recovery_codes(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<String>> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
    // Ten characters of an alphabet without look-alikes (no 0/o, 1/l/i), as xxxxx-xxxxx.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    let rows: Vec<_> =
        codes.iter().map(|c| (recovery_codes::user_id.eq(user_id), recovery_codes::code_hash.eq(hash(c)))).collect();
    diesel::insert_into(recovery_codes::table).values(rows).execute(conn)?;
    Ok(codes)
}

/// Checks a code typed by an enrolled user: an authenticator code (6 digits) or a recovery
/// code. Whatever is accepted is used up, in this transaction.
pub fn check(conn: &mut PgConnection, user_id: i64, typed: &str) -> QueryResult<Checked> {
    let code = normalise(typed);
    if code.is_empty() || code.len() > 32 {
        return Ok(Checked::Invalid);
    }
    let Some((secret, last)) = two_factor::table
        .find(user_id)
        .filter(two_factor::confirmed_at.is_not_null())
        .select((two_factor::secret, two_factor::last_step))
        .for_update()
        .get_result::<(String, Option<i64>)>(conn)
        .optional()?
    else {
        return Ok(Checked::Invalid);
    };
    if code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(match matching_step(&secret, &code, now_secs()) {
            Some(step) if last.is_some_and(|l| step <= l) => Checked::Replayed,
            Some(step) => {
                diesel::update(two_factor::table.find(user_id)).set(two_factor::last_step.eq(step)).execute(conn)?;
                Checked::Code
            }
            None => Checked::Invalid,
        });
    }
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash(&code)))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Utc::now()))
    .execute(conn)?;
    if used == 0 {
        return Ok(Checked::Invalid);
    }
    Ok(Checked::Recovery { left: status(conn, user_id)?.recovery_left })
}

/// Removes a user's two-factor (secret and recovery codes): they sign in with a password
/// alone until they enrol again — or are sent to enrolment, if their role requires it.
pub fn remove(conn: &mut PgConnection, user_id: i64) -> QueryResult<bool> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
    Ok(diesel::delete(two_factor::table.find(user_id)).execute(conn)? > 0)
}

/// The roles whose users must use two-factor.
pub fn required_roles(conn: &mut PgConnection) -> QueryResult<Vec<Role>> {
    let names: Vec<String> = two_factor_roles::table.select(two_factor_roles::role).load(conn)?;
    Ok(Role::ALL.into_iter().filter(|r| names.iter().any(|n| n == r.as_str())).collect())
}

/// Per role, (role, active users, of whom enrolled): what the policy page shows.
pub fn enrolled_by_role(conn: &mut PgConnection) -> QueryResult<Vec<(String, i64, i64)>> {
    use crate::db::schema::{two_factor as tf, users};
    users::table
        .left_join(tf::table.on(tf::user_id.eq(users::id).and(tf::confirmed_at.is_not_null())))
        .filter(users::status.eq(crate::accounts::ACTIVE))
        .group_by(users::role)
        .select((users::role, diesel::dsl::count(users::id), diesel::dsl::count(tf::user_id.nullable())))
        .load(conn)
}

/// Whether `user` must enrol before reaching anything: their role requires two-factor and they
/// have not confirmed it. One query.
pub fn must_enrol(conn: &mut PgConnection, user: &crate::accounts::User) -> QueryResult<bool> {
    let confirmed = two_factor::table
        .filter(two_factor::user_id.eq(user.id))
        .filter(two_factor::confirmed_at.is_not_null())
        .select(two_factor::user_id);
    diesel::select(
        diesel::dsl::exists(two_factor_roles::table.find(&user.role))
            .and(diesel::dsl::not(diesel::dsl::exists(confirmed))),
    )
    .get_result(conn)
}

/// Whether users of `role` (as stored in `users.role`) must use two-factor.
pub fn required_for(conn: &mut PgConnection, role: &str) -> QueryResult<bool> {
    Ok(two_factor_roles::table.find(role).count().get_result::<i64>(conn)? > 0)
}

/// Sets the roles that must use two-factor (all of them at once).
pub fn set_required_roles(conn: &mut PgConnection, roles: &[Role]) -> QueryResult<()> {
    diesel::delete(two_factor_roles::table).execute(conn)?;
    let rows: Vec<_> = roles.iter().map(|r| two_factor_roles::role.eq(r.as_str())).collect();
    diesel::insert_into(two_factor_roles::table).values(rows).on_conflict_do_nothing().execute(conn)?;
    Ok(())
}

/// Enrols a user with a known secret at once (the demo data's documented login).
pub fn enrol_with(conn: &mut PgConnection, user_id: i64, secret: &str) -> QueryResult<()> {
    diesel::insert_into(two_factor::table)
        .values((
            two_factor::user_id.eq(user_id),
            two_factor::secret.eq(secret),
            two_factor::confirmed_at.eq(Some(Utc::now())),
        ))
        .on_conflict(two_factor::user_id)
        .do_update()
        .set((two_factor::secret.eq(secret), two_factor::confirmed_at.eq(Some(Utc::now()))))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_its_neighbours_only() {
        let secret = new_secret();
        let t = totp(&secret, "a@example.com").unwrap();
        let now = 1_700_000_000;
        let step = i64::try_from(now / STEP).unwrap();
        for d in [-1i64, 0, 1] {
            let code = t.generate(u64::try_from(step + d).unwrap() * STEP);
            assert_eq!(matching_step(&secret, &code, now), Some(step + d));
        }
        let far = t.generate(u64::try_from(step + 2).unwrap() * STEP);
        // A code two steps away may coincide with a nearer one by chance (1 in 10^6).
        if ![-1i64, 0, 1].iter().any(|d| t.generate(u64::try_from(step + d).unwrap() * STEP) == far) {
            assert_eq!(matching_step(&secret, &far, now), None);
        }
    }

    #[test]
    fn recovery_codes_are_read_as_typed() {
        assert_eq!(hash("ABCDE-FGHJK"), hash(" abcde fghjk "));
        assert_ne!(hash("abcde-fghjk"), hash("abcde-fghjm"));
    }
}
