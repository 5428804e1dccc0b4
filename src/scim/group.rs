//! A Group as SCIM shows it and as a request describes it. A SCIM Group is a Custodian team:
//! `displayName` its name, `members` its members (users only: teams do not nest),
//! `externalId` the identity provider's id, and the team's manager in the extension
//! [`TEAM_EXTENSION`] as `manager.value` (a user id).

use super::attribute;
use super::error::ScimError;
use super::GROUP_SCHEMA;
use crate::accounts::User;
use crate::scim::filter;
use crate::teams::Team;
use serde_json::{json, Value};

/// The extension that carries what a SCIM Group has no core attribute for: the team manager.
pub const TEAM_EXTENSION: &str = "urn:custodian:params:scim:schemas:extension:team:2.0:Group";

fn attr(name: &str, kind: &str, required: bool, multi: bool) -> Value {
    json!({"name": name, "type": kind, "multiValued": multi, "required": required, "caseExact": false,
           "mutability": "readWrite", "returned": "default", "uniqueness": "none"})
}

fn reference(subs: &[&str]) -> Vec<Value> {
    let mut v: Vec<Value> = subs.iter().map(|s| attr(s, "string", false, false)).collect();
    v.push(json!({"name": "$ref", "type": "reference", "referenceTypes": ["User"], "multiValued": false,
                  "required": false, "caseExact": false, "mutability": "readWrite", "returned": "default",
                  "uniqueness": "none"}));
    v
}

/// The Group schema as served by /Schemas.
pub fn schema(base: &str) -> Value {
    let mut members = attr("members", "complex", false, true);
    members["subAttributes"] = json!(reference(&["value", "display", "type"]));
    let mut name = attr("displayName", "string", true, false);
    name["uniqueness"] = json!("server");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA, "name": "Group", "description": "A Custodian team",
        "attributes": [name, members],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}")}
    })
}

/// The team extension's schema as served by /Schemas.
pub fn extension_schema(base: &str) -> Value {
    let mut manager = attr("manager", "complex", false, false);
    manager["subAttributes"] = json!(reference(&["value", "display"]));
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": TEAM_EXTENSION, "name": "Team", "description": "What a Custodian team has beyond a Group",
        "attributes": [manager],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{TEAM_EXTENSION}")}
    })
}

fn user_ref(u: &User, base: &str) -> Value {
    json!({"value": u.id.to_string(), "display": u.display_name(), "$ref": format!("{base}/Users/{}", u.id)})
}

/// A team as a SCIM resource.
pub fn resource(t: &Team, members: &[User], manager: Option<&User>, base: &str) -> Value {
    let mut v = json!({
        "schemas": [GROUP_SCHEMA, TEAM_EXTENSION],
        "id": t.id.to_string(),
        "displayName": t.name,
        "members": members.iter().map(|u| { let mut m = user_ref(u, base); m["type"] = json!("User"); m }).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Group",
            "created": t.created_at.to_rfc3339(),
            "lastModified": t.updated_at.to_rfc3339(),
            "location": format!("{base}/Groups/{}", t.id),
        }
    });
    v[TEAM_EXTENSION] = json!({ "manager": manager.map(|m| user_ref(m, base)) });
    if let Some(x) = &t.external_id {
        v["externalId"] = json!(x);
    }
    v
}

/// What a request asks a team to be.
#[derive(Clone, Debug, Default)]
pub struct DesiredGroup {
    pub name: String,
    pub external_id: Option<String>,
    /// Member user ids, in the order given, without repeats.
    pub members: Vec<i64>,
    pub manager: Option<i64>,
}

/// The user id a `value` (or a `{"value": …}`) names.
fn user_id(v: &Value) -> Result<i64, ScimError> {
    let item = v.get("value").unwrap_or(v);
    if v.get("type").and_then(Value::as_str).is_some_and(|t| !t.eq_ignore_ascii_case("user")) {
        return Err(ScimError::bad("invalidValue", "members are users: teams do not nest"));
    }
    let text = match item {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => return Err(ScimError::bad("invalidValue", "a member needs a value (a user id)")),
        _ => return Err(ScimError::bad("invalidValue", "a member's value is a user id")),
    };
    text.trim().parse().map_err(|_| ScimError::bad("invalidValue", format!("no user {text:?}")))
}

