//! Delivering queued email. SMS stay queued: there is no SMS gateway.
//!
//! [`deliver_pending`] claims a chunk of queued email with `FOR UPDATE SKIP LOCKED` (several
//! instances may run it at once), hands each message to a [`Mailer`] and records sent or failed.
//! If the process dies mid-chunk the transaction rolls back and those messages are sent again:
//! delivery is at-least-once.

use crate::db::schema::outbox_messages;
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

/// A [`Mailer`] over SMTP (lettre, blocking, no TLS: point it at a local relay).
pub struct SmtpMailer {
    transport: lettre::SmtpTransport,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    /// From `smtp://host[:port]` and the sender address.
    pub fn new(url: &str, from: &str) -> anyhow::Result<SmtpMailer> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| anyhow::anyhow!("SMTP_URL must look like smtp://host:port"))?
            .trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| anyhow::anyhow!("SMTP_URL has a bad port: {p}"))?),
            None => (rest, 25),
        };
        anyhow::ensure!(
            !host.is_empty() && !host.contains('@'),
            "SMTP_URL needs a host (credentials are not supported)"
        );
        let from = from.parse().map_err(|e| anyhow::anyhow!("SMTP_FROM is not an email address: {e}"))?;
        let transport = lettre::SmtpTransport::builder_dangerous(host)
            .port(port)
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
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
