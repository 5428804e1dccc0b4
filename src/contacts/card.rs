//! The contact card's contents for one reader: the record, its owners, tags and groups, what
//! the reader may do with it, who else reaches it and why, and its history. Reading it needs
//! the contact to be visible to the reader ([`access::authorize`] for viewing; a contact the
//! reader cannot see is "not found").

use super::owners::{self, CoOwner};
use super::{model, Contact};
use crate::access::explain::{self, Who, Why};
use crate::access::{self, Denied, Operation, Subject};
use crate::audit::Row;
use diesel::prelude::*;

/// Entries of the card's "History".
const HISTORY: i64 = 30;

/// Everything the card shows that comes from the database.
pub struct CardData {
    pub contact: Contact,
    pub main_owner: Option<(i64, String)>,
    pub co_owners: Vec<CoOwner>,
    pub tags: Vec<String>,
    pub groups: Vec<(i64, String)>,
    /// The groups the reader could add (only when they may assign).
    pub all_groups: Vec<(i64, String)>,
    pub mine: Why,
    pub who: Vec<Who>,
    pub why: Option<Why>,
    pub can_edit: bool,
    pub can_assign: bool,
    pub can_delete: bool,
    pub can_confidential: bool,
    pub is_admin: bool,
    /// The reader may open users' cards (the names in "who can see" link to them).
    pub reads_users: bool,
    /// The reader's user id ("Set me" displaces someone only when the main owner is another).
    pub me: i64,
    /// The contact's audit history (SPEC screen 6).
    pub history: Vec<Row>,
}

impl CardData {
    /// "Set me" would take the contact from another main owner (so it asks first).
    pub fn set_me_displaces(&self) -> bool {
        self.main_owner.as_ref().is_some_and(|(o, _)| *o != self.me)
    }
}

/// The card of contact `id` for the reader `s` (whose email is `email`); `why_email` asks, for
/// an Administrator, why that user can or cannot reach it.
pub fn load(
    c: &mut PgConnection,
    s: &Subject,
    email: &str,
    id: i64,
    why_email: Option<&str>,
) -> Result<CardData, Denied> {
    let (cf, d) = access::authorize(c, s, id, Operation::View)?;
    let contact = model::find(c, id)?;
    let main_owner = match contact.main_owner_id {
        Some(o) => crate::accounts::find(c, o)?.map(|u| (u.id, u.email)),
        None => None,
    };
    let permits = |op| access::ops::permits(s, &d, op).is_ok();
    let can_assign = permits(Operation::Assign);
    let all_groups = if can_assign { crate::access_groups::choices(c)? } else { Vec::new() };
    let ending = access::ends::Ending::of_contact(c, id)?;
    let why = match why_email.map(str::trim).filter(|e| s.administrator && !e.is_empty()) {
        Some(email) => Some(explain::why(c, email, &cf, &ending)?),
        None => None,
    };
    Ok(CardData {
        history: crate::audit::history(c, "contact", id, HISTORY)?,
        main_owner,
        co_owners: owners::co_owners(c, id)?,
        tags: model::tags_of(c, id)?,
        groups: model::groups_of(c, id)?,
        all_groups,
        mine: explain::explain(email.to_string(), s.user_id, &d, &ending),
        who: explain::who_reaches(c, &cf, &ending)?,
        why,
        can_edit: permits(Operation::Edit),
        can_assign,
        can_delete: permits(Operation::Delete),
        can_confidential: permits(Operation::Confidential),
        is_admin: s.administrator,
        reads_users: crate::access::authority::read_users(s).is_ok(),
        me: s.user_id,
        contact,
    })
}