fn user_ids(v: &Value) -> Result<Vec<i64>, ScimError> {
    match v {
        Value::Array(items) => items.iter().map(user_id).collect(),
        Value::Null => Ok(Vec::new()),
        one => Ok(vec![user_id(one)?]),
    }
}

fn text(path: &str, v: &Value) -> Result<String, ScimError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        _ => Err(ScimError::bad("invalidValue", format!("{path} must be a string"))),
    }
}

/// How a PATCH changes a multi-valued attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// POST, PUT and `replace`: the value given is the whole attribute.
    Replace,
    /// `add`: values are added to what is there.
    Add,
}

impl DesiredGroup {
    pub fn of(t: &Team, members: &[User]) -> DesiredGroup {
        DesiredGroup {
            name: t.name.clone(),
            external_id: t.external_id.clone(),
            members: members.iter().map(|u| u.id).collect(),
            manager: t.manager_id,
        }
    }

    fn add_members(&mut self, ids: Vec<i64>) {
        for id in ids {
            if !self.members.contains(&id) {
                self.members.push(id);
            }
        }
    }

    fn set_manager(&mut self, v: &Value) -> Result<(), ScimError> {
        self.manager = match v {
            Value::Null => None,
            Value::Object(o) if o.get("value").is_none_or(Value::is_null) => None,
            other => Some(user_id(other)?),
        };
        Ok(())
    }

    /// Sets one attribute (a path as [`attribute`] writes it) to `value`.
    pub fn set(&mut self, path: &str, value: &Value, mode: Mode) -> Result<(), ScimError> {
        let ext = TEAM_EXTENSION.to_ascii_lowercase();
        match path {
            "displayname" => self.name = text(path, value)?,
            "externalid" => self.external_id = Some(text(path, value)?).filter(|s| !s.is_empty()),
            "members" => {
                let ids = user_ids(value)?;
                if mode == Mode::Replace {
                    self.members.clear();
                }
                self.add_members(ids);
            }
            p if p == ext => {
                let o =
                    value.as_object().ok_or_else(|| ScimError::bad("invalidValue", "the extension is an object"))?;
                for (k, v) in o {
                    match k.to_ascii_lowercase().as_str() {
                        "manager" => self.set_manager(v)?,
                        other => {
                            return Err(ScimError::bad(
                                "invalidPath",
                                format!("{other:?} is not in the team extension"),
                            ))
                        }
                    }
                }
            }
            p if p == format!("{ext}:manager") || p == format!("{ext}:manager.value") => self.set_manager(value)?,
            "id" | "meta" | "schemas" => {}
            other => {
                return Err(ScimError::bad("invalidPath", format!("{other:?} is not an attribute of a Group here")))
            }
        }
        Ok(())
    }

    /// Every attribute of a resource body.
    pub fn set_all(&mut self, body: &Value, mode: Mode) -> Result<(), ScimError> {
        let o = body.as_object().ok_or_else(|| ScimError::bad("invalidSyntax", "a Group is a JSON object"))?;
        for (k, v) in o {
            self.set(&attribute(k), v, mode)?;
        }
        Ok(())
    }

    /// A PATCH `remove` at `path` (with the values to remove, when given).
    pub fn remove(&mut self, path: &str, value: &Value) -> Result<(), ScimError> {
        let ext = TEAM_EXTENSION.to_ascii_lowercase();
        match path {
            "members" if value.is_null() => self.members.clear(),
            "members" => {
                let gone = user_ids(value)?;
                self.members.retain(|id| !gone.contains(id));
            }
            "externalid" => self.external_id = None,
            "displayname" => return Err(ScimError::bad("mutability", "displayName is required")),
            p if p == ext || p == format!("{ext}:manager") || p == format!("{ext}:manager.value") => {
                self.manager = None
            }
            p if p.starts_with("members[") => {
                // `members[value eq "12"]`: the members the filter inside the brackets selects.
                let expr = filter::parse(p).map_err(|e| ScimError::bad("invalidPath", e))?;
                let filter::Expr::ValuePath(_, inner) = expr else {
                    return Err(ScimError::bad("invalidPath", format!("{p:?} is not a members filter")));
                };
                self.members.retain(|id| !filter::matches(&inner, &json!({"value": id.to_string(), "type": "User"})));
            }
            other => {
                return Err(ScimError::bad("invalidPath", format!("{other:?} is not an attribute of a Group here")))
            }
        }
        Ok(())
    }
}
