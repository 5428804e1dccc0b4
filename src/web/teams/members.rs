//! POST /teams/{id}/members (add members by email: one, or several separated by commas) and
//! POST /teams/{id}/members/{user_id}/remove.

use super::edit::{team_page, MemberDraft};
use crate::access::ends;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams as model;
use crate::validation::FieldErrors;
use crate::web::confirm::ConfirmPage;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    email: String,
    /// An end for the memberships added (empty: none; `access::ends::parse`).
    #[serde(default)]
    until: String,
}

/// The most members one submission adds.
const AT_ONCE: usize = 50;

/// The emails typed, separated by commas, semicolons, spaces or lines; each once.
fn emails(typed: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in typed.split([',', ';', ' ', '\n', '\r', '\t']).map(str::trim).filter(|e| !e.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(e)) {
            out.push(e.to_string());
        }
    }
    out
}

/// Adds active users to a team: all of them, or (when one cannot be added) none, with each
/// refusal said beside the field and what was typed kept. One transaction, each member through
/// `teams::add_member` (its authority and audit entry).
#[tracing::instrument(skip_all)]
pub async fn add(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let id = id.into_inner();
    let AddForm { email, until } = form.into_inner();
    let wanted = emails(&email);
    let typed = MemberDraft { email, until };
    let (page_viewer, page_db, page_typed) = (&viewer, &db, &typed);
    let refused = |field: &'static str, msg: String| async move {
        let mut errors = FieldErrors::default();
        errors.add(field, msg);
        team_page(page_viewer, page_db, id, None, errors, page_typed.clone()).await
    };
    let end = match ends::parse(&typed.until, chrono::Utc::now()) {
        Ok(at) => ends::End::set(at, viewer.id()),
        Err(msg) => return refused("member_until", msg).await,
    };
    if wanted.is_empty() {
        return refused("member_email", "Enter the email of a user to add.".into()).await;
    }
    if wanted.len() > AT_ONCE {
        return refused("member_email", format!("Add at most {AT_ONCE} members at once.")).await;
    }
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    let done = db
        .transaction(move |c| {
            model::find(c, id)?;
            let (mut added, mut already, mut problems) = (Vec::new(), Vec::new(), Vec::new());
            for e in &wanted {
                let user = match crate::accounts::active_by_email(c, e)? {
                    Ok(u) => u,
                    Err(msg) => {
                        problems.push((e, msg.to_string()));
                        continue;
                    }
                };
                match model::add_member(c, &actor, &who, id, &user, end) {
                    Ok(true) => added.push(user.email),
                    Ok(false) => already.push(user.email),
                    // A member the actor may not add is said beside the field.
                    Err(crate::access::Denied::Forbidden(why)) => problems.push((e, why)),
                    Err(e) => return Err(e.into()),
                }
            }
            if !problems.is_empty() {
                // Nothing is added unless everyone can be: the error rolls the others back.
                let msg = match problems.as_slice() {
                    [(_, why)] if wanted.len() == 1 => why.clone(),
                    _ => {
                        let each: Vec<String> = problems.iter().map(|(e, why)| format!("{e}: {why}")).collect();
                        format!("Nobody was added. {}", each.join(" · "))
                    }
                };
                return Err(AppError::BadRequest(msg));
            }
            Ok((added, already))
        })
        .await;
    match done {
        Ok((added, already)) => {
            let mut said = match added.len() {
                0 => String::new(),
                1 => format!("{} added to the team.", added[0]),
                n => format!("{n} members added: {}.", added.join(", ")),
            };
            if !already.is_empty() {
                let verb = if already.len() == 1 { "was" } else { "were" };
                said = format!("{said} {} {verb} already a member.", already.join(", ")).trim().to_string();
            }
            if added.is_empty() {
                let msg = if already.len() == 1 { "This user is already a member.".into() } else { said };
                return refused("member_email", msg).await;
            }
            if let Some(at) = end.at {
                said = format!("{said} Their membership ends {}.", ends::until(at).trim_start_matches("until "));
            }
            viewer.flash(FlashKind::Success, said);
            Ok(see_other(&format!("/teams/{id}")))
        }
        Err(AppError::BadRequest(msg)) => refused("member_email", msg).await,
        Err(e) => Err(e),
    }
}

/// GET …/members/{user_id}/remove: what removing the member does, and the button.
pub async fn confirm_remove(
    viewer: Viewer,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let (id, user_id) = path.into_inner();
    let (team, user, grants) = db
        .run(move |c| {
            let team = model::find(c, id)?;
            if !model::members(c, id)?.iter().any(|u| u.id == user_id) {
                return Err(AppError::NotFound);
            }
            let user = crate::accounts::find(c, user_id)?.ok_or(AppError::NotFound)?;
            Ok((team, user, model::granted_groups(c, id)?))
        })
        .await?;
    let mut page = ConfirmPage::new(
        viewer.layout("/teams"),
        format!("Remove {} from team {}?", user.display_name(), team.name),
        format!("/teams/{id}/members/{user_id}/remove"),
        format!("/teams/{id}"),
    )
    .then(format!("{} leaves the team: its manager no longer reaches the contacts {} owns.", user.email, user.email));
    if !grants.is_empty() {
        let names: Vec<&str> = grants.iter().map(|(_, name, _)| name.as_str()).collect();
        page = page.then(format!(
            "The team's access groups ({}) no longer give {} access; other paths (own contacts, co-ownerships, their own grants) stay.",
            names.join(", "),
            user.email
        ));
    }
    page.button("Remove from team", true).show()
}

/// Removes a member from a team.
#[tracing::instrument(skip_all)]
pub async fn remove(viewer: Viewer, db: web::Data<Db>, path: web::Path<(i64, i64)>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let (id, user_id) = path.into_inner();
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    let email = db
        .transaction(move |c| {
            model::find(c, id)?;
            model::remove_member(c, &actor, &who, id, user_id)?.ok_or(AppError::NotFound)
        })
        .await?;
    viewer.flash(FlashKind::Success, format!("{email} removed from the team."));
    Ok(see_other(&format!("/teams/{id}")))
}
