//! POST /access/v1/search/resource, /search/subject and /search/action, answered by
//! `access::search`: the contact list's own query, the card's "who can see this contact", and
//! the catalog keys one by one.
//!
//! Each search states what it requires (a 400 names what is missing) and ignores what the
//! specification says it MUST ignore (the searched-for entity's `id`; the action of an action
//! search). An entity, key or type Custodian does not know finds nothing: an empty `results`,
//! not an error (the certification scenario, c-4-6).
//!
//! Pages come in a stable order (contacts newest first, users by id). A page token carries
//! where the last page ended, the page size, and a fingerprint of the search, so a follow-up
//! may send the token alone (the specification's own example does) and a token sent with a
//! changed subject, action, resource, context or limit is refused with a 400 rather than
//! served (the specification: the PDP SHOULD return an error). A token is not a secret nor a
//! capability: whatever `after` it names, results are still only what access allows.

use super::evaluate::{perm_of, user_ref};
use super::model::{
    Action, ActionSearchResponse, Entity, EntitySearchResponse, JsonObject, PageRequest, PageResponse, SearchRequest,
};
use crate::access::batch;
use crate::access::{facts, search};
use crate::web::api::error::ApiError;
use diesel::PgConnection;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The page size of a search that names none.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest page: a larger `page.limit` gets pages of this size (and a `next_token`).
pub const MAX_LIMIT: i64 = 1000;

/// Where a page starts, and how many it holds.
struct Paging {
    after: Option<i64>,
    limit: i64,
    fingerprint: String,
}

impl Paging {
    /// Reads `page` of the search whose result-deciding parts are `search`.
    fn of(page: Option<&PageRequest>, search: Value) -> Result<Paging, ApiError> {
        let bad = |m: &str| ApiError::BadRequest(m.to_string());
        let page = page.cloned().unwrap_or_default();
        if page.limit.is_some_and(|l| l < 0) {
            return Err(bad("page.limit must be a non-negative integer"));
        }
        let requested = page.limit.map(|l| l.min(MAX_LIMIT));
        let fingerprint = fingerprint(search);
        let Some(token) = page.token.filter(|t| !t.is_empty()) else {
            return Ok(Paging { after: None, limit: requested.unwrap_or(DEFAULT_LIMIT), fingerprint });
        };
        let mut parts = token.splitn(3, '.');
        let (Some(Ok(after)), Some(Ok(limit)), Some(fp)) =
            (parts.next().map(str::parse), parts.next().map(str::parse::<i64>), parts.next())
        else {
            return Err(bad("page.token is not valid: send the next_token of the previous page"));
        };
        if fp != fingerprint {
            return Err(bad(
                "page.token belongs to another search: subject, action, resource and context must stay as they were on the first page",
            ));
        }
        if requested.is_some_and(|r| r != limit) {
            return Err(bad("page.limit must stay as it was on the first page (or be left out)"));
        }
        Ok(Paging { after: Some(after), limit: limit.clamp(0, MAX_LIMIT), fingerprint })
    }

    /// The page of `found` (up to `limit + 1` entities with their sort keys: one more says
    /// there is a next page). A limit of 0 asks for no results: an empty last page.
    fn page(&self, mut found: Vec<(i64, Entity)>) -> EntitySearchResponse {
        let more = found.len() as i64 > self.limit;
        found.truncate(usize::try_from(self.limit).unwrap_or(0));
        let next_token = match (more, found.last()) {
            (true, Some((last, _))) => format!("{last}.{}.{}", self.limit, self.fingerprint),
            _ => String::new(),
        };
        let results: Vec<Entity> = found.into_iter().map(|(_, e)| e).collect();
        EntitySearchResponse { page: PageResponse { next_token, count: results.len() }, results }
    }
}

/// A short digest of a search's parts, whatever the order of their members.
fn fingerprint(mut search: Value) -> String {
    search.sort_all_objects();
    hex::encode(&Sha256::digest(search.to_string().as_bytes())[..9])
}

/// The parts of a search that decide its results, for its fingerprint.
fn parts(
    kind: &str,
    subject: &Entity,
    action: Option<&Action>,
    resource: &Entity,
    context: &Option<JsonObject>,
) -> Value {
    json!({"search": kind, "subject": subject, "action": action, "resource": resource, "context": context})
}

fn required<T: Clone>(v: &Option<T>, what: &str) -> Result<T, ApiError> {
    v.clone().ok_or_else(|| ApiError::BadRequest(format!("{what} is required")))
}

