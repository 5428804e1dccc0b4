//! POST /access/v1/search/resource, /search/subject and /search/action, answered by
//! `access::search`: the contact list's own query, the card's "who can see this contact", and
//! the catalog keys one by one. Pages come in a stable order (contacts newest first, users by
//! id); a page token carries where the last page ended and a fingerprint of the search, so a
//! token used with another search (another subject, action or limit) is refused with a 400.

use super::evaluate::{perm_of, user_ref};
use super::model::{Action, ActionSearchResponse, Entity, EntitySearchResponse, PageResponse, SearchRequest};
use crate::access::batch;
use crate::access::{facts, search};
use crate::web::api::error::ApiError;
use diesel::PgConnection;
use sha2::{Digest, Sha256};

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 1000;

/// Where a page starts, and how many it holds.
struct Paging {
    after: Option<i64>,
    limit: i64,
    fingerprint: String,
}

impl Paging {
    /// Reads `page` of a search whose other parts are `what` (they make the fingerprint).
    fn of(req: &SearchRequest, what: &str) -> Result<Paging, ApiError> {
        let page = req.page.clone().unwrap_or_default();
        let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!("page.limit must be between 1 and {MAX_LIMIT}")));
        }
        let fingerprint = hex::encode(&Sha256::digest(format!("{what}|{limit}").as_bytes())[..6]);
        let after = match page.token.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => {
                let (at, fp) =
                    t.split_once('.').ok_or_else(|| ApiError::BadRequest("page.token is not valid".into()))?;
                if fp != fingerprint {
                    return Err(ApiError::BadRequest(
                        "page.token belongs to another search: subject, action, resource and limit must stay the same"
                            .into(),
                    ));
                }
                Some(at.parse().map_err(|_| ApiError::BadRequest("page.token is not valid".into()))?)
            }
        };
        Ok(Paging { after, limit, fingerprint })
    }

    /// The page of `found` (up to `limit + 1` ids: one more says there is a next page).
    fn page(&self, mut found: Vec<i64>, kind: &str) -> EntitySearchResponse {
        let more = found.len() as i64 > self.limit;
        found.truncate(usize::try_from(self.limit).unwrap_or(0));
        let next_token = match (more, found.last()) {
            (true, Some(last)) => format!("{last}.{}", self.fingerprint),
            _ => String::new(),
        };
        let results: Vec<Entity> = found.into_iter().map(|id| Entity::new(kind, id.to_string())).collect();
        EntitySearchResponse { page: PageResponse { next_token, count: results.len() }, results }
    }
}

fn required<T: Clone>(v: &Option<T>, what: &str) -> Result<T, ApiError> {
    v.clone().ok_or_else(|| ApiError::BadRequest(format!("{what} is required")))
}

/// The last page: `next_token` empty.
fn last_page(count: usize) -> PageResponse {
    PageResponse { next_token: String::new(), count }
}

/// Which contacts may the subject do the action on?
pub fn resources(conn: &mut PgConnection, req: SearchRequest) -> Result<EntitySearchResponse, ApiError> {
    let subject = required(&req.subject, "subject")?;
    let action = required(&req.action, "action")?;
    let resource = required(&req.resource, "resource")?;
    if subject.id.is_none() || action.name.is_none() || resource.kind.is_none() {
        return Err(ApiError::BadRequest("subject.id, action.name and resource.type are required".into()));
    }
    let what = format!("resource|{:?}|{:?}|{:?}", subject.id, action.name, resource.kind);
    let paging = Paging::of(&req, &what)?;
    let (Ok(who), Ok(perm), Some("contact")) = (user_ref(&subject), perm_of(&action), resource.kind.as_deref()) else {
        return Ok(EntitySearchResponse { page: last_page(0), results: Vec::new() });
    };
    let Some(s) = batch::subject(conn, &who)? else {
        return Ok(EntitySearchResponse { page: last_page(0), results: Vec::new() });
    };
    let found = search::contacts_for(conn, &s, perm, paging.after, paging.limit + 1)?;
    Ok(paging.page(found, "contact"))
}

/// Which users may do the action on the contact?
pub fn subjects(conn: &mut PgConnection, req: SearchRequest) -> Result<EntitySearchResponse, ApiError> {
    let subject = required(&req.subject, "subject")?;
    let action = required(&req.action, "action")?;
    let resource = required(&req.resource, "resource")?;
    if subject.kind.is_none() || action.name.is_none() || resource.kind.is_none() || resource.id.is_none() {
        return Err(ApiError::BadRequest(
            "subject.type, action.name, resource.type and resource.id are required".into(),
        ));
    }
    let what = format!("subject|{:?}|{:?}|{:?}|{:?}", subject.kind, action.name, resource.kind, resource.id);
    let paging = Paging::of(&req, &what)?;
    let contact = resource.id.as_deref().and_then(|i| i.trim().parse::<i64>().ok());
    let (Some("user"), Ok(perm), Some("contact"), Some(contact)) =
        (subject.kind.as_deref(), perm_of(&action), resource.kind.as_deref(), contact)
    else {
        return Ok(EntitySearchResponse { page: last_page(0), results: Vec::new() });
    };
    let Some(c) = facts::contact(conn, contact)? else {
        return Ok(EntitySearchResponse { page: last_page(0), results: Vec::new() });
    };
    let after = paging.after.unwrap_or(i64::MIN);
    let found: Vec<i64> = search::users_for(conn, &c, perm)?
        .into_iter()
        .filter(|id| *id > after)
        .take(usize::try_from(paging.limit + 1).unwrap_or(0))
        .collect();
    Ok(paging.page(found, "user"))
}

/// Which catalog keys may the subject use on the contact? (All in one page: the catalog is small.)
pub fn actions(conn: &mut PgConnection, req: SearchRequest) -> Result<ActionSearchResponse, ApiError> {
    let subject = required(&req.subject, "subject")?;
    let resource = required(&req.resource, "resource")?;
    if subject.kind.is_none() || subject.id.is_none() || resource.kind.is_none() || resource.id.is_none() {
        return Err(ApiError::BadRequest(
            "subject.type, subject.id, resource.type and resource.id are required".into(),
        ));
    }
    let contact = resource.id.as_deref().and_then(|i| i.trim().parse::<i64>().ok());
    let (Ok(who), Some("contact"), Some(contact)) = (user_ref(&subject), resource.kind.as_deref(), contact) else {
        return Ok(ActionSearchResponse { page: last_page(0), results: Vec::new() });
    };
    let (Some(s), Some(c)) = (batch::subject(conn, &who)?, facts::contact(conn, contact)?) else {
        return Ok(ActionSearchResponse { page: last_page(0), results: Vec::new() });
    };
    let results: Vec<Action> = search::keys_for(&s, &c)
        .into_iter()
        .map(|p| Action { name: Some(p.key().to_string()), properties: None })
        .collect();
    Ok(ActionSearchResponse { page: last_page(results.len()), results })
}
