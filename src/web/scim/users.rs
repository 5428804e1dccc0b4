//! /scim/v2/Users: list (filter, paging, attributes), read, create, replace, patch, delete.
//!
//! Mapping: `userName` is the login email (also `emails[0]`); `name.givenName` /
//! `name.familyName` the names; `phoneNumbers[0].value` the phone (with its country code,
//! stored E.164); `active` the status; `roles[0].value` the Custodian role (`administrator`,
//! `manager`, `marketer`, `salesperson`, `sending_operator`, `user`), which brings its system
//! preset; without one a user gets the default role an Administrator set at
//! /settings/provisioning (`user` unless changed); `externalId` the identity provider's
//! id. Writes go through `users::save::commit` (the wizard's save) and `users::lifecycle`, with
//! the token creator's authority. DELETE deactivates (sessions end at once) and answers 204:
//! deleting needs a successor for what the user owns, which provisioning has no way to name;
//! the account stays for an Administrator to delete from its card.

use super::{base_url, body, filter, list, reply, with_token, ScimError, MAX_RESULTS, USER_SCHEMA};
use crate::access::facts;
use crate::accounts::{self as model, User, ACTIVE, DELETED};
use crate::api_tokens::Authenticated;
use crate::db::schema::users;
use crate::db::Db;
use crate::permissions::{store, Role};
use crate::users::lifecycle::{self, Actor, LifecycleError};
use crate::users::save::{self, SaveError};
use crate::users::validate;
use crate::users::wizard::WizardState;
use crate::validation::FieldErrors;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde_json::{json, Value};

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
            multi("roles", vec![sub("value"), sub("display"), typed("primary", "boolean")]),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}")}
    })
}

/// A user as a SCIM resource.
pub fn resource(u: &User, external_id: Option<&str>, base: &str) -> Value {
    let role = u.role();
    let mut v = json!({
        "schemas": [USER_SCHEMA],
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
    if let Some(p) = &u.phone {
        v["phoneNumbers"] = json!([{"value": p, "type": "work"}]);
    }
    if let Some(e) = external_id {
        v["externalId"] = json!(e);
    }
    v
}

/// An attribute name as a request writes it, lower-cased, without the User schema's URN.
fn attribute(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase();
    let urn = format!("{}:", USER_SCHEMA.to_ascii_lowercase());
    n.strip_prefix(&urn).map(String::from).unwrap_or(n)
}

/// `attributes` / `excludedAttributes` (top-level names, case-insensitive); `schemas` and
/// `id` are always returned.
fn project(mut v: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let names = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|a| {
                let a = attribute(a);
                a.split('.').next().unwrap_or("").to_string()
            })
            .filter(|a| !a.is_empty())
            .collect()
    };
    let keep = |k: &str| k == "schemas" || k == "id";
    if let Value::Object(map) = &mut v {
        if let Some(a) = attributes.filter(|a| !a.trim().is_empty()) {
            let wanted = names(a);
            map.retain(|k, _| keep(k) || wanted.contains(&k.to_ascii_lowercase()));
        } else if let Some(x) = excluded {
            let unwanted = names(x);
            map.retain(|k, _| keep(k) || !unwanted.contains(&k.to_ascii_lowercase()));
        }
    }
    v
}

type Row = (User, Option<String>);

