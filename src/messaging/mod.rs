//! Messaging: templates (SPEC screen 13), sending to an audience through the outbox (screen 15)
//! and delivering queued email.
//!
//! Who receives a message is decided by the access rules alone ([`crate::access::filter::reaches`]
//! at level act); this module never writes visibility rules of its own.

pub mod audience;
pub mod delivery;
pub mod outbox;
pub mod templates;

use serde::{Deserialize, Serialize};

/// A message channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "Email",
            Channel::Sms => "SMS",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }

    /// The catalog permission that sending on this channel needs.
    pub fn send_perm(self) -> crate::permissions::Perm {
        match self {
            Channel::Email => crate::permissions::Perm::EmailSend,
            Channel::Sms => crate::permissions::Perm::SmsSend,
        }
    }

    /// The operation of SPEC 3 that sending on this channel is (its permission and level act).
    pub fn operation(self) -> crate::access::Operation {
        match self {
            Channel::Email => crate::access::Operation::SendEmail,
            Channel::Sms => crate::access::Operation::SendSms,
        }
    }

    /// The contacts column holding this channel's address.
    pub(crate) fn address_column(self) -> &'static str {
        match self {
            Channel::Email => "c.email",
            Channel::Sms => "c.phone",
        }
    }
}

/// The longest SMS body: six concatenated 153-character segments.
pub const SMS_MAX_CHARS: usize = 918;
