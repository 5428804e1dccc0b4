//! /scim/v2/Groups: teams, listed (filter, paging, attributes), read, created, replaced,
//! patched (members added, removed or replaced) and deleted, through `crate::teams` as the
//! team screens do, with the authority of the token's creator (who must manage teams). The
//! mapping is in `scim::group`'s module doc.

use super::listing::{attribute, ListQuery, OneQuery};
use super::{acting_for, base_url, body, created, reply, with_token, ScimError};
use crate::accounts::{self, User};
use crate::api_tokens::Authenticated;
use crate::db::Db;
use crate::scim::group::{resource, DesiredGroup, Mode};
use crate::teams::{self, Team};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde_json::Value;

/// A team with its members and manager, as a resource.
fn current(c: &mut PgConnection, t: &Team, base: &str) -> Result<Value, ScimError> {
    let members = teams::members(c, t.id)?;
    let manager = match t.manager_id {
        Some(id) => accounts::find(c, id)?,
        None => None,
    };
    Ok(resource(t, &members, manager.as_ref(), base))
}

fn load(c: &mut PgConnection, id: &str) -> Result<Team, ScimError> {
    let not_found = || ScimError::not_found(format!("no group {id}"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    teams::find(c, id).optional()?.ok_or_else(not_found)
}

/// GET /scim/v2/Groups.
pub async fn search(req: HttpRequest, db: web::Data<Db>, q: web::Query<ListQuery>) -> Result<HttpResponse, ScimError> {
    let base = base_url(&req);
    let all = with_token(&req, &db, |c, t| {
        directory(c, t)?;
        let all = teams::all_with_members(c)?;
        let managers: Vec<i64> = all.iter().filter_map(|(t, _)| t.manager_id).collect();
        let managers: Vec<User> = accounts::find_many(c, &managers)?;
        Ok((all, managers))
    })
    .await?;
    // Parsed once the token is known good: nobody unauthenticated reaches the parser.
    let expr = q.parsed_filter()?;
    let (all, managers) = all;
    let resources = all
        .iter()
        .map(|(t, members)| {
            let manager = t.manager_id.and_then(|id| managers.iter().find(|u| u.id == id));
            resource(t, members, manager, &base)
        })
        .collect();
    Ok(q.answer(expr.as_ref(), resources))
}

/// GET /scim/v2/Groups/{id}.
pub async fn read(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<String>,
    q: web::Query<OneQuery>,
) -> Result<HttpResponse, ScimError> {
    let (id, base) = (id.into_inner(), base_url(&req));
    let v = with_token(&req, &db, move |c, t| {
        directory(c, t)?;
        let t = load(c, &id)?;
        current(c, &t, &base)
    })
    .await?;
    Ok(q.answer(v))
}

/// Reading the teams with their members needs what the team screens need: `teams_manage`.
fn directory(c: &mut PgConnection, t: &Authenticated) -> Result<(), ScimError> {
    let (_, who) = acting_for(c, t)?;
    Ok(crate::access::authority::require(&who, crate::permissions::Perm::AdministrationTeamsManage)?)
}

/// Writes `want` as team `target` (or a new team) in the caller's transaction; its id.
fn write(
    c: &mut PgConnection,
    t: &Authenticated,
    target: Option<&Team>,
    want: &DesiredGroup,
) -> Result<i64, ScimError> {
    let (actor, who) = acting_for(c, t)?;
    if want.name.trim().is_empty() {
        return Err(ScimError::bad("invalidValue", "displayName is required"));
    }
    let manager = match want.manager {
        Some(id) => crate::accounts::active_by_id(c, id)?.map(Some),
        None => Ok(None),
    };
    let v = match teams::validate(c, &want.name, manager, target.map(|t| t.id))? {
        Ok(v) => v,
        Err(e) if e.get("name") == Some(teams::NAME_TAKEN) => {
            return Err(ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), "another team has this displayName"))
        }
        Err(e) => return Err(ScimError::bad("invalidValue", e.describe())),
    };
    let taken = |_| ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), "another team has this displayName");
    let id = match target {
        Some(t) => {
            teams::update(c, &actor, &who, t.id, &v)?.map_err(taken)?;
            t.id
        }
        None => teams::create(c, &actor, &who, &v)?.map_err(taken)?.id,
    };
    if target.is_none_or(|t| t.external_id != want.external_id)
        && !teams::set_external_id(c, id, want.external_id.as_deref())?
    {
        return Err(ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), "another team has this externalId"));
    }
    if let Err((user, why)) = teams::set_members(c, &actor, &who, id, &want.members)? {
        return Err(ScimError::bad("invalidValue", format!("member {user}: {why}")));
    }
    Ok(id)
}

