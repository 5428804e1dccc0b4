//! Delivering queued email. SMS stay queued: there is no SMS gateway.
//!
//! Delivery goes in three steps, so no row lock and no transaction is held while an SMTP server
//! takes its time: [`claim`] marks a chunk of due email `sending` (`FOR UPDATE SKIP LOCKED`:
//! several instances may claim at once) and commits; each message is handed to a [`Mailer`];
//! [`record`] marks it sent, failed, or — for a failure that may pass — queued again after a
//! growing pause ([`RETRY_AFTER`]), until [`MAX_ATTEMPTS`]. A message left `sending` by an
//! instance that stopped is queued again by [`reclaim`]: delivery is at-least-once.

use crate::db::schema::outbox_messages;
use anyhow::Context;
use chrono::{TimeDelta, Utc};
use diesel::prelude::*;

/// Attempts before a message that keeps failing for a passing reason is marked failed.
pub const MAX_ATTEMPTS: i32 = 5;
/// The pause before the next attempt: this, doubled at each attempt.
pub const RETRY_AFTER: TimeDelta = TimeDelta::minutes(1);
/// A message `sending` for longer than this was left by a stopped instance (a round claims few
/// messages, so it ends well within this even with a slow server: 20 s per message at most).
pub const CLAIM_LOST_AFTER: TimeDelta = TimeDelta::minutes(10);

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server refused it for good (a 5xx answer, an address that cannot be): marked failed.
    Permanent(String),
    /// It may pass (a 4xx answer, a server that did not answer): tried again later.
    Transient(String),
}

impl From<&str> for Failure {
    fn from(why: &str) -> Failure {
        Failure::Permanent(why.to_string())
    }
}

/// Something that sends one email.
pub trait Mailer {
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), Failure>;
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
}

/// A claimed message.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    /// Attempts before this one.
    pub attempts: i32,
    /// When it was claimed: the claim's mark, so an outcome is recorded only by the claim
    /// that sent it (not over a later claim, once this one counted as lost).
    pub claimed_at: chrono::DateTime<Utc>,
}

/// Marks up to `limit` due email messages, oldest first, `sending`, and returns them (its own
/// transaction: the claim commits before anything is sent).
pub fn claim(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Claimed>> {
    conn.transaction(|conn| {
        // (In whole microseconds, as PostgreSQL keeps it, so `record` can compare it.)
        let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
        let rows: Vec<(i64, String, Option<String>, String, i32)> = outbox_messages::table
            .filter(outbox_messages::status.eq("queued"))
            .filter(outbox_messages::channel.eq("email"))
            .filter(outbox_messages::next_attempt_at.is_null().or(outbox_messages::next_attempt_at.le(now)))
            .order(outbox_messages::id)
            .limit(limit)
            .select((
                outbox_messages::id,
                outbox_messages::to_address,
                outbox_messages::subject,
                outbox_messages::body,
                outbox_messages::attempts,
            ))
            .for_update()
            .skip_locked()
            .load(conn)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        diesel::update(outbox_messages::table.filter(outbox_messages::id.eq_any(&ids)))
            .set((outbox_messages::status.eq("sending"), outbox_messages::claimed_at.eq(now)))
            .execute(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, to, subject, body, attempts)| Claimed { id, to, subject, body, attempts, claimed_at: now })
            .collect())
    })
}

