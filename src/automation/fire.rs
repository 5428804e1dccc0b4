//! Running the rules after a contact event, in the caller's transaction.
//!
//! For every enabled rule whose trigger matches the event, ONE statement selects the target
//! contacts (among the event's contacts: the rule's conditions hold and its owner's authority
//! reaches them, see [`reach_sql`]) and applies the action to them set-based, reporting which
//! targets actually changed.
//!
//! # Why a rule can never loop
//! An "add tag" action produces a follow-up `TagsAdded` event, but only for the contacts that
//! actually gained the tag (a tag already present changes nothing and triggers nothing).
//! Follow-ups are processed iteratively (a queue, no recursion), at most [`MAX_ROUNDS`] rounds
//! deep counting the original event as the first, and each rule fires at most once per
//! contact per original event: the (rule, contact) pairs already applied are remembered and
//! skipped. So "tag_added A → add B" with "tag_added B → add A" applies each rule once, and a
//! rule that adds the very tag it triggers on stops at once.
//!
//! # Authority travels along the chain
//! An event carries the authorities behind it: whoever stands behind a change nobody made in
//! person (a public form's last saver, an import's importer: `events::after_on_behalf`), then
//! the owner of each rule whose change started the follow-up. (A change a user makes on the
//! card or in a bulk run starts a chain with no authority before the rules: the first rule
//! acts with its owner's authority alone, as it always has.) An
//! action that changes who has access (owners, access groups) applies only where every one of
//! them could have made that change by hand (`contacts.assign`, [`Operation::Assign`]), so a
//! shared rule anyone may fire cannot lend its reach to another rule's access action. And a
//! follow-up is started only for the contacts the rule's owner could have changed by hand:
//! what a shared rule's wider reach changed starts nothing.

use crate::access::{facts, filter, Level, Operation, Subject};
use crate::audit;
use crate::automation::model::Rule;
use crate::contacts::events::Event;
use crate::contacts::owners;
use crate::db::schema::automation_rules;
use crate::db::sql::sql;
use crate::db::sql::{Bind, Sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

/// Rounds of follow-up events, the original event included.
pub const MAX_ROUNDS: usize = 5;

/// The trigger a contact event fires; `None` for events no rule listens to.
fn trigger_of(event: &Event) -> Option<&'static str> {
    match event {
        Event::Created => Some("contact_created"),
        Event::TagsAdded(_) => Some("tag_added"),
        Event::FormSubmitted(_) => Some("form_submitted"),
        Event::Imported => Some("imported"),
        Event::Changed => None,
    }
}

fn event_json(event: &Event) -> serde_json::Value {
    match event {
        Event::TagsAdded(tags) => json!({ "trigger": "tag_added", "tags": tags }),
        Event::FormSubmitted(form) => json!({ "trigger": "form_submitted", "form_id": form }),
        other => json!({ "trigger": trigger_of(other) }),
    }
}

/// The enabled rules an event fires, oldest first (a fixed order, so results are repeatable).
fn matching_rules(conn: &mut PgConnection, event: &Event) -> QueryResult<Vec<Rule>> {
    let Some(trigger) = trigger_of(event) else {
        return Ok(Vec::new());
    };
    let mut q = automation_rules::table
        .filter(automation_rules::enabled)
        .filter(automation_rules::trigger.eq(trigger))
        .select(Rule::as_select())
        .order(automation_rules::id)
        .into_boxed();
    if let Event::TagsAdded(tags) = event {
        q = q.filter(automation_rules::trigger_tag.is_null().or(automation_rules::trigger_tag.eq_any(tags.clone())));
    }
    q.load(conn)
}

#[derive(QueryableByName)]
struct Target {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Bool)]
    changed: bool,
    /// The owner could make this change by hand (edit access): a shared rule's reach beyond
    /// that changes the contact but starts nothing that widens access (live segments).
    #[diesel(sql_type = Bool)]
    by_hand: bool,
}

