//! The send form: parsing what was typed, and who is sending.

use crate::auth::Viewer;
use crate::error::AppError;
use crate::messaging::audience::Audience;
use crate::messaging::templates::Reader;
use crate::messaging::Channel;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};

/// The send form as typed (query string of the preview, body of the POST).
#[derive(Deserialize, Serialize, Default, Debug, Clone)]
#[serde(default)]
pub struct SendForm {
    pub channel: String,
    pub template: String,
    /// "tag", "group" or "filter".
    pub audience: String,
    pub tag: String,
    pub group: String,
    pub q: String,
    pub category: String,
    /// The preview's token (POST only).
    pub token: String,
}

/// A request that passed the checks needing no database.
#[derive(Debug, Clone)]
pub struct SendRequest {
    pub channel: Channel,
    pub template_id: i64,
    pub audience: Audience,
}

/// Who is sending, as the checks need it.
#[derive(Clone, Copy)]
pub struct Sender {
    pub reader: Reader,
    pub can_view_contacts: bool,
    pub perms: crate::permissions::PermSet,
    /// An SMTP server is configured: otherwise email stays queued, and the pages say so.
    pub mail_server: bool,
}

/// Whether this server delivers email (`SMTP_URL` set), for the send pages.
#[derive(Clone, Copy)]
pub struct MailServer(pub bool);

impl Sender {
    /// The signed-in user as a sender: refused unless they may send on some channel.
    pub fn of(viewer: &Viewer, mail: &MailServer) -> Result<Sender, crate::error::AppError> {
        viewer.require_any(&[Perm::EmailSend, Perm::SmsSend])?;
        Ok(Sender {
            reader: crate::web::message_templates::reader(viewer),
            can_view_contacts: viewer.has(Perm::ContactsView),
            perms: viewer.perms(),
            mail_server: mail.0,
        })
    }

    /// The channels this user may send on.
    pub fn channels(&self) -> Vec<Channel> {
        Channel::ALL.into_iter().filter(|c| self.perms.contains(c.send_perm())).collect()
    }
}

impl SendForm {
    /// Checks the form fields; a channel the user may not send on is refused outright (403).
    pub fn parse(&self, sender: &Sender) -> Result<Result<SendRequest, FieldErrors>, AppError> {
        let mut e = FieldErrors::default();
        let channel = Channel::parse(self.channel.trim());
        match channel {
            None => e.add("channel", "Choose email or SMS."),
            Some(c) if !sender.perms.contains(c.send_perm()) => {
                return Err(AppError::forbidden(format!("lacks {}", c.send_perm())));
            }
            Some(_) => {}
        }
        let template_id = self.template.trim().parse::<i64>().ok();
        if template_id.is_none() {
            e.add("template", "Choose a template.");
        }
        let audience = match self.audience.as_str() {
            "tag" if self.tag.trim().is_empty() => {
                e.add("tag", "Enter the tag of the contacts to send to.");
                None
            }
            "tag" => Some(Audience::Tag { tag: self.tag.trim().to_string() }),
            "group" => match self.group.trim().parse::<i64>() {
                Ok(group_id) => Some(Audience::Group { group_id }),
                Err(_) => {
                    e.add("group", "Choose an access group.");
                    None
                }
            },
            "filter" if !sender.can_view_contacts => {
                e.add("audience", "Choosing contacts by name, email or category needs permission to view contacts; choose a tag or an access group.");
                None
            }
            "filter" => Some(Audience::Filter {
                q: self.q.trim().to_string(),
                tag: self.tag.trim().to_string(),
                category: self.category.trim().to_string(),
            }),
            _ => {
                e.add("audience", "Choose who receives the message.");
                None
            }
        };
        Ok(match (channel, template_id, audience) {
            (Some(channel), Some(template_id), Some(audience)) if e.is_empty() => {
                Ok(SendRequest { channel, template_id, audience })
            }
            _ => Err(e),
        })
    }

    /// The preview's query string (to go back and change the choice).
    pub fn query(&self) -> String {
        let mut f = self.clone();
        f.token.clear();
        serde_urlencoded::to_string(&f).unwrap_or_default()
    }
}
