//! Send (SPEC screen 15): a template to an audience. GET /send (the form), GET /send/preview
//! (who receives it, who is left out and why), POST /send (queue the messages if nothing
//! changed since the preview).
//!
//! Users without contacts.view (the Sending operator) see counts only, never contact rows,
//! and may choose the audience by tag or access group only (a name/email fragment would let
//! them probe the contact base through the counts).

pub mod confirm;
pub mod form;
pub mod preview;

use crate::access::{facts, Subject};
use crate::auth::Viewer;
use crate::db::schema::access_groups;
use crate::error::AppError;
use crate::messaging::audience::{self, Audience, Counts, SampleRow};
use crate::messaging::templates::{self, Listed, MessageTemplate, Reader};
use crate::messaging::Channel;
use crate::permissions::Perm;
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;
use askama::Template;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// How many recipients the preview lists for users who may view contacts.
const SAMPLE: i64 = 5;

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
}

impl Sender {
    pub fn of(viewer: &Viewer) -> Sender {
        Sender {
            reader: crate::web::templates::reader(viewer),
            can_view_contacts: viewer.has(Perm::ContactsView),
            perms: viewer.perms,
        }
    }

    /// The channels this user may send on.
    pub fn channels(&self) -> Vec<Channel> {
        Channel::ALL
            .into_iter()
            .filter(|c| self.perms.contains(c.send_perm()))
            .collect()
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
            "tag" => Some(Audience::Tag {
                tag: self.tag.trim().to_string(),
            }),
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
            (Some(channel), Some(template_id), Some(audience)) if e.is_empty() => Ok(SendRequest {
                channel,
                template_id,
                audience,
            }),
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

/// What the form page lists.
pub struct Choices {
    pub templates: Vec<Listed>,
    pub groups: Vec<(i64, String)>,
}

/// Templates the user may use and the access groups to choose from.
pub fn choices(c: &mut PgConnection, sender: &Sender) -> Result<Choices, AppError> {
    let channels = sender.channels();
    let templates = templates::visible(c, sender.reader, None)?
        .into_iter()
        .filter(|l| channels.contains(&l.template.channel()))
        .collect();
    let groups = access_groups::table
        .select((access_groups::id, access_groups::name))
        .order(access_groups::name)
        .load(c)?;
    Ok(Choices { templates, groups })
}

/// A request checked against the database, with its split.
pub struct Checked {
    pub subject: Subject,
    pub template: MessageTemplate,
    pub group_name: Option<String>,
    pub counts: Counts,
}

impl Checked {
    pub fn token(&self) -> String {
        self.counts.token(self.template.id, self.template.version)
    }
}

/// Checks the template (visible, of the channel) and the group, then counts the audience.
pub fn check(
    c: &mut PgConnection,
    sender: &Sender,
    req: &SendRequest,
) -> Result<Result<Checked, FieldErrors>, AppError> {
    let mut e = FieldErrors::default();
    let template = templates::find_visible(c, sender.reader, req.template_id)?;
    match &template {
        None => e.add("template", "Choose a template."),
        Some(t) if t.channel() != req.channel => e.add(
            "template",
            format!(
                "This is an {} template; choose a {} template.",
                t.channel().label(),
                req.channel.label()
            ),
        ),
        Some(_) => {}
    }
    let mut group_name = None;
    if let Audience::Group { group_id } = req.audience {
        group_name = access_groups::table
            .find(group_id)
            .select(access_groups::name)
            .first::<String>(c)
            .optional()?;
        if group_name.is_none() {
            e.add("group", "This access group does not exist.");
        }
    }
    let (Some(template), true) = (template, e.is_empty()) else {
        return Ok(Err(e));
    };
    let subject = facts::subject(c, sender.reader.user_id)?.ok_or(AppError::NotFound)?;
    let counts = audience::count(c, &subject, req.channel, &req.audience)?;
    Ok(Ok(Checked {
        subject,
        template,
        group_name,
        counts,
    }))
}

/// The send form.
#[derive(Template)]
#[template(path = "send/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub form: SendForm,
    pub errors: FieldErrors,
    pub channels: Vec<Channel>,
    pub templates: Vec<Listed>,
    pub groups: Vec<(i64, String)>,
    pub can_filter: bool,
    pub user_id: i64,
}

impl FormPage {
    pub fn new(layout: Layout, sender: &Sender, form: SendForm, errors: FieldErrors, ch: Choices) -> FormPage {
        FormPage {
            layout,
            form,
            errors,
            channels: sender.channels(),
            templates: ch.templates,
            groups: ch.groups,
            can_filter: sender.can_view_contacts,
            user_id: sender.reader.user_id,
        }
    }
}

/// The preview: counts, reasons, and (with contacts.view) a few recipients.
#[derive(Template)]
#[template(path = "send/preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub form: SendForm,
    pub channel: Channel,
    pub template: MessageTemplate,
    pub audience: String,
    pub counts: Counts,
    pub token: String,
    pub sample: Option<Vec<SampleRow>>,
    /// Set when a send was refused because the numbers changed.
    pub notice: Option<String>,
}

impl PreviewPage {
    /// Builds the preview of a checked request (loads the sample for users who may view contacts).
    pub fn build(
        c: &mut PgConnection,
        layout: Layout,
        sender: &Sender,
        form: SendForm,
        req: &SendRequest,
        checked: Checked,
    ) -> Result<PreviewPage, AppError> {
        let sample = if sender.can_view_contacts {
            Some(audience::sample(
                c,
                &checked.subject,
                req.channel,
                &req.audience,
                SAMPLE,
            )?)
        } else {
            None
        };
        Ok(PreviewPage {
            layout,
            form,
            channel: req.channel,
            audience: req.audience.describe(checked.group_name.as_deref()),
            token: checked.token(),
            counts: checked.counts,
            template: checked.template,
            sample,
            notice: None,
        })
    }
}
