//! Send (SPEC screen 15): a template to an audience. GET /send (the form), GET /send/preview
//! (who receives it, who is left out and why), POST /send (queue the messages if nothing
//! changed since the preview).
//!
//! Users without contacts.view (the Sending operator) see counts only, never contact rows,
//! and may choose the audience by tag or access group only (a name/email fragment would let
//! them probe the contact base through the counts).

pub mod check;
pub mod confirm;
pub mod form;
pub mod pages;
pub mod preview;
pub mod request;

pub use check::{check, choices, Checked, Choices};
pub use pages::{FormPage, PreviewPage};
pub use request::{MailServer, SendForm, SendRequest, Sender};
