//! A User as SCIM shows it and as a request describes it: the schema served by /Schemas, the
//! resource of a user, and [`Desired`], what a POST, PUT or PATCH asks a user to be (the
//! mapping is in `users`' module doc).

use super::attribute;
use super::error::ScimError;
use super::USER_SCHEMA;
use crate::accounts::{User, ACTIVE};
use crate::permissions::Role;
use serde_json::{json, Value};

/// The extension that carries what a SCIM User has no core attribute for: the presets.
pub const USER_EXTENSION: &str = "urn:custodian:params:scim:schemas:extension:custodian:2.0:User";

/// The extension's schema as served by /Schemas.
pub fn extension_schema(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_EXTENSION, "name": "CustodianUser", "description": "What a Custodian user has beyond a User",
        "attributes": [{"name": "presets", "type": "string", "multiValued": true, "required": false,
                        "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
                        "description": "Names of the permission presets the user holds"}],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_EXTENSION}")}
    })
}

/// The User schema as served by /Schemas.
pub fn schema(base: &str) -> Value {
    let attr = |name: &str, kind: &str, required: bool, uniqueness: &str| {
        json!({"name": name, "type": kind, "multiValued": false, "required": required, "caseExact": false,
               "mutability": "readWrite", "returned": "default", "uniqueness": uniqueness})
    };
    let typed = |name: &str, kind: &str| {
        json!({"name": name, "type": kind, "multiValued": false, "required": false, "caseExact": false,
               "mutability": "readWrite", "returned": "default", "uniqueness": "none"})
    };
    let sub = |name: &str| typed(name, "string");
    let mut name = attr("name", "complex", false, "none");
    name["subAttributes"] = json!([sub("givenName"), sub("familyName"), sub("formatted")]);
    let multi = |n: &str, subs: Vec<Value>| {
        let mut a = attr(n, "complex", false, "none");
        a["multiValued"] = json!(true);
        a["subAttributes"] = json!(subs);
        a
    };
    let mut role_value = sub("value");
    role_value["canonicalValues"] = json!(Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>());
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "A Custodian user",
        "attributes": [
            attr("userName", "string", true, "server"),
            name,
            attr("displayName", "string", false, "none"),
            attr("active", "boolean", false, "none"),
            multi("emails", vec![sub("value"), sub("type"), typed("primary", "boolean")]),
            multi("phoneNumbers", vec![sub("value"), sub("type")]),
            multi("roles", vec![role_value, sub("display"), typed("primary", "boolean")]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}")}
    })
}

/// A user as a SCIM resource.
pub fn resource(u: &User, external_id: Option<&str>, presets: &[String], base: &str) -> Value {
    let role = u.role();
    let mut v = json!({
        "schemas": [USER_SCHEMA, USER_EXTENSION],
        "id": u.id.to_string(),
        "userName": u.email,
        "name": {"givenName": u.first_name, "familyName": u.last_name, "formatted": u.display_name()},
        "displayName": u.display_name(),
        "emails": [{"value": u.email, "type": "work", "primary": true}],
        "active": u.status == ACTIVE,
        "roles": [{"value": role.as_str(), "display": role.label(), "primary": true}],
        "meta": {
            "resourceType": "User",
            "created": u.created_at.to_rfc3339(),
            "lastModified": u.updated_at.to_rfc3339(),
            "location": format!("{base}/Users/{}", u.id),
            "version": format!("W/\"{}\"", u.version),
        }
    });
    v[USER_EXTENSION] = json!({ "presets": presets });
    if let Some(p) = &u.phone {
        v["phoneNumbers"] = json!([{"value": p, "type": "work"}]);
    }
    if let Some(e) = external_id {
        v["externalId"] = json!(e);
    }
    v
}

/// What a request asks a user to be: every field a SCIM resource maps to.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    pub email: String,
    pub first: String,
    pub last: String,
    pub phone: String,
    pub active: bool,
    pub role: Option<Role>,
    pub external_id: Option<String>,
    /// Preset names; `None` (or none given) keeps the presets, or gives the role's system
    /// preset when the role changes.
    pub presets: Option<Vec<String>>,
}

impl Desired {
    pub fn of(u: &User, external_id: Option<String>) -> Desired {
        Desired {
            email: u.email.clone(),
            first: u.first_name.clone(),
            last: u.last_name.clone(),
            phone: u.phone.clone().unwrap_or_default(),
            active: u.status == ACTIVE,
            role: Some(u.role()),
            external_id,
            presets: None,
        }
    }

