//! A reviewer's decisions: keep or remove, item by item, with a comment. A removal is the same
//! domain change the screens make — the wizard's rules for a preset or per-user grant
//! (`users::holdings`), the team page's for a membership, the group page's for a grant — made
//! with the authority of the Administrator who started the review (checked as they stand now)
//! and recorded as the reviewer's, via the review. A reviewer only removes: nothing here gives.

use super::{Item, Review};
use crate::access::{authority, facts, Denied, Subject};
use crate::audit::Actor;
use crate::db::schema::access_review_items as i;
use crate::db::views::access_group_grants;
use crate::users::holdings::{self, Holding};
use chrono::Utc;
use diesel::prelude::*;

/// Keep or remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Keep,
    Remove,
}

impl Choice {
    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "keep" => Some(Choice::Keep),
            "remove" => Some(Choice::Remove),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Choice::Keep => "keep",
            Choice::Remove => "remove",
        }
    }
}

/// What a round of decisions did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Decided {
    pub kept: usize,
    pub removed: usize,
    /// Removed already (ended, or taken elsewhere) when the removal came.
    pub gone: usize,
}

/// "Remove all unused": a removal of each item `who` may decide on review `review_id` that is
/// undecided, was not used in the window and is not `who`'s own access.
pub fn unused(c: &mut PgConnection, who: &Subject, review_id: i64) -> QueryResult<Vec<(i64, Choice, String)>> {
    Ok(super::items_for(c, who, review_id)?
        .into_iter()
        .map(|(i, _)| i)
        .filter(|i| i.decision.is_none() && !i.used && i.user_id != Some(who.user_id))
        .map(|i| (i.id, Choice::Remove, "not used in the review's window".to_string()))
        .collect())
}

/// Records `who`'s decisions on items of review `review_id`: (item, choice, comment). Only the
/// item's reviewer or an Administrator decides, never on their own access, once per item, while
/// the review is open. All or nothing (the caller's transaction).
pub fn decide(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    review_id: i64,
    decisions: &[(i64, Choice, String)],
) -> Result<Decided, Denied> {
    let rv = super::find(c, review_id)?.ok_or(Denied::NotFound)?;
    if !rv.is_open() {
        return Err(Denied::Forbidden("this review is closed".into()));
    }
    if !who.active {
        return Err(Denied::Forbidden("an inactive user decides nothing".into()));
    }
    let oversees = authority::reviews(who).is_ok();
    let mut done = Decided::default();
    for (item_id, choice, comment) in decisions {
        let item: Item = i::table
            .find(item_id)
            .filter(i::review_id.eq(review_id))
            .select(Item::as_select())
            .for_update()
            .first(c)
            .optional()?
            .ok_or(Denied::NotFound)?;
        if !(oversees || item.reviewer_id == Some(who.user_id)) {
            return Err(Denied::Forbidden(format!("item {item_id} is another reviewer's")));
        }
        if item.user_id == Some(who.user_id) {
            return Err(Denied::Forbidden("nobody reviews their own access".into()));
        }
        if item.decision.is_some() {
            continue;
        }
        let via = Actor { id: actor.id, ip: actor.ip.clone(), via: Some(format!("access review #{review_id}")) };
        // The item's reviewer removes with the authority of the review's starter; another
        // Administrator deciding it, with their own (never more than they could by hand).
        let authority = if item.reviewer_id == Some(who.user_id) { None } else { Some(who) };
        record(c, &rv, By::Person(&via, authority), &item, *choice, comment.trim(), &mut done)?;
    }
    Ok(done)
}

/// Who decides an item and with whose authority a removal is made.
pub(super) enum By<'a> {
    /// A person: the item's reviewer (with the starter's authority, `None`) or another
    /// Administrator (with their own).
    Person(&'a Actor, Option<&'a Subject>),
    /// The deadline's policy, with the starter's authority; nobody is recorded as deciding.
    Policy(&'a Actor),
}

/// Applies and records one decision.
pub(super) fn record(
    c: &mut PgConnection,
    rv: &Review,
    by: By,
    item: &Item,
    choice: Choice,
    comment: &str,
    done: &mut Decided,
) -> Result<(), Denied> {
    let (actor, authority, decided_by, by_policy) = match by {
        By::Person(a, authority) => (a, authority, Some(a.id), false),
        By::Policy(a) => (a, None, None, true),
    };
    let gone = match choice {
        Choice::Keep => {
            done.kept += 1;
            false
        }
        Choice::Remove => {
            let gone = !remove(c, rv, actor, authority, item)?;
            if gone {
                done.gone += 1;
            } else {
                done.removed += 1;
            }
            gone
        }
    };
    diesel::update(i::table.find(item.id))
        .set((
            i::decision.eq(choice.as_str()),
            i::comment.eq(comment),
            i::decided_by.eq(decided_by),
            i::decided_at.eq(Utc::now()),
            i::by_policy.eq(by_policy),
            i::gone.eq(gone),
        ))
        .execute(c)?;
    Ok(())
}

/// Takes away what `item` stands for, with `authority` (none: the review's starter's, as they
/// stand now); `false` when it was already gone.
fn remove(
    c: &mut PgConnection,
    rv: &Review,
    actor: &Actor,
    authority: Option<&Subject>,
    item: &Item,
) -> Result<bool, Denied> {
    let starter = match (authority, rv.started_by) {
        (Some(who), _) => Some(who.clone()),
        (None, Some(id)) => facts::subject(c, id)?,
        (None, None) => None,
    };
    let starter = starter.filter(|s| authority::reviews(s).is_ok()).ok_or_else(|| {
        Denied::Forbidden("the Administrator who started this review no longer may remove access".into())
    })?;
    let held = |e: crate::users::save::SaveError| match e {
        crate::users::save::SaveError::Db(e) => Denied::Db(e),
        e => Denied::Forbidden(e.to_string()),
    };
    match (item.kind.as_str(), item.user_id, item.ref_id) {
        ("preset", Some(user), Some(preset)) => {
            holdings::remove(c, actor, &starter, user, &Holding::Preset(preset)).map_err(held)
        }
        ("override", Some(user), _) => {
            holdings::remove(c, actor, &starter, user, &Holding::Grant(item.ref_key.clone())).map_err(held)
        }
        ("member", Some(user), Some(team)) => {
            Ok(crate::teams::remove_member(c, actor, &starter, team, user)?.is_some())
        }
        ("grant", _, Some(grant)) => {
            let group: Option<i64> =
                access_group_grants::table.find(grant).select(access_group_grants::group_id).first(c).optional()?;
            let Some(group) = group else { return Ok(false) };
            match crate::access_groups::remove_grant(c, actor, &starter, group, grant) {
                Ok(_) => Ok(true),
                Err(crate::access_groups::GrantError::Denied(d)) => Err(d),
                Err(e) => Err(Denied::Forbidden(e.to_string())),
            }
        }
        _ => Ok(false),
    }
}
