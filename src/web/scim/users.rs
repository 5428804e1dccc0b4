//! /scim/v2/Users: list (filter, paging, attributes), read, create, replace, patch, delete.
//!
//! Mapping: `userName` is the login email (also `emails[0]`); `name.givenName` /
//! `name.familyName` the names; `phoneNumbers[0].value` the phone (with its country code,
//! stored E.164); `active` the status; `roles[0].value` the Custodian role (`administrator`,
//! `manager`, `marketer`, `salesperson`, `sending_operator`, `user`), which brings its system
//! preset; without one a user gets the default role an Administrator set at
//! /settings/provisioning (`user` unless changed); `externalId` the identity provider's
//! id. Writes go through `users::save::commit` (the wizard's save) and `users::lifecycle`, with
//! the token creator's authority. The extension `presets` names the user's presets (left out,
//! the role's system preset when the role changes). DELETE deletes the user with the successor
//! an Administrator configured at /settings/provisioning, or, with none, deactivates (sessions
//! end at once) and leaves the account for an Administrator to delete; 204 either way.

use super::listing::{attribute, ListQuery, OneQuery};
use super::{acting_for, base_url, body, created, reply, with_token, ScimError};
use crate::accounts::{self as model, User, ACTIVE};
use crate::api_tokens::Authenticated;
use crate::db::Db;
use crate::permissions::store;
use crate::presets;
use crate::scim::user::{resource, Desired};
use crate::users::draft::UserDraft;
use crate::users::lifecycle::{self, LifecycleError};
use crate::users::save::{self, SaveError};
use crate::users::validate;
use crate::validation::FieldErrors;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde_json::Value;

type Row = (User, Option<String>);

fn load(c: &mut PgConnection, id: &str) -> Result<Row, ScimError> {
    let not_found = || ScimError::not_found(format!("no user {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    model::directory(c, Some(id))?.into_iter().next().ok_or_else(not_found)
}

/// GET /scim/v2/Users: the users (deleted ones aside) matching `filter`, by id, a page of them.
pub async fn search(req: HttpRequest, db: web::Data<Db>, q: web::Query<ListQuery>) -> Result<HttpResponse, ScimError> {
    let base = base_url(&req);
    let rows = with_token(&req, &db, |c, t| {
        directory(c, t)?;
        let rows: Vec<Row> = model::directory(c, None)?;
        let ids: Vec<i64> = rows.iter().map(|(u, _)| u.id).collect();
        Ok((rows, presets::held_names(c, &ids)?))
    })
    .await?;
    // Parsed once the token is known good: nobody unauthenticated reaches the parser.
    let expr = q.parsed_filter()?;
    let (rows, mut held) = rows;
    let resources =
        rows.iter().map(|(u, x)| resource(u, x.as_deref(), &held.remove(&u.id).unwrap_or_default(), &base)).collect();
    Ok(q.answer(expr.as_ref(), resources))
}

/// GET /scim/v2/Users/{id}.
pub async fn read(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<String>,
    q: web::Query<OneQuery>,
) -> Result<HttpResponse, ScimError> {
    let id = id.into_inner();
    let base = base_url(&req);
    let v = with_token(&req, &db, move |c, t| {
        directory(c, t)?;
        current(c, &id, &base)
    })
    .await?;
    Ok(q.answer(v))
}

/// Reading the user directory needs what the users list needs: `users_view` or `users_manage`.
fn directory(c: &mut PgConnection, t: &Authenticated) -> Result<(), ScimError> {
    let (_, who) = acting_for(c, t)?;
    Ok(crate::access::authority::read_users(&who)?)
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
    let (actor, subject) = acting_for(c, t)?;
    // The token acts for its creator, never on them: their own account is theirs to change at
    // the console, not the identity provider's.
    if target.is_some_and(|u| u.id == actor.id) {
        return Err(ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            "the token's creator's own account is not changed over SCIM",
        ));
    }
    let mut errors = FieldErrors::default();
    validate::email(&want.email, &mut errors);
    validate::name("first_name", &want.first, &mut errors);
    validate::name("last_name", &want.last, &mut errors);
    let phone = validate::phone(&want.phone, &mut errors);
    if !errors.is_empty() {
        return Err(ScimError::bad("invalidValue", errors.describe()));
    }
    let mut state = match target {
        Some(u) => UserDraft::for_edit(c, u)?,
        None => {
            let mut s = UserDraft::for_create(c)?;
            s.password_hash = Some(
                crate::auth::password::unusable_hash()
                    .map_err(|e| ScimError::from(crate::error::AppError::Internal(e)))?,
            );
            s
        }
    };
    let role = match want.role {
        Some(r) => r,
        None => crate::users::provisioning::default_role(c)?,
    };
    match &want.presets {
        Some(names) => {
            state.presets = presets::ids_by_names(c, names)?
                .map_err(|n| ScimError::bad("invalidValue", format!("no preset is named {n:?}")))?;
            state.role = role.as_str().into();
        }
        None if state.role() != role => {
            state.role = role.as_str().into();
            state.presets = vec![store::system_preset_id(c, role)?];
        }
        None => {}
    }
    state.email = want.email.trim().to_string();
    state.first_name = want.first.clone();
    state.last_name = want.last.clone();
    state.phone = want.phone.clone();
    state.phone_e164 = phone;
    let id = save::commit(c, &actor, &subject, &state, None).map_err(refused)?;
    if !model::set_external_id(c, id, want.external_id.as_deref())? {
        return Err(ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), "another user has this externalId"));
    }
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

/// The user `id` as it is now.
fn current(c: &mut PgConnection, id: &str, base: &str) -> Result<Value, ScimError> {
    let (u, x) = load(c, id)?;
    let held = presets::held_names(c, &[u.id])?.remove(&u.id).unwrap_or_default();
    Ok(resource(&u, x.as_deref(), &held, base))
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
            current(c, &id.to_string(), &base)
        })
    })
    .await?;
    Ok(created(&v))
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
            current(c, &uid.to_string(), &base)
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
    let ops = super::patch_operations(&body)?;
    change(&req, &db, id.into_inner(), move |u, x| {
        let mut want = Desired::of(u, x);
        for op in &ops {
            let path = op.path.as_deref().map(attribute);
            match (op.kind.as_str(), path) {
                ("add" | "replace", Some(p)) => want.set(&p, &op.value)?,
                ("add" | "replace", None) => want.set_all(&op.value)?,
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

/// DELETE /scim/v2/Users/{id}: with a successor configured at /settings/provisioning, deletes
/// the user as the card does (what they own goes to the successor; a later GET is 404);
/// without one (or when it is the user itself), deactivates. Answers 204 either way.
pub async fn delete(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    let id = id.into_inner();
    with_token(&req, &db, move |c, t| {
        c.transaction(|c| {
            let (u, _) = load(c, &id)?;
            let (actor, _) = acting_for(c, t)?;
            match crate::users::provisioning::delete_successor(c)?.filter(|s| s.id != u.id) {
                Some(heir) => {
                    lifecycle::delete(c, &actor, u.id, heir.id).map_err(lifecycle_refused)?;
                }
                None if u.status == ACTIVE => {
                    lifecycle::deactivate(c, &actor, u.id).map_err(lifecycle_refused)?;
                }
                None => {}
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