/// POST /scim/v2/Groups.
pub async fn create(req: HttpRequest, db: web::Data<Db>, raw: web::Bytes) -> Result<HttpResponse, ScimError> {
    let body = body(&req, &raw)?;
    let base = base_url(&req);
    let v = with_token(&req, &db, move |c, t| {
        let mut want = DesiredGroup::default();
        want.set_all(&body, Mode::Replace)?;
        c.transaction(|c| {
            let id = write(c, t, None, &want)?;
            let t = teams::find(c, id)?;
            current(c, &t, &base)
        })
    })
    .await?;
    Ok(created(&v))
}

/// Changes team `id` into what `want` makes of it as stored now (PUT, PATCH), in one
/// transaction, and answers 200 with the result (RFC 7644 3.5.2 allows that or 204).
async fn change(
    req: &HttpRequest,
    db: &Db,
    id: String,
    want: impl FnOnce(DesiredGroup) -> Result<DesiredGroup, ScimError> + Send + 'static,
) -> Result<HttpResponse, ScimError> {
    let base = base_url(req);
    let v = with_token(req, db, move |c, t| {
        c.transaction(|c| {
            let team = load(c, &id)?;
            let members = teams::members(c, team.id)?;
            let desired = want(DesiredGroup::of(&team, &members))?;
            write(c, t, Some(&team), &desired)?;
            let t = teams::find(c, team.id)?;
            current(c, &t, &base)
        })
    })
    .await?;
    Ok(reply(StatusCode::OK, &v))
}

/// PUT /scim/v2/Groups/{id}: the whole team replaced (members and manager left out are cleared).
pub async fn replace(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let body = body(&req, &raw)?;
    change(&req, &db, id.into_inner(), move |_| {
        let mut want = DesiredGroup::default();
        want.set_all(&body, Mode::Replace)?;
        Ok(want)
    })
    .await
}

/// PATCH /scim/v2/Groups/{id}: `add`, `replace` and `remove`, with or without a `path`;
/// `remove` of `members[value eq "…"]` or of `members` with the values to remove.
pub async fn patch(
    req: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let body = body(&req, &raw)?;
    let ops = super::patch_operations(&body)?;
    change(&req, &db, id.into_inner(), move |mut want| {
        for op in &ops {
            let path = op.path.as_deref().map(attribute);
            match (op.kind.as_str(), path) {
                ("add", Some(p)) => want.set(&p, &op.value, Mode::Add)?,
                ("replace", Some(p)) => want.set(&p, &op.value, Mode::Replace)?,
                ("add", None) => want.set_all(&op.value, Mode::Add)?,
                ("replace", None) => want.set_all(&op.value, Mode::Replace)?,
                ("remove", Some(p)) => want.remove(&p, &op.value)?,
                ("remove", None) => return Err(ScimError::bad("noTarget", "remove needs a path")),
                (other, _) => return Err(ScimError::bad("invalidSyntax", format!("{other:?} is not a PATCH op"))),
            }
        }
        Ok(want)
    })
    .await
}

/// DELETE /scim/v2/Groups/{id}: deletes the team (its memberships and access-group grants go
/// with it, as on the team page) and answers 204.
pub async fn delete(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    let id = id.into_inner();
    with_token(&req, &db, move |c, t| {
        c.transaction(|c| {
            let team = load(c, &id)?;
            let (actor, who) = acting_for(c, t)?;
            teams::delete(c, &actor, &who, team.id)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
