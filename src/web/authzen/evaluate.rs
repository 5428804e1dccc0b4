//! POST /access/v1/evaluation and /access/v1/evaluations: "may subject S do action A on
//! resource R?", one question or a batch. The decision is SPEC 3's, through `access::check`
//! (a contact) or `access::check_permission` (`crm`: no contact), with the reason sentence
//! `/api/v1/check` gives. A deny is HTTP 200 with `decision: false`; so is a question about a
//! user, contact or key that does not exist (with `context.error`), since decisions default to
//! closed. A batch loads every user and every contact it names in one query each.

use super::model::{
    Action, Decision, DecisionContext, Entity, ErrorDetail, EvaluationRequest, EvaluationsAnswer, EvaluationsRequest,
    EvaluationsResponse,
};
use crate::access::rules::{ContactFacts, Subject};
use crate::access::{facts, Unknown};
use crate::db::schema::users;
use crate::permissions::Perm;
use crate::web::api::error::ApiError;
use diesel::prelude::*;
use std::collections::HashMap;

/// A question with every part present.
#[derive(Clone, Debug)]
pub struct Ask {
    pub subject: Entity,
    pub action: Action,
    pub resource: Entity,
}

/// The parts of a question, each from the item or else from the batch's defaults; a part
/// missing from both is a 400 (the specification: required attributes).
pub fn complete(item: EvaluationRequest, defaults: &EvaluationRequest) -> Result<Ask, ApiError> {
    let missing = |what: &str| ApiError::BadRequest(format!("{what} is required"));
    let subject = item.subject.or_else(|| defaults.subject.clone()).ok_or_else(|| missing("subject"))?;
    let action = item.action.or_else(|| defaults.action.clone()).ok_or_else(|| missing("action"))?;
    let resource = item.resource.or_else(|| defaults.resource.clone()).ok_or_else(|| missing("resource"))?;
    if subject.kind.is_none() || subject.id.is_none() {
        return Err(missing("subject.type and subject.id"));
    }
    if action.name.is_none() {
        return Err(missing("action.name"));
    }
    if resource.kind.is_none() || resource.id.is_none() {
        return Err(missing("resource.type and resource.id"));
    }
    Ok(Ask { subject, action, resource })
}

/// A user named by id or by email.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UserRef {
    Id(i64),
    Email(String),
}

/// Reads a subject: type `user`, id a user id or an email.
pub fn user_ref(e: &Entity) -> Result<UserRef, String> {
    let kind = e.kind.as_deref().unwrap_or("");
    if kind != "user" {
        return Err(format!("unknown subject type {kind:?}: subjects are of type \"user\""));
    }
    let id = e.id.as_deref().unwrap_or("").trim();
    match id.parse::<i64>() {
        Ok(n) => Ok(UserRef::Id(n)),
        Err(_) if id.contains('@') => Ok(UserRef::Email(id.to_lowercase())),
        Err(_) => Err(format!("no user {id:?}: a subject id is a user id or an email")),
    }
}

/// Reads an action: a catalog key.
pub fn perm_of(a: &Action) -> Result<Perm, String> {
    let name = a.name.as_deref().unwrap_or("");
    Perm::from_key(name)
        .ok_or_else(|| format!("unknown action {name:?}: actions are catalog keys such as contacts.view"))
}

/// What a resource names.
#[derive(Clone, Copy, Debug)]
enum Target {
    Contact(i64),
    /// No contact: the permission alone.
    Crm,
}

fn target_of(e: &Entity) -> Result<Target, String> {
    match e.kind.as_deref().unwrap_or("") {
        "contact" => {
            let id = e.id.as_deref().unwrap_or("");
            id.trim().parse().map(Target::Contact).map_err(|_| format!("no contact {id:?}"))
        }
        "crm" => Ok(Target::Crm),
        other => Err(format!("unknown resource type {other:?}: resources are \"contact\" or \"crm\"")),
    }
}

fn deny(reason: String, status: Option<u16>) -> Decision {
    let error = status.map(|status| ErrorDetail { status, message: reason.clone() });
    Decision { decision: false, context: DecisionContext { reason, level: None, error } }
}

/// Every user a set of questions names, loaded in two queries at most (ids, then emails).
pub struct Users {
    by_id: HashMap<i64, Subject>,
    by_email: HashMap<String, i64>,
}

impl Users {
    pub fn load(conn: &mut PgConnection, refs: &[UserRef]) -> QueryResult<Users> {
        let emails: Vec<&str> = refs
            .iter()
            .filter_map(|r| match r {
                UserRef::Email(e) => Some(e.as_str()),
                UserRef::Id(_) => None,
            })
            .collect();
        let by_email: HashMap<String, i64> = if emails.is_empty() {
            HashMap::new()
        } else {
            users::table
                .filter(crate::db::lower(users::email).eq_any(&emails))
                .select((users::email, users::id))
                .load::<(String, i64)>(conn)?
                .into_iter()
                .map(|(e, id)| (e.to_lowercase(), id))
                .collect()
        };
        let mut ids: Vec<i64> = refs
            .iter()
            .filter_map(|r| match r {
                UserRef::Id(i) => Some(*i),
                UserRef::Email(_) => None,
            })
            .collect();
        ids.extend(by_email.values());
        ids.sort_unstable();
        ids.dedup();
        let by_id = facts::signed_in_many(conn, &ids)?.into_iter().map(|(u, s)| (u.id, s)).collect();
        Ok(Users { by_id, by_email })
    }

    pub fn get(&self, r: &UserRef) -> Option<&Subject> {
        let id = match r {
            UserRef::Id(i) => *i,
            UserRef::Email(e) => *self.by_email.get(e)?,
        };
        self.by_id.get(&id)
    }
}

