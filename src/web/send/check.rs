//! The checks that need the database, and the audience split.

use super::request::{SendRequest, Sender};
use crate::access::{facts, Subject};
use crate::error::AppError;
use crate::messaging::audience::{self, Audience, Counts};
use crate::messaging::templates::{self, Listed, MessageTemplate};
use crate::validation::FieldErrors;
use diesel::prelude::*;

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
    let groups = crate::access_groups::choices(c)?;
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
            format!("This is an {} template; choose a {} template.", t.channel().label(), req.channel.label()),
        ),
        Some(_) => {}
    }
    let mut group_name = None;
    if let Audience::Group { group_id } = req.audience {
        group_name = crate::access_groups::name_of(c, group_id)?;
        if group_name.is_none() {
            e.add("group", "This access group does not exist.");
        }
    }
    let (Some(template), true) = (template, e.is_empty()) else {
        return Ok(Err(e));
    };
    let subject = facts::subject(c, sender.reader.user_id)?.ok_or(AppError::NotFound)?;
    let counts = audience::count(c, &subject, req.channel, &req.audience)?;
    Ok(Ok(Checked { subject, template, group_name, counts }))
}