fn load(c: &mut PgConnection, id: &str) -> Result<Row, ScimError> {
    let not_found = || ScimError::not_found(format!("no user {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    users::table
        .find(id)
        .filter(users::status.ne(DELETED))
        .select((User::as_select(), users::external_id))
        .first(c)
        .optional()?
        .ok_or_else(not_found)
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

/// GET /scim/v2/Users: the users (deleted ones aside) matching `filter`, by id, a page of them.
pub async fn search(req: HttpRequest, db: web::Data<Db>, q: web::Query<ListQuery>) -> Result<HttpResponse, ScimError> {
    let q = q.into_inner();
    let expr = q.filter.as_deref().map(filter::parse).transpose().map_err(|e| ScimError::bad("invalidFilter", e))?;
    // RFC 7644 3.4.2.4: startIndex below 1 is 1; a count below 0 is 0.
    let number = |v: &Option<String>, default: i64| -> i64 {
        v.as_deref().and_then(|s| s.trim().parse().ok()).unwrap_or(default)
    };
    let start = number(&q.start_index, 1).max(1);
    let count = number(&q.count, MAX_RESULTS).clamp(0, MAX_RESULTS);
    let base = base_url(&req);
    let rows: Vec<Row> = with_token(&req, &db, |c, _| {
        Ok(users::table
            .filter(users::status.ne(DELETED))
            .order(users::id)
            .select((User::as_select(), users::external_id))
            .load(c)?)
    })
    .await?;
    let matching: Vec<Value> = rows
        .iter()
        .map(|(u, x)| resource(u, x.as_deref(), &base))
        .filter(|v| expr.as_ref().is_none_or(|e| filter::matches(e, v)))
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching
        .into_iter()
        .skip(usize::try_from(start - 1).unwrap_or(0))
        .take(usize::try_from(count).unwrap_or(0))
        .map(|v| project(v, q.attributes.as_deref(), q.excluded_attributes.as_deref()))
        .collect();
    Ok(reply(StatusCode::OK, &list(page, total, usize::try_from(start).unwrap_or(1))))
}

#[derive(serde::Deserialize)]
pub struct OneQuery {
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

/// GET /scim/v2/Users/{id}.
pub async fn read(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<String>,
    q: web::Query<OneQuery>,
) -> Result<HttpResponse, ScimError> {
    let id = id.into_inner();
    let (u, x) = with_token(&req, &db, move |c, _| load(c, &id)).await?;
    let v = resource(&u, x.as_deref(), &base_url(&req));
    Ok(reply(StatusCode::OK, &project(v, q.attributes.as_deref(), q.excluded_attributes.as_deref())))
}

/// What a request asks a user to be: every field a SCIM resource maps to.
#[derive(Clone, Debug, Default)]
struct Desired {
    email: String,
    first: String,
    last: String,
    phone: String,
    active: bool,
    role: Option<Role>,
    external_id: Option<String>,
}

impl Desired {
    fn of(u: &User, external_id: Option<String>) -> Desired {
        Desired {
            email: u.email.clone(),
            first: u.first_name.clone(),
            last: u.last_name.clone(),
            phone: u.phone.clone().unwrap_or_default(),
            active: u.status == ACTIVE,
            role: Some(u.role()),
            external_id,
        }
    }

    /// Sets one attribute (a path, lower-cased, without the schema URN) to `value`.
    fn set(&mut self, path: &str, value: &Value) -> Result<(), ScimError> {
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
            // Read-only or derived here: accepted and ignored, as the RFC allows for immutable data.
            "id" | "meta" | "schemas" | "displayname" | "name.formatted" | "password" => {}
            other => {
                return Err(ScimError::bad("invalidPath", format!("{other:?} is not an attribute of a User here")))
            }
        }
        Ok(())
    }

    /// Every attribute of a resource body (a PUT, a POST, or a PATCH without a path).
    fn set_all(&mut self, body: &Value) -> Result<(), ScimError> {
        let o = body.as_object().ok_or_else(|| ScimError::bad("invalidSyntax", "a User is a JSON object"))?;
        for (k, v) in o {
            self.set(&attribute(k), v)?;
        }
        Ok(())
    }
}

/// The token's creator, as the actor of every change.
fn actor(c: &mut PgConnection, t: &Authenticated) -> Result<(Actor, crate::access::Subject), ScimError> {
    let id = t
        .created_by
        .ok_or_else(|| ScimError::new(StatusCode::FORBIDDEN, None, "this token has no creator to act for"))?;
    let s = facts::subject(c, id)?
        .ok_or_else(|| ScimError::new(StatusCode::FORBIDDEN, None, "the token's creator is gone"))?;
    if !s.active {
        return Err(ScimError::new(StatusCode::FORBIDDEN, None, "the token's creator is not active"));
    }
    Ok((Actor { id, ip: None, via: Some(format!("SCIM token {}", t.name)) }, s))
}

fn refused(e: SaveError) -> ScimError {
    match e {
        SaveError::EmailTaken => ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), e.to_string()),
        SaveError::Stale => ScimError::new(StatusCode::CONFLICT, None, e.to_string()),
        SaveError::Db(d) => d.into(),
        SaveError::Lifecycle(l) => lifecycle_refused(l),
        other => ScimError::new(StatusCode::FORBIDDEN, None, other.to_string()),
    }
}

fn lifecycle_refused(e: LifecycleError) -> ScimError {
    match e {
        LifecycleError::Db(d) => d.into(),
        other => ScimError::new(StatusCode::FORBIDDEN, None, other.to_string()),
    }
}

/// Writes `want` as user `target` (or a new user), with the creator's authority, in the
/// caller's transaction. Returns the user's id.
fn write(c: &mut PgConnection, t: &Authenticated, target: Option<&User>, want: &Desired) -> Result<i64, ScimError> {
    let (actor, subject) = actor(c, t)?;
    let mut errors = FieldErrors::default();
    validate::email(&want.email, &mut errors);
    validate::name("first_name", &want.first, &mut errors);
    validate::name("last_name", &want.last, &mut errors);
    let phone = validate::phone(&want.phone, &mut errors);
    if !errors.is_empty() {
        return Err(ScimError::bad("invalidValue", errors.describe()));
    }
    let mut state = match target {
        Some(u) => WizardState::for_edit(c, u)?,
        None => {
            let mut s = WizardState::for_create(c)?;
            // Nobody signs in with this password: single sign-on or a reset gives access.
            use rand::distributions::{Alphanumeric, DistString};
            let unusable = Alphanumeric.sample_string(&mut rand::thread_rng(), 48);
            s.password_hash = Some(
                crate::auth::password::hash(&unusable)
                    .map_err(|e| ScimError::from(crate::error::AppError::Internal(e)))?,
            );
            s
        }
    };
    let role = match want.role {
        Some(r) => r,
        None => crate::users::provisioning::default_role(c)?,
    };
    if state.role() != role {
        state.role = role.as_str().into();
        state.presets = vec![store::system_preset_id(c, role)?];
    }
    state.email = want.email.trim().to_string();
    state.first_name = want.first.clone();
    state.last_name = want.last.clone();
    state.phone = want.phone.clone();
    state.phone_e164 = phone;
    let id = save::commit(c, &actor, &subject, &state, None).map_err(refused)?;
    diesel::update(users::table.find(id)).set(users::external_id.eq(&want.external_id)).execute(c).map_err(
        |e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), "another user has this externalId")
            }
            other => other.into(),
        },
    )?;
    let now = model::find(c, id)?.ok_or_else(|| ScimError::not_found("the user is gone"))?;
    match (now.status == ACTIVE, want.active) {
        (true, false) => {
            lifecycle::deactivate(c, &actor, id).map_err(lifecycle_refused)?;
        }
        (false, true) => {
            lifecycle::reactivate(c, &actor, id).map_err(lifecycle_refused)?;
        }
        _ => {}
    }
    Ok(id)
}