/// Records how the sending of `m` went.
pub fn record(conn: &mut PgConnection, m: &Claimed, outcome: &Result<(), Failure>) -> QueryResult<()> {
    let mine = outbox_messages::table
        .find(m.id)
        .filter(outbox_messages::status.eq("sending"))
        .filter(outbox_messages::claimed_at.eq(m.claimed_at));
    let attempts = m.attempts + 1;
    match outcome {
        Ok(()) => diesel::update(mine)
            .set((
                outbox_messages::status.eq("sent"),
                outbox_messages::sent_at.eq(Utc::now()),
                outbox_messages::attempts.eq(attempts),
            ))
            .execute(conn)?,
        Err(Failure::Transient(why)) if attempts < MAX_ATTEMPTS => diesel::update(mine)
            .set((
                outbox_messages::status.eq("queued"),
                outbox_messages::attempts.eq(attempts),
                outbox_messages::next_attempt_at.eq(Utc::now() + RETRY_AFTER * 2i32.pow(attempts as u32 - 1)),
                outbox_messages::error.eq(format!("attempt {attempts} failed, will try again: {why}")),
            ))
            .execute(conn)?,
        Err(Failure::Permanent(why) | Failure::Transient(why)) => diesel::update(mine)
            .set((
                outbox_messages::status.eq("failed"),
                outbox_messages::attempts.eq(attempts),
                outbox_messages::error.eq(why),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Queues again the messages a stopped instance left `sending`. Returns how many.
pub fn reclaim(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::update(
        outbox_messages::table
            .filter(outbox_messages::status.eq("sending"))
            .filter(outbox_messages::claimed_at.lt(Utc::now() - CLAIM_LOST_AFTER)),
    )
    .set(outbox_messages::status.eq("queued"))
    .execute(conn)
}

/// Claims up to `limit` due email messages, sends them and records each, on one connection but
/// holding no lock while sending. (The worker, [`deliver`], gives the connection back between
/// the steps.)
pub fn deliver_pending(conn: &mut PgConnection, mailer: &dyn Mailer, limit: i64) -> QueryResult<Delivered> {
    let mut done = Delivered::default();
    for m in claim(conn, limit)? {
        let outcome = mailer.send(&m.to, m.subject.as_deref().unwrap_or(""), &m.body);
        record(conn, &m, &outcome)?;
        tally(&mut done, &outcome);
    }
    Ok(done)
}

fn tally(done: &mut Delivered, outcome: &Result<(), Failure>) {
    match outcome {
        Ok(()) => done.sent += 1,
        Err(_) => done.failed += 1,
    }
}

/// One round of the worker (blocking): gives back what a stopped instance left, claims a
/// chunk, sends it with no connection held, records each outcome.
pub fn deliver(db: &crate::db::Db, mailer: &dyn Mailer, limit: i64) -> Result<Delivered, crate::error::AppError> {
    let claimed = {
        let mut c = db.get_blocking()?;
        reclaim(&mut c)?;
        claim(&mut c, limit)?
    };
    let mut done = Delivered::default();
    for m in claimed {
        let outcome = mailer.send(&m.to, m.subject.as_deref().unwrap_or(""), &m.body);
        let mut c = db.get_blocking()?;
        record(&mut c, &m, &outcome)?;
        tally(&mut done, &outcome);
    }
    Ok(done)
}

/// A [`Mailer`] over SMTP (lettre, blocking; TLS by rustls with the webpki roots).
pub struct SmtpMailer {
    transport: lettre::SmtpTransport,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    /// From an SMTP URL and the sender address. The URL is lettre's:
    /// - `smtps://user:pass@host[:465]`: TLS from the first byte;
    /// - `smtp://user:pass@host[:587]?tls=required`: STARTTLS, refused if the server lacks it;
    /// - `smtp://host[:port]`: unencrypted, for a relay on the same machine or network.
    ///
    /// Credentials are refused on an unencrypted (or opportunistic) connection: they would
    /// cross the network readable.
    pub fn new(url: &str, from: &str) -> anyhow::Result<SmtpMailer> {
        let has_credentials = url
            .split_once("://")
            .is_some_and(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default().contains('@'));
        let encrypted = url.starts_with("smtps://") || url.contains("tls=required");
        anyhow::ensure!(
            !has_credentials || encrypted,
            "SMTP_URL carries credentials without TLS: use smtps://… or smtp://…?tls=required"
        );
        let transport = lettre::SmtpTransport::from_url(url)
            .map_err(|e| {
                anyhow::anyhow!("SMTP_URL is not a usable SMTP address ({e}): e.g. smtps://user:pass@smtp.example.com")
            })?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().context("SMTP_FROM is not an email address")?;
        Ok(SmtpMailer { transport, from })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), Failure> {
        use lettre::Transport;
        let to: lettre::message::Mailbox = to.parse().map_err(|e| Failure::Permanent(format!("bad address: {e}")))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_string())
            .map_err(|e| Failure::Permanent(format!("could not build the message: {e}")))?;
        self.transport.send(&message).map(|_| ()).map_err(|e| {
            // A 5xx answer is final; anything else (4xx, no answer) may pass.
            if e.is_permanent() {
                Failure::Permanent(format!("SMTP: {e}"))
            } else {
                Failure::Transient(format!("SMTP: {e}"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::SmtpMailer;

    fn refused(url: &str) -> String {
        SmtpMailer::new(url, "noreply@example.com").err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn smtp_urls_with_tls_and_login_are_taken_and_credentials_never_travel_in_clear() {
        for ok in [
            "smtp://127.0.0.1:2525",
            "smtps://user:secret@smtp.example.com",
            "smtp://user:secret@smtp.example.com:587?tls=required",
        ] {
            assert_eq!(refused(ok), "", "{ok}");
        }
        for clear in ["smtp://user:secret@smtp.example.com", "smtp://user:secret@smtp.example.com?tls=opportunistic"] {
            assert!(refused(clear).contains("credentials without TLS"), "{clear}");
        }
        assert!(refused("mail.example.com:25").contains("not a usable SMTP address"));
        assert!(SmtpMailer::new("smtp://127.0.0.1", "not an address").is_err());
    }
}