    /// Sets one attribute (a path, lower-cased, without the schema URN) to `value`.
    pub fn set(&mut self, path: &str, value: &Value) -> Result<(), ScimError> {
        let ext = USER_EXTENSION.to_ascii_lowercase();
        let text = |v: &Value| -> Result<String, ScimError> {
            match v {
                Value::String(s) => Ok(s.clone()),
                Value::Null => Ok(String::new()),
                _ => Err(ScimError::bad("invalidValue", format!("{path} must be a string"))),
            }
        };
        // The first value of a multi-valued attribute (or the value itself).
        let first_value = |v: &Value| -> Result<String, ScimError> {
            match v {
                Value::Array(items) => {
                    let primary = items.iter().find(|i| i["primary"] == json!(true)).or_else(|| items.first());
                    primary.map(|i| text(i.get("value").unwrap_or(&Value::Null))).unwrap_or(Ok(String::new()))
                }
                Value::Object(o) => text(o.get("value").unwrap_or(&Value::Null)),
                other => text(other),
            }
        };
        match path {
            "username" => self.email = text(value)?,
            "emails" | "emails.value" => {
                // userName is the login: an email list only fills it when it is empty.
                let e = first_value(value)?;
                if self.email.is_empty() {
                    self.email = e;
                }
            }
            "name" => {
                let o = value.as_object().ok_or_else(|| ScimError::bad("invalidValue", "name must be an object"))?;
                for (k, v) in o {
                    match k.to_ascii_lowercase().as_str() {
                        "givenname" => self.first = text(v)?,
                        "familyname" => self.last = text(v)?,
                        _ => {}
                    }
                }
            }
            "name.givenname" => self.first = text(value)?,
            "name.familyname" => self.last = text(value)?,
            "phonenumbers" | "phonenumbers.value" => self.phone = first_value(value)?,
            "active" => {
                self.active = match value {
                    Value::Bool(b) => *b,
                    // Some providers send the boolean as text.
                    Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                    Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                    _ => return Err(ScimError::bad("invalidValue", "active must be true or false")),
                }
            }
            "roles" | "roles.value" => {
                let r = first_value(value)?;
                self.role = if r.is_empty() {
                    None
                } else {
                    Some(r.parse().map_err(|_| {
                        ScimError::bad(
                            "invalidValue",
                            format!("unknown role {r:?}: administrator, manager, marketer, salesperson, sending_operator or user"),
                        )
                    })?)
                };
            }
            "externalid" => self.external_id = Some(text(value)?).filter(|s| !s.is_empty()),
            p if p == ext => {
                let o =
                    value.as_object().ok_or_else(|| ScimError::bad("invalidValue", "the extension is an object"))?;
                for (k, v) in o {
                    match k.to_ascii_lowercase().as_str() {
                        "presets" => self.set_presets(v)?,
                        other => {
                            return Err(ScimError::bad(
                                "invalidPath",
                                format!("{other:?} is not in the user extension"),
                            ))
                        }
                    }
                }
            }
            p if p == format!("{ext}:presets") => self.set_presets(value)?,
            // Read-only or derived here: accepted and ignored, as the RFC allows for immutable data.
            "id" | "meta" | "schemas" | "displayname" | "name.formatted" | "password" => {}
            other => {
                return Err(ScimError::bad("invalidPath", format!("{other:?} is not an attribute of a User here")))
            }
        }
        Ok(())
    }

    fn set_presets(&mut self, v: &Value) -> Result<(), ScimError> {
        let names: Vec<String> = match v {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .map(|i| match i.get("value").unwrap_or(i) {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(ScimError::bad("invalidValue", "presets are preset names")),
                })
                .collect::<Result<_, _>>()?,
            Value::String(s) => vec![s.clone()],
            _ => return Err(ScimError::bad("invalidValue", "presets are preset names")),
        };
        self.presets = Some(names).filter(|n| !n.is_empty());
        Ok(())
    }

    /// Every attribute of a resource body (a PUT, a POST, or a PATCH without a path).
    pub fn set_all(&mut self, body: &Value) -> Result<(), ScimError> {
        let o = body.as_object().ok_or_else(|| ScimError::bad("invalidSyntax", "a User is a JSON object"))?;
        for (k, v) in o {
            self.set(&attribute(k), v)?;
        }
        Ok(())
    }
}
