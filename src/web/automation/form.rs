//! The rule form page shared by create and edit.

use crate::auth::Viewer;
use crate::automation::model::{RuleForm, ACTIONS, TRIGGERS};
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use askama::Template;

#[derive(Template)]
#[template(path = "automation/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub heading: String,
    pub action_url: String,
    pub submit_label: &'static str,
    pub form: RuleForm,
    pub errors: FieldErrors,
    pub conflict: Option<String>,
    pub groups: Vec<(i64, String)>,
    pub triggers: &'static [(&'static str, &'static str)],
    pub actions: &'static [(&'static str, &'static str)],
}

impl FormPage {
    /// ` selected` when the option `key` is the form's value.
    pub fn selected(&self, value: &str, key: &str) -> &'static str {
        if value == key {
            " selected"
        } else {
            ""
        }
    }
}

/// The form page for a new rule (`id` None) or rule `id`.
pub fn form_page(
    viewer: &Viewer,
    id: Option<i64>,
    form: RuleForm,
    errors: FieldErrors,
    groups: Vec<(i64, String)>,
) -> FormPage {
    let (heading, action_url, submit_label) = match id {
        None => ("New automation rule".to_string(), "/automation/new".to_string(), "Create rule"),
        Some(id) => (format!("Edit rule “{}”", form.name), format!("/automation/{id}"), "Save rule"),
    };
    FormPage {
        layout: viewer.layout("/automation"),
        heading,
        action_url,
        submit_label,
        form,
        errors,
        conflict: None,
        groups,
        triggers: TRIGGERS,
        actions: ACTIONS,
    }
}
