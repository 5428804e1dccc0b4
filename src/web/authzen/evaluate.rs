//! POST /access/v1/evaluation and /access/v1/evaluations: "may subject S do action A on
//! resource R?", one question or a batch. The decision is SPEC 3's, through `access::check`
//! (a contact) or `access::check_permission` (`crm`: no contact), with the reason sentence
//! `/api/v1/check` gives. A deny is HTTP 200 with `decision: false`; so is a question naming a
//! user, contact, key or type that does not exist (a 404 in `context.error`), since decisions
//! default to closed, and a batch item missing a part (a 400 in its `context.error`). A batch
//! loads the users it names in two queries at most and its contacts in one.

use super::model::{
    Action, Decision, DecisionContext, Entity, ErrorDetail, EvaluationRequest, EvaluationsAnswer, EvaluationsRequest,
    EvaluationsResponse,
};
pub use crate::access::batch::UserRef;
use crate::access::batch::{self, Target, Verdict};
use crate::permissions::Perm;
use crate::web::api::error::ApiError;
use diesel::prelude::*;

/// A question with every part present.
#[derive(Clone, Debug)]
pub struct Ask {
    pub subject: Entity,
    pub action: Action,
    pub resource: Entity,
}

/// The parts of a question, each from the item or else from the batch's defaults; the
/// sentence naming what is missing from both (the specification: required attributes). A
/// part of an item replaces the default part whole, except for a `type` or `id` the item's
/// part leaves out, which come from the default (the certification scenario's merging).
pub fn complete(item: EvaluationRequest, defaults: &EvaluationRequest) -> Result<Ask, String> {
    let subject = merged(item.subject, &defaults.subject).ok_or("subject is required")?;
    let action = item.action.or_else(|| defaults.action.clone()).ok_or("action is required")?;
    let resource = merged(item.resource, &defaults.resource).ok_or("resource is required")?;
    require(&[
        ("subject.type", subject.kind.is_some()),
        ("subject.id", subject.id.is_some()),
        ("action.name", action.name.is_some()),
        ("resource.type", resource.kind.is_some()),
        ("resource.id", resource.id.is_some()),
    ])?;
    Ok(Ask { subject, action, resource })
}

/// The sentence naming each of `needed` (a name, and whether it is there) that is missing.
pub fn require(needed: &[(&str, bool)]) -> Result<(), String> {
    let missing: Vec<&str> = needed.iter().filter(|(_, present)| !present).map(|(n, _)| *n).collect();
    match missing.len() {
        0 => Ok(()),
        1 => Err(format!("{} is required", missing[0])),
        _ => Err(format!("{} are required", missing.join(", "))),
    }
}

fn merged(item: Option<Entity>, default: &Option<Entity>) -> Option<Entity> {
    match (item, default) {
        (Some(mut e), Some(d)) => {
            e.kind = e.kind.or_else(|| d.kind.clone());
            e.id = e.id.or_else(|| d.id.clone());
            Some(e)
        }
        (item, d) => item.or_else(|| d.clone()),
    }
}

/// The number an id names, when it is written the one way Custodian writes it (`"5"`, never
/// `"05"`, `"+5"` or `" 5 "`: one id, one spelling, so a PEP's cache or audit of "5" and the
/// PDP's decision are about the same thing).
fn canonical_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|n| *n > 0 && n.to_string() == id)
}

/// Reads a subject: type `user`, id a user id or an email.
pub fn user_ref(e: &Entity) -> Result<UserRef, String> {
    let kind = e.kind.as_deref().unwrap_or("");
    if kind != "user" {
        return Err(format!("unknown subject type {kind:?}: subjects are of type \"user\""));
    }
    let id = e.id.as_deref().unwrap_or("");
    match canonical_id(id) {
        Some(n) => Ok(UserRef::Id(n)),
        None if id.contains('@') && id.trim() == id => Ok(UserRef::Email(id.to_lowercase())),
        None => Err(format!("no user {id:?}: a subject id is a user id or an email")),
    }
}

/// Reads an action: a catalog key.
pub fn perm_of(a: &Action) -> Result<Perm, String> {
    let name = a.name.as_deref().unwrap_or("");
    Perm::from_key(name)
        .ok_or_else(|| format!("unknown action {name:?}: actions are catalog keys such as contacts.view"))
}

/// Reads a resource: a contact by id, or the CRM as a whole.
pub fn target_of(e: &Entity) -> Result<Target, String> {
    match e.kind.as_deref().unwrap_or("") {
        "contact" => {
            let id = e.id.as_deref().unwrap_or("");
            canonical_id(id).map(Target::Contact).ok_or_else(|| format!("no contact {id:?}"))
        }
        "crm" => Ok(Target::Crm),
        other => Err(format!("unknown resource type {other:?}: resources are \"contact\" or \"crm\"")),
    }
}

/// The decisions of `asks`, in order (see [`batch::decide_all`]); an item that could not be
/// completed is a deny with a 400 in its context, and the others are still answered (the
/// specification: evaluation-level errors).
pub fn decide_all(conn: &mut PgConnection, asks: &[Result<Ask, String>]) -> QueryResult<Vec<Decision>> {
    let questions: Vec<batch::Question> = asks
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .map(|a| Ok((user_ref(&a.subject)?, perm_of(&a.action)?, target_of(&a.resource)?)))
        .collect();
    let mut verdicts = batch::decide_all(conn, &questions)?.into_iter();
    Ok(asks
        .iter()
        .map(|a| match a {
            Ok(_) => decision(verdicts.next().expect("one verdict per complete question")),
            Err(missing) => refusal(400, missing.clone()),
        })
        .collect())
}

/// A deny whose context says why the question could not be answered.
fn refusal(status: u16, message: String) -> Decision {
    Decision {
        decision: false,
        context: DecisionContext { reason: message.clone(), level: None, error: Some(ErrorDetail { status, message }) },
    }
}

/// A verdict as AuthZEN answers it: a question about a user, contact, action or resource type
/// that does not exist is a deny with a 404 in its context.
fn decision(v: Verdict) -> Decision {
    if v.unknown {
        return refusal(404, v.reason);
    }
    Decision {
        decision: v.allowed,
        context: DecisionContext { reason: v.reason, level: v.level.map(|l| l.as_str()), error: None },
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
    asks: Vec<Result<Ask, String>>,
    semantic: Semantic,
    single: bool,
}

pub fn batch(req: EvaluationsRequest) -> Result<Batch, ApiError> {
    let defaults =
        EvaluationRequest { subject: req.subject, action: req.action, resource: req.resource, context: req.context };
    let items = req.evaluations.unwrap_or_default();
    if items.is_empty() {
        let ask = complete(EvaluationRequest::default(), &defaults).map_err(ApiError::BadRequest)?;
        return Ok(Batch { asks: vec![Ok(ask)], semantic: Semantic::ExecuteAll, single: true });
    }
    let semantic = Semantic::parse(req.options.as_ref().and_then(|o| o.evaluations_semantic.as_deref()))?;
    let asks = items.into_iter().map(|i| complete(i, &defaults)).collect();
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
