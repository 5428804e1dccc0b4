//! The JSON of the AuthZEN Authorization API 1.0, as Custodian speaks it. Unknown fields are
//! ignored (the specification says receivers MUST); a known field of the wrong JSON type (an id
//! that is a number, a `context` or `properties` that is not an object) makes the request a 400;
//! required parts are checked by the handlers, so a missing one gets a 400 naming it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A JSON object (`properties`, `context`).
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// A subject (`type` "user", `id` a Custodian user id or email) or a resource (`type`
/// "contact" with a contact id, or "crm" for permissions that concern no contact).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct Entity {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub properties: Option<JsonObject>,
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
    pub properties: Option<JsonObject>,
}

/// POST /access/v1/evaluation (and one item of a batch, where every part may come from the
/// batch's defaults).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct EvaluationRequest {
    pub subject: Option<Entity>,
    pub action: Option<Action>,
    pub resource: Option<Entity>,
    #[schema(value_type = Option<Object>)]
    pub context: Option<JsonObject>,
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
    pub context: Option<JsonObject>,
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
    /// The `next_token` of the previous page. It carries the page size: a follow-up may send
    /// it alone, and the rest of the search must stay as it was.
    pub token: Option<String>,
    /// At most this many results: 50 when absent (with a token: the token's), pages of 1000
    /// above that, none for 0.
    #[schema(minimum = 0)]
    pub limit: Option<i64>,
}

/// POST /access/v1/search/{subject,resource,action}.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct SearchRequest {
    pub subject: Option<Entity>,
    pub action: Option<Action>,
    pub resource: Option<Entity>,
    #[schema(value_type = Option<Object>)]
    pub context: Option<JsonObject>,
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