/// The decisions of `asks`, in order: users and contacts in one query each, permissions
/// without a contact once per (user, key).
pub fn decide_all(conn: &mut PgConnection, asks: &[Ask]) -> QueryResult<Vec<Decision>> {
    type Read = Result<(UserRef, Perm, Target), String>;
    let read: Vec<Read> =
        asks.iter().map(|a| Ok((user_ref(&a.subject)?, perm_of(&a.action)?, target_of(&a.resource)?))).collect();
    let refs: Vec<UserRef> = read.iter().filter_map(|r| r.as_ref().ok().map(|(u, _, _)| u.clone())).collect();
    let users = Users::load(conn, &refs)?;
    let mut contact_ids: Vec<i64> = read
        .iter()
        .filter_map(|r| match r {
            Ok((_, _, Target::Contact(id))) => Some(*id),
            _ => None,
        })
        .collect();
    contact_ids.sort_unstable();
    contact_ids.dedup();
    let contacts: HashMap<i64, ContactFacts> =
        facts::contacts(conn, &contact_ids)?.into_iter().map(|c| (c.contact_id, c)).collect();
    let mut without_contact: HashMap<(i64, Perm), Decision> = HashMap::new();
    let mut out = Vec::with_capacity(asks.len());
    for r in read {
        let (who, perm, target) = match r {
            Ok(x) => x,
            Err(reason) => {
                out.push(deny(reason, None));
                continue;
            }
        };
        let Some(subject) = users.get(&who) else {
            out.push(deny(format!("no user {who}"), Some(404)));
            continue;
        };
        let decision = match target {
            Target::Contact(id) => match contacts.get(&id) {
                Some(c) => {
                    let check = crate::access::check(subject, c, perm);
                    Decision {
                        decision: check.allowed,
                        context: DecisionContext {
                            reason: check.reason,
                            level: Some(check.level.as_str()),
                            error: None,
                        },
                    }
                }
                None => deny(format!("no contact {id}"), Some(404)),
            },
            Target::Crm => {
                let key = (subject.user_id, perm);
                if let Some(d) = without_contact.get(&key) {
                    d.clone()
                } else {
                    let d = match crate::access::check_permission(conn, subject.user_id, perm)? {
                        Ok(p) => Decision {
                            decision: p.allowed,
                            context: DecisionContext { reason: p.reason, level: None, error: None },
                        },
                        Err(Unknown::User | Unknown::Contact) => {
                            deny(format!("no user {}", subject.user_id), Some(404))
                        }
                    };
                    without_contact.insert(key, d.clone());
                    d
                }
            }
        };
        out.push(decision);
    }
    Ok(out)
}

impl std::fmt::Display for UserRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserRef::Id(i) => write!(f, "{i}"),
            UserRef::Email(e) => f.write_str(e),
        }
    }
}

/// How a batch runs, as the specification defines `options.evaluations_semantic`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Semantic {
    /// Every evaluation, every result.
    ExecuteAll,
    /// Results up to and including the first deny.
    DenyOnFirstDeny,
    /// Results up to and including the first permit.
    PermitOnFirstPermit,
}

impl Semantic {
    pub fn parse(s: Option<&str>) -> Result<Semantic, ApiError> {
        Ok(match s {
            None | Some("execute_all") => Semantic::ExecuteAll,
            Some("deny_on_first_deny") => Semantic::DenyOnFirstDeny,
            Some("permit_on_first_permit") => Semantic::PermitOnFirstPermit,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "unknown evaluations_semantic {other:?}: execute_all, deny_on_first_deny or permit_on_first_permit"
                )))
            }
        })
    }

    /// The results a batch answers with.
    pub fn cut(self, mut all: Vec<Decision>) -> Vec<Decision> {
        let stop = match self {
            Semantic::ExecuteAll => None,
            Semantic::DenyOnFirstDeny => all.iter().position(|d| !d.decision),
            Semantic::PermitOnFirstPermit => all.iter().position(|d| d.decision),
        };
        if let Some(i) = stop {
            all.truncate(i + 1);
        }
        all
    }
}

/// A batch: its questions, or — with no `evaluations` — the single question of its top level
/// (`single`: answered as one decision, as the specification keeps such a request compatible
/// with the single evaluation).
pub struct Batch {
    asks: Vec<Ask>,
    semantic: Semantic,
    single: bool,
}

pub fn batch(req: EvaluationsRequest) -> Result<Batch, ApiError> {
    let defaults =
        EvaluationRequest { subject: req.subject, action: req.action, resource: req.resource, context: req.context };
    let items = req.evaluations.unwrap_or_default();
    if items.is_empty() {
        let ask = complete(EvaluationRequest::default(), &defaults)?;
        return Ok(Batch { asks: vec![ask], semantic: Semantic::ExecuteAll, single: true });
    }
    let semantic = Semantic::parse(req.options.as_ref().and_then(|o| o.evaluations_semantic.as_deref()))?;
    let asks = items.into_iter().map(|i| complete(i, &defaults)).collect::<Result<Vec<_>, _>>()?;
    Ok(Batch { asks, semantic, single: false })
}

/// The response of a batch.
pub fn respond(conn: &mut PgConnection, b: Batch) -> QueryResult<EvaluationsAnswer> {
    let mut decisions = b.semantic.cut(decide_all(conn, &b.asks)?);
    Ok(match (b.single, decisions.pop()) {
        (true, Some(one)) => EvaluationsAnswer::Single(one),
        (_, last) => {
            decisions.extend(last);
            EvaluationsAnswer::Many(EvaluationsResponse { evaluations: decisions })
        }
    })
}
