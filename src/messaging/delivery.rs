//! Delivering queued email. SMS stay queued: there is no SMS gateway.
//!
//! [`deliver_pending`] claims a chunk of queued email with `FOR UPDATE SKIP LOCKED` (several
//! instances may run it at once), hands each message to a [`Mailer`] and records sent or failed.
//! If the process dies mid-chunk the transaction rolls back and those messages are sent again:
//! delivery is at-least-once.

use crate::db::schema::outbox_messages;
use anyhow::Context;
use chrono::Utc;
use diesel::prelude::*;

/// Something that sends one email.
pub trait Mailer {
    /// Sends; `Err` carries a message for the outbox.
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
}

/// Sends up to `limit` queued email messages, oldest first, and marks each sent or failed.
pub fn deliver_pending(conn: &mut PgConnection, mailer: &dyn Mailer, limit: i64) -> QueryResult<Delivered> {
    conn.transaction(|conn| {
        let chunk: Vec<(i64, String, Option<String>, String)> = outbox_messages::table
            .filter(outbox_messages::status.eq("queued"))
            .filter(outbox_messages::channel.eq("email"))
            .order(outbox_messages::id)
            .limit(limit)
            .select((outbox_messages::id, outbox_messages::to_address, outbox_messages::subject, outbox_messages::body))
            .for_update()
            .skip_locked()
            .load(conn)?;
        let mut sent = Vec::new();
        let mut failed = 0;
        for (id, to, subject, body) in chunk {
            match mailer.send(&to, subject.as_deref().unwrap_or(""), &body) {
                Ok(()) => sent.push(id),
                Err(e) => {
                    failed += 1;
                    diesel::update(outbox_messages::table.find(id))
                        .set((outbox_messages::status.eq("failed"), outbox_messages::error.eq(e)))
                        .execute(conn)?;
                }
            }
        }
        diesel::update(outbox_messages::table.filter(outbox_messages::id.eq_any(&sent)))
            .set((outbox_messages::status.eq("sent"), outbox_messages::sent_at.eq(Utc::now())))
            .execute(conn)?;
        Ok(Delivered { sent: sent.len(), failed })
    })
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
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        use lettre::Transport;
        let to: lettre::message::Mailbox = to.parse().map_err(|e| format!("bad address: {e}"))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_string())
            .map_err(|e| format!("could not build the message: {e}"))?;
        self.transport.send(&message).map(|_| ()).map_err(|e| format!("SMTP: {e}"))
    }
}

/// Runs [`deliver_pending`] every few seconds on the blocking pool, forever.
pub async fn run_worker(db: crate::db::Db, mailer: std::sync::Arc<SmtpMailer>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        let mailer = mailer.clone();
        let done = db.run(move |c| Ok(deliver_pending(c, mailer.as_ref(), 50)?)).await;
        match done {
            Ok(d) if d.sent + d.failed > 0 => tracing::info!(sent = d.sent, failed = d.failed, "outbox delivery"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox delivery failed"),
        }
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
