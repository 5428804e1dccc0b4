//! Templates screens (SPEC screen 13): list, create, view, edit, delete, share and copy.
//! Every handler checks its catalog permission first, then ownership: a template the user
//! cannot see is "not found", one they can see but not change is "forbidden".

pub mod delete;
pub mod edit;
pub mod list;
pub mod new;
pub mod share;
pub mod show;

use crate::auth::Viewer;
use crate::messaging::templates::{Reader, TemplateForm};
use crate::messaging::{Channel, SMS_MAX_CHARS};
use crate::permissions::Role;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use askama::Template;

/// The signed-in user as a template reader.
pub fn reader(viewer: &Viewer) -> Reader {
    Reader { user_id: viewer.id(), administrator: viewer.user.role() == Role::Administrator }
}

/// The create/edit form.
#[derive(Template)]
#[template(path = "message_templates/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub title: String,
    pub action: String,
    pub form: TemplateForm,
    pub errors: FieldErrors,
    /// Shown above the form (a stale edit).
    pub notice: Option<String>,
    pub channels: [Channel; 2],
    pub sms_max: usize,
}

impl FormPage {
    pub fn new(layout: Layout, title: String, action: String, form: TemplateForm, errors: FieldErrors) -> FormPage {
        FormPage { layout, title, action, form, errors, notice: None, channels: Channel::ALL, sms_max: SMS_MAX_CHARS }
    }
}
