//! What can happen to a set of contacts: the events [`crate::events::after`] dispatches.

/// What happened to a set of contacts.
#[derive(Debug, Clone)]
pub enum Event {
    Created,
    /// Tags were added (the tags).
    TagsAdded(Vec<String>),
    /// A public form was submitted (the form id).
    FormSubmitted(i64),
    Imported,
    /// Fields, groups or owners changed.
    Changed,
}
