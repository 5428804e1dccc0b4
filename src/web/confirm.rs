//! The confirmation page of a one-click action with consequences (deactivate a user, remove a
//! grant or a team member, share a rule): a GET of the action's own address says what will
//! happen and carries the form that POSTs it, as Django admin confirms a delete. The POST
//! stays the action (and checks everything again); the page only explains.

use crate::error::AppError;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    /// The question, e.g. "Deactivate Sam Salesperson?".
    pub title: String,
    /// What will happen, one sentence each.
    pub consequences: Vec<String>,
    /// Where the form posts (the action's address).
    pub action: String,
    /// Hidden fields the action needs.
    pub fields: Vec<(&'static str, String)>,
    pub button: &'static str,
    /// Where Cancel goes.
    pub back: String,
    /// The button is styled as dangerous (something is taken away).
    pub danger: bool,
}

impl ConfirmPage {
    pub fn new(layout: Layout, title: impl Into<String>, action: impl Into<String>, back: impl Into<String>) -> Self {
        ConfirmPage {
            layout,
            title: title.into(),
            consequences: Vec::new(),
            action: action.into(),
            fields: Vec::new(),
            button: "Confirm",
            back: back.into(),
            danger: true,
        }
    }

    pub fn then(mut self, consequence: impl Into<String>) -> Self {
        self.consequences.push(consequence.into());
        self
    }

    pub fn field(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.fields.push((name, value.into()));
        self
    }

    pub fn button(mut self, label: &'static str, danger: bool) -> Self {
        self.button = label;
        self.danger = danger;
        self
    }

    pub fn show(self) -> Result<HttpResponse, AppError> {
        page(self)
    }
}