/// Answers with the user `id` as it is now.
fn current(c: &mut PgConnection, id: i64, base: &str) -> Result<Value, ScimError> {
    let (u, x) = load(c, &id.to_string())?;
    Ok(resource(&u, x.as_deref(), base))
}

/// POST /scim/v2/Users.
pub async fn create(req: HttpRequest, db: web::Data<Db>, raw: web::Bytes) -> Result<HttpResponse, ScimError> {
    let body = body(&req, &raw)?;
    let base = base_url(&req);
    let v = with_token(&req, &db, move |c, t| {
        let mut want = Desired { active: true, ..Desired::default() };
        want.set_all(&body)?;
        if want.email.trim().is_empty() {
            return Err(ScimError::bad("invalidValue", "userName is required"));
        }
        c.transaction(|c| {
            let id = write(c, t, None, &want)?;
            current(c, id, &base)
        })
    })
    .await?;
    let location = v["meta"]["location"].as_str().unwrap_or("").to_string();
    let mut res = reply(StatusCode::CREATED, &v);
    if let Ok(h) = actix_web::http::header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(actix_web::http::header::LOCATION, h);
    }
    Ok(res)
}

/// Changes user `id` into what `want` makes of it as stored now (PUT, PATCH), in one
/// transaction, and answers with the result.
async fn change(
    req: &HttpRequest,
    db: &Db,
    id: String,
    want: impl FnOnce(&User, Option<String>) -> Result<Desired, ScimError> + Send + 'static,
) -> Result<HttpResponse, ScimError> {
    let base = base_url(req);
    let v = with_token(req, db, move |c, t| {
        c.transaction(|c| {
            let (u, x) = load(c, &id)?;
            let desired = want(&u, x)?;
            if desired.email.trim().is_empty() {
                return Err(ScimError::bad("invalidValue", "userName is required"));
            }
            let uid = write(c, t, Some(&u), &desired)?;
            current(c, uid, &base)
        })
    })
    .await?;
    Ok(reply(StatusCode::OK, &v))
}

