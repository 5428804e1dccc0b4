//! The JSON of the AuthZEN Authorization API 1.0, as Custodian speaks it. Unknown fields are
//! ignored (the specification says receivers MUST); required ones are checked by the handlers,
//! so a missing one gets a 400 naming it.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// An id as text; a JSON number is taken too (`"42"` and `42` name the same user).
fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(serde::de::Error::custom("an id is a string")),
    })
}

/// A subject (`type` "user", `id` a Custodian user id or email) or a resource (`type`
/// "contact" with a contact id, or "crm" for permissions that concern no contact).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct Entity {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "text_or_number", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub properties: Option<serde_json::Value>,
}

impl Entity {
    pub fn new(kind: &str, id: String) -> Entity {
        Entity { kind: Some(kind.into()), id: Some(id), properties: None }
    }
}

/// An action: `name` is a catalog key such as `contacts.view` or `email.send`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct Action {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub properties: Option<serde_json::Value>,
}

/// POST /access/v1/evaluation (and one item of a batch, where every part may come from the
/// batch's defaults).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct EvaluationRequest {
    pub subject: Option<Entity>,
    pub action: Option<Action>,
    pub resource: Option<Entity>,
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
}

/// The batch's options.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct EvaluationsOptions {
    /// `execute_all` (the default), `deny_on_first_deny` or `permit_on_first_permit`.
    pub evaluations_semantic: Option<String>,
}

/// POST /access/v1/evaluations: defaults at the top, items in `evaluations`.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct EvaluationsRequest {
    pub subject: Option<Entity>,
    pub action: Option<Action>,
    pub resource: Option<Entity>,
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    pub evaluations: Option<Vec<EvaluationRequest>>,
    pub options: Option<EvaluationsOptions>,
}

/// Why a decision is what it is: the access level to the contact and the reason sentence of
/// the explainer (the same text as `/api/v1/check`); `error` when something asked about does
/// not exist (the decision is then false).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DecisionContext {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub status: u16,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Decision {
    pub decision: bool,
    pub context: DecisionContext,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EvaluationsResponse {
    pub evaluations: Vec<Decision>,
}

/// The answer of POST /access/v1/evaluations: the batch's decisions, or — for a request
/// without `evaluations` — the single decision of its top-level question.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EvaluationsAnswer {
    Many(EvaluationsResponse),
    Single(Decision),
}

/// The `page` of a search request.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct PageRequest {
    /// The `next_token` of the previous page.
    pub token: Option<String>,
    /// At most this many results (1 to 1000; 50 when absent).
    pub limit: Option<i64>,
}

/// POST /access/v1/search/{subject,resource,action}.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct SearchRequest {
    pub subject: Option<Entity>,
    pub action: Option<Action>,
    pub resource: Option<Entity>,
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    pub page: Option<PageRequest>,
}

/// The `page` of a search response: `next_token` is empty on the last page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PageResponse {
    pub next_token: String,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EntitySearchResponse {
    pub page: PageResponse,
    pub results: Vec<Entity>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ActionSearchResponse {
    pub page: PageResponse,
    pub results: Vec<Action>,
}

/// GET /.well-known/authzen-configuration.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Metadata {
    pub policy_decision_point: String,
    pub access_evaluation_endpoint: String,
    pub access_evaluations_endpoint: String,
    pub search_subject_endpoint: String,
    pub search_resource_endpoint: String,
    pub search_action_endpoint: String,
}