/// The action of `rule` as a data-modifying CTE `act` over `targets`, returning the ids of
/// the contacts it changed; `None` when the rule has lost its target (deleted group).
fn action_cte(rule: &Rule, owner: &Subject, s: &mut Sql) -> Option<()> {
    match rule.action.as_str() {
        "add_tag" => {
            // Where the owner could not have added it by hand (a shared rule's wider reach),
            // the tag is lent: it starts nothing that changes who has access.
            s.push(", act AS (INSERT INTO contact_tags (contact_id, tag, lent) SELECT t.id, ")
                .bind(Bind::Text(rule.action_tag.clone()?))
                .push(", NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = t.id AND (")
                .append(&filter::permits(owner, Operation::Edit))
                .push(")) FROM targets t ON CONFLICT DO NOTHING RETURNING contact_id AS id)");
        }
        "add_access_group" => {
            s.push(", act AS (INSERT INTO contact_access_groups (contact_id, group_id) SELECT id, ")
                .bind(Bind::I64(rule.action_group_id?))
                .push(" FROM targets ON CONFLICT DO NOTHING RETURNING contact_id AS id)");
        }
        "set_main_owner" => {
            let u = rule.action_user_id?;
            // As on the owner panel: a co-ownership the new main owner had is folded into it,
            // and the main owner it displaces stays a (writable) co-owner and is told.
            let prev = Sql::new("SELECT id, was FROM prev");
            s.push(", prev AS (SELECT c.id, c.main_owner_id AS was FROM contacts c WHERE c.id IN (SELECT id FROM targets) AND c.main_owner_id IS DISTINCT FROM ")
                .bind(Bind::I64(u))
                .push(" FOR UPDATE), act AS (")
                .append(&owners::replace_main_owner(&prev, u))
                .push("), folded AS (")
                .append(&owners::fold_into_main(&Sql::new("SELECT id FROM act"), u))
                .push("), kept AS (")
                .append(&owners::keep_displaced(&prev))
                .push("), told AS (INSERT INTO notifications (user_id, contact_id, message) SELECT was, id, ")
                .bind(Bind::Text(format!(
                    "Automation rule \u{201c}{}\u{201d} gave a contact of yours another main owner; you stay a co-owner.",
                    rule.name
                )))
                .push(" FROM prev WHERE was IS NOT NULL)");
        }
        "add_co_owner" => {
            // The main owner is not also made a co-owner, and existing co-owners keep the
            // access a person gave them (`Existing::Keep`).
            let u = rule.action_user_id?;
            let ids = sql!(
                "SELECT c.id FROM contacts c WHERE c.id IN (SELECT id FROM targets) AND c.main_owner_id IS DISTINCT FROM ",
                u
            );
            s.push(", act AS (")
                .append(&owners::add_co_owners(
                    &ids,
                    u,
                    rule.action_read_only,
                    owners::Existing::Keep,
                    Default::default(),
                ))
                .push(")");
        }
        _ => return None,
    }
    Some(())
}

/// Whether a rule's action changes who has access (owners, access groups).
fn grants_access(rule: &Rule) -> bool {
    matches!(rule.action.as_str(), "set_main_owner" | "add_co_owner" | "add_access_group")
}

/// The contacts a rule may act on, with its owner's authority at the moment it fires
/// (`access::escalation`): an action that changes who has access applies only where the owner, and
/// every authority behind the event (`behind`), could make the same change by hand
/// (contacts.assign at edit level), shared or not; other actions reach the contacts the owner
/// can act on, or, for a shared rule, every contact but the confidential ones the owner cannot
/// act on (confidential contacts are changed only by their owners' or Administrators' rules).
fn reach_sql(rule: &Rule, owner: &Subject, behind: &[&Subject]) -> Sql {
    if grants_access(rule) {
        let mut all = vec![filter::permits(owner, Operation::Assign)];
        all.extend(behind.iter().map(|s| sql!("(", filter::permits(s, Operation::Assign), ")")));
        Sql::joined(&all, " AND ")
    } else if rule.shared {
        filter::open_or_reached(owner, Level::Act)
    } else {
        filter::reaches(owner, Level::Act)
    }
}

/// Selects the targets of `rule` among `ids` and applies its action, in one statement, with
/// the authority of `owner`, the rule owner's subject.
fn apply(
    conn: &mut PgConnection,
    rule: &Rule,
    ids: &[i64],
    owner: &Subject,
    behind: &[&Subject],
) -> QueryResult<Vec<Target>> {
    let mut s = Sql::new("WITH targets AS (SELECT c.id FROM contacts c WHERE c.id = ANY(");
    s.bind(Bind::I64s(ids.to_vec())).push(")");
    if let Some(t) = &rule.has_tag {
        s.push(" AND EXISTS (SELECT 1 FROM contact_tags ht WHERE ht.contact_id = c.id AND ht.tag = ")
            .bind(Bind::Text(t.clone()));
        // A lent tag is no condition of a change of access.
        if grants_access(rule) {
            s.push(" AND NOT ht.lent");
        }
        s.push(")");
    }
    if let Some(cat) = &rule.category {
        s.push(" AND c.category = ").bind(Bind::Text(cat.clone()));
    }
    if rule.no_main_owner {
        s.push(" AND c.main_owner_id IS NULL");
    }
    s.push(" AND (").append(&reach_sql(rule, owner, behind)).push(")");
    if let Some(u) = rule.action_user_id.filter(|_| matches!(rule.action.as_str(), "set_main_owner" | "add_co_owner")) {
        // Only an active user is made owner; a rule whose user left does nothing.
        s.push(" AND EXISTS (SELECT 1 FROM users au WHERE au.id = ")
            .bind(Bind::I64(u))
            .push(" AND au.status = ")
            .bind(Bind::Text(crate::accounts::ACTIVE.into()))
            .push(")");
    }
    s.push(")");
    if action_cte(rule, owner, &mut s).is_none() {
        return Ok(Vec::new());
    }
    s.push(" SELECT t.id, EXISTS (SELECT 1 FROM act a WHERE a.id = t.id) AS changed, EXISTS (SELECT 1 FROM contacts c WHERE c.id = t.id AND (")
        .append(&filter::permits(owner, Operation::Edit))
        .push(")) AS by_hand FROM targets t ORDER BY t.id");
    s.query().load(conn)
}