/// PUT /scim/v2/Users/{id}: the whole resource replaced (what is left out is cleared, as RFC
/// 7644 3.5.1 says; `active` left out stays as it is, roles left out become the default role).
pub async fn replace(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let body = body(&req, &raw)?;
    change(&req, &db, id.into_inner(), move |u, _| {
        let mut want = Desired { active: u.status == ACTIVE, ..Desired::default() };
        want.set_all(&body)?;
        Ok(want)
    })
    .await
}

/// PATCH /scim/v2/Users/{id}: `add`, `replace` and `remove`, with or without a `path`.
pub async fn patch(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let body = body(&req, &raw)?;
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "a PATCH carries \"Operations\""))?;
    change(&req, &db, id.into_inner(), move |u, x| {
        let mut want = Desired::of(u, x);
        for op in &ops {
            let kind = op.get("op").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
            let path = op.get("path").and_then(Value::as_str).map(attribute);
            let value = op.get("value").cloned().unwrap_or(Value::Null);
            match (kind.as_str(), path) {
                ("add" | "replace", Some(p)) => want.set(&p, &value)?,
                ("add" | "replace", None) => want.set_all(&value)?,
                ("remove", Some(p)) => match p.as_str() {
                    "username" => return Err(ScimError::bad("mutability", "userName cannot be removed")),
                    "active" => return Err(ScimError::bad("mutability", "active cannot be removed: set it to false")),
                    other => want.set(other, &Value::Null)?,
                },
                ("remove", None) => return Err(ScimError::bad("noTarget", "remove needs a path")),
                (other, _) => return Err(ScimError::bad("invalidSyntax", format!("{other:?} is not a PATCH op"))),
            }
        }
        Ok(want)
    })
    .await
}

/// DELETE /scim/v2/Users/{id}: deactivates (see the module doc) and answers 204.
pub async fn delete(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    let id = id.into_inner();
    with_token(&req, &db, move |c, t| {
        c.transaction(|c| {
            let (u, _) = load(c, &id)?;
            if u.status == ACTIVE {
                let (actor, _) = actor(c, t)?;
                lifecycle::deactivate(c, &actor, u.id).map_err(lifecycle_refused)?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