/// Refuses a search missing one of `needed` (pairs of a name and whether it is there).
fn require(needed: &[(&str, bool)]) -> Result<(), ApiError> {
    super::evaluate::require(needed).map_err(ApiError::BadRequest)
}

/// A search that finds nothing.
fn nothing() -> EntitySearchResponse {
    EntitySearchResponse { page: PageResponse { next_token: String::new(), count: 0 }, results: Vec::new() }
}

/// Which contacts may the subject do the action on?
pub fn resources(conn: &mut PgConnection, req: SearchRequest) -> Result<EntitySearchResponse, ApiError> {
    let subject = required(&req.subject, "subject")?;
    let action = required(&req.action, "action")?;
    let mut resource = required(&req.resource, "resource")?;
    require(&[
        ("subject.type", subject.kind.is_some()),
        ("subject.id", subject.id.is_some()),
        ("action.name", action.name.is_some()),
        ("resource.type", resource.kind.is_some()),
    ])?;
    resource.id = None;
    let paging = Paging::of(req.page.as_ref(), parts("resource", &subject, Some(&action), &resource, &req.context))?;
    let (Ok(who), Ok(perm), Some("contact")) = (user_ref(&subject), perm_of(&action), resource.kind.as_deref()) else {
        return Ok(nothing());
    };
    let Some(s) = batch::subject(conn, &who)? else { return Ok(nothing()) };
    if paging.limit == 0 {
        return Ok(paging.page(Vec::new()));
    }
    let found = search::contacts_for(conn, &s, perm, paging.after, paging.limit + 1)?;
    Ok(paging.page(found.into_iter().map(|id| (id, Entity::new("contact", id.to_string()))).collect()))
}

/// Which users may do the action on the contact? (By id; each with its email in `properties`,
/// for a PEP that names users by email.)
pub fn subjects(conn: &mut PgConnection, req: SearchRequest) -> Result<EntitySearchResponse, ApiError> {
    let mut subject = required(&req.subject, "subject")?;
    let action = required(&req.action, "action")?;
    let resource = required(&req.resource, "resource")?;
    require(&[
        ("subject.type", subject.kind.is_some()),
        ("action.name", action.name.is_some()),
        ("resource.type", resource.kind.is_some()),
        ("resource.id", resource.id.is_some()),
    ])?;
    subject.id = None;
    let paging = Paging::of(req.page.as_ref(), parts("subject", &subject, Some(&action), &resource, &req.context))?;
    let (Some("user"), Ok(perm), Ok(batch::Target::Contact(contact))) =
        (subject.kind.as_deref(), perm_of(&action), super::evaluate::target_of(&resource))
    else {
        return Ok(nothing());
    };
    let Some(c) = facts::contact(conn, contact)? else { return Ok(nothing()) };
    let after = paging.after.unwrap_or(i64::MIN);
    let found: Vec<(i64, Entity)> = search::users_for(conn, &c, perm)?
        .into_iter()
        .filter(|(id, _)| *id > after)
        .take(usize::try_from(paging.limit + 1).unwrap_or(0))
        .map(|(id, email)| {
            let mut e = Entity::new("user", id.to_string());
            e.properties = Some(JsonObject::from_iter([("email".to_string(), Value::String(email))]));
            (id, e)
        })
        .collect();
    Ok(paging.page(found))
}

/// Which catalog keys may the subject use on the contact? All in one page (the catalog is
/// small): a `page` is accepted and ignored, as the specification allows, and the answer's
/// `next_token` is empty.
pub fn actions(conn: &mut PgConnection, req: SearchRequest) -> Result<ActionSearchResponse, ApiError> {
    let subject = required(&req.subject, "subject")?;
    let resource = required(&req.resource, "resource")?;
    require(&[
        ("subject.type", subject.kind.is_some()),
        ("subject.id", subject.id.is_some()),
        ("resource.type", resource.kind.is_some()),
        ("resource.id", resource.id.is_some()),
    ])?;
    let found = match (user_ref(&subject), super::evaluate::target_of(&resource)) {
        (Ok(who), Ok(batch::Target::Contact(contact))) => {
            match (batch::subject(conn, &who)?, facts::contact(conn, contact)?) {
                (Some(s), Some(c)) => search::keys_for(&s, &c),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let results: Vec<Action> =
        found.into_iter().map(|p| Action { name: Some(p.key().to_string()), properties: None }).collect();
    Ok(ActionSearchResponse { page: PageResponse { next_token: String::new(), count: results.len() }, results })
}
