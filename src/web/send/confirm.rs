//! POST /send: queues one outbox message per recipient, in one INSERT … SELECT, if the
//! recipients and the template are still exactly what the preview showed. Otherwise the new
//! preview is shown with a notice and nothing is queued.

use super::{check, choices, FormPage, PreviewPage, SendForm, Sender};
use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::messaging::{audience, outbox};
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

enum Outcome {
    Invalid(FormPage),
    Changed(PreviewPage),
    Sent { batch_id: i64, recipients: usize },
}

/// Sends (queues) the previewed message.
#[tracing::instrument(skip_all)]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    mail: web::Data<super::MailServer>,
    form: web::Form<SendForm>,
) -> Result<HttpResponse, AppError> {
    let sender = Sender::of(&viewer, &mail)?;
    let form = form.into_inner();
    let layout = viewer.layout("/send");
    let (uid, ip) = (viewer.id(), viewer.ip.clone());
    let parsed = form.parse(&sender)?;
    // One snapshot for the check and the insert: what is compared is what is queued.
    let outcome = db
        .run(move |c| {
            c.build_transaction().repeatable_read().run(|c| {
                let req = match parsed {
                    Ok(r) => r,
                    Err(errors) => {
                        return Ok(Outcome::Invalid(FormPage::new(layout, &sender, form, errors, choices(c, &sender)?)))
                    }
                };
                let checked = match check(c, &sender, &req)? {
                    Ok(ch) => ch,
                    Err(errors) => {
                        return Ok(Outcome::Invalid(FormPage::new(layout, &sender, form, errors, choices(c, &sender)?)))
                    }
                };
                if checked.token() != form.token || checked.counts.recipients == 0 {
                    let mut p = PreviewPage::build(c, layout, &sender, form, &req, checked)?;
                    p.notice = Some(if p.counts.recipients == 0 {
                        "Nobody would receive this message, so nothing was sent.".into()
                    } else {
                        "The recipients or the template changed since your preview, so nothing was sent. \
                         Check the new numbers and send again."
                            .into()
                    });
                    return Ok(Outcome::Changed(p));
                }
                let selection = serde_json::to_value(&req.audience).map_err(anyhow::Error::from)?;
                let stored = serde_json::json!({ "selection": selection, "group_name": checked.group_name });
                let batch_id = outbox::create_batch(c, uid, req.channel, checked.template.id, stored.clone())?;
                let message = audience::Message {
                    batch_id,
                    channel: req.channel,
                    subject: checked.template.subject.as_deref(),
                    body: &checked.template.body,
                    created_by: uid,
                };
                let n = audience::enqueue(c, &checked.subject, &req.audience, &message)?;
                outbox::set_recipients(c, batch_id, n)?;
                let k = &checked.counts;
                audit::Entry::new(Some(uid), "send.batch", "send_batch", batch_id)
                    .after(serde_json::json!({
                        "channel": req.channel.as_str(), "template_id": checked.template.id,
                        "template_name": checked.template.name, "audience": stored,
                        "matched": k.total, "recipients": n,
                        "read_only_or_view": k.limited, "no_address": k.no_address,
                    }))
                    .ip(ip)
                    .record(c)?;
                Ok(Outcome::Sent { batch_id, recipients: n })
            })
        })
        .await?;
    match outcome {
        Outcome::Invalid(p) => render(p, StatusCode::UNPROCESSABLE_ENTITY),
        Outcome::Changed(p) => render(p, StatusCode::CONFLICT),
        Outcome::Sent { batch_id, recipients } => {
            let noun = if recipients == 1 { "message" } else { "messages" };
            viewer.flash(FlashKind::Success, format!("{recipients} {noun} queued."));
            Ok(see_other(&format!("/outbox/{batch_id}")))
        }
    }
}
