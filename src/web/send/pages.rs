//! The pages of the Send screen: the form and the preview.

use super::check::{Checked, Choices};
use super::request::{SendForm, SendRequest, Sender};
use crate::error::AppError;
use crate::messaging::audience::{self, Counts, SampleRow};
use crate::messaging::templates::{Listed, MessageTemplate};
use crate::messaging::Channel;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use askama::Template;
use diesel::prelude::*;

/// How many recipients the preview lists for users who may view contacts.
const SAMPLE: i64 = 5;

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
    pub mail_server: bool,
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
            mail_server: sender.mail_server,
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
    pub mail_server: bool,
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
            Some(audience::sample(c, &checked.subject, req.channel, &req.audience, SAMPLE)?)
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
            mail_server: sender.mail_server,
        })
    }
}