/// Runs the automation rules for `event` on `contact_ids` (see the module documentation for
/// follow-ups and termination). Records one `rule.fire` audit entry per rule firing and
/// returns the contacts the rules changed where their owners could have made the change by
/// hand (a shared rule's wider reach changes tags, never access through segments), ascending: [`crate::events::after`]
/// hands them to the other subscribers (events flow one way; automation never calls back).
///
/// `authority` is who is behind the event (the user who made the change, a public form's last
/// saver; `None`: nobody, as for a form nobody saved): the first link of the chain of
/// authorities (see the module documentation).
pub fn fire(
    conn: &mut PgConnection,
    actor: Option<i64>,
    authority: Option<i64>,
    event: &Event,
    contact_ids: &[i64],
) -> QueryResult<Vec<i64>> {
    if contact_ids.is_empty() || trigger_of(event).is_none() {
        return Ok(Vec::new());
    }
    let mut applied: HashSet<(i64, i64)> = HashSet::new();
    let mut subjects: HashMap<i64, Option<Subject>> = HashMap::new();
    let mut changed_any: BTreeSet<i64> = BTreeSet::new();
    // Each event with its contacts, its round and the chain of authorities behind it.
    let first: Vec<i64> = authority.into_iter().collect();
    let mut queue: VecDeque<(Event, Vec<i64>, usize, Vec<i64>)> =
        VecDeque::from([(event.clone(), contact_ids.to_vec(), 1, first)]);
    while let Some((ev, ids, round, chain)) = queue.pop_front() {
        // (Tag, rule owner) → contacts that gained the tag in this event's firings (the
        // follow-ups, each carrying the chain and the owner of the rule that started it).
        let mut gained: BTreeMap<(String, i64), BTreeSet<i64>> = BTreeMap::new();
        for id in chain.iter() {
            if let std::collections::hash_map::Entry::Vacant(e) = subjects.entry(*id) {
                e.insert(facts::subject(conn, *id)?);
            }
        }
        for rule in matching_rules(conn, &ev)? {
            let fresh: Vec<i64> = ids.iter().copied().filter(|c| !applied.contains(&(rule.id, *c))).collect();
            if fresh.is_empty() {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = subjects.entry(rule.owner_id) {
                let s = facts::subject(conn, rule.owner_id)?;
                e.insert(s);
            }
            // A rule acts with its owner's authority: a deactivated owner has none, so only a
            // shared rule's non-access actions still reach (non-confidential) contacts.
            let owner = match subjects.get(&rule.owner_id) {
                Some(Some(s)) if s.active || (rule.shared && !grants_access(&rule)) => s,
                _ => continue,
            };
            // Everyone behind the event; one who is gone has no authority to lend.
            let behind: Option<Vec<&Subject>> =
                chain.iter().map(|id| subjects.get(id).and_then(Option::as_ref)).collect();
            let Some(behind) = behind else { continue };
            let targets = apply(conn, &rule, &fresh, owner, &behind)?;
            if targets.is_empty() {
                continue;
            }
            let changed: Vec<i64> = targets.iter().filter(|t| t.changed).map(|t| t.id).collect();
            let all: Vec<i64> = targets.iter().map(|t| t.id).collect();
            applied.extend(all.iter().map(|c| (rule.id, *c)));
            // What the owner could not have changed by hand is not handed on to segments.
            changed_any.extend(targets.iter().filter(|t| t.changed && t.by_hand).map(|t| t.id));
            audit::Entry::new(actor, "rule.fire", "automation_rule", rule.id)
                .after(json!({
                    "event": event_json(&ev),
                    "rule": rule.name,
                    "owner_id": rule.owner_id,
                    "shared": rule.shared,
                    "action": rule.action,
                    "contacts": all,
                    "changed": changed,
                    "round": round,
                }))
                .record(conn)?;
            // Only tags actually gained start follow-ups, and only where the rule's owner could
            // have added them by hand.
            if let (Some(tag), "add_tag") = (&rule.action_tag, rule.action.as_str()) {
                let by_hand: Vec<i64> = targets.iter().filter(|t| t.changed && t.by_hand).map(|t| t.id).collect();
                if !by_hand.is_empty() {
                    gained.entry((tag.clone(), rule.owner_id)).or_default().extend(&by_hand);
                }
            }
        }
        for ((tag, owner), ids) in gained {
            if round < MAX_ROUNDS {
                let mut next = chain.clone();
                if !next.contains(&owner) {
                    next.push(owner);
                }
                queue.push_back((Event::TagsAdded(vec![tag]), ids.into_iter().collect(), round + 1, next));
            } else {
                tracing::warn!(tag = %tag, contacts = ids.len(), "automation: follow-up dropped at the round limit");
            }
        }
    }
    Ok(changed_any.into_iter().collect())
}
