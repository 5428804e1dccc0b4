//! The user wizard (screen 3): the pieces its three steps share (which wizard a request is
//! about, the checks every step starts with, its saved state).
//!
//! Create lives under /users/new, edit under /users/{id}/edit; each step posts to
//! `<base>/details`, `<base>/permissions`, `<base>/save` or `<base>/cancel` with `?w=<wizard id>`.

use crate::accounts::{self as model, DELETED};
use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::users::wizard::{self as state, UserDraft};
use actix_web::{web, HttpRequest};
use serde::Deserialize;

/// Which wizard a request belongs to: create (no target) or edit of a user.
#[derive(Clone, Debug)]
pub struct Scope {
    pub target: Option<i64>,
    /// The wizard id (empty before step 1 is first submitted).
    pub w: String,
}

impl Scope {
    /// Reads the edited user's id from the path (`/users/{id}/edit…`) and `w` from the query.
    pub fn of(req: &HttpRequest) -> Result<Scope, AppError> {
        let target = match req.match_info().get("id") {
            Some(id) => Some(id.parse::<i64>().map_err(|_| AppError::NotFound)?),
            None => None,
        };
        let q = web::Query::<WizardQuery>::from_query(req.query_string()).map_err(|_| AppError::NotFound)?;
        Ok(Scope { target, w: q.w.clone().unwrap_or_default() })
    }

    pub fn base(&self) -> String {
        match self.target {
            None => "/users/new".into(),
            Some(id) => format!("/users/{id}/edit"),
        }
    }

    /// `?w=…` (or nothing before the wizard exists).
    pub fn q(&self) -> String {
        if self.w.is_empty() {
            String::new()
        } else {
            format!("?w={}", self.w)
        }
    }

    /// The GET address of a step.
    pub fn step_url(&self, step: u8) -> String {
        format!("{}?w={}&step={step}", self.base(), self.w)
    }

    pub fn creating(&self) -> bool {
        self.target.is_none()
    }
}

#[derive(Deserialize)]
pub struct WizardQuery {
    pub w: Option<String>,
    pub step: Option<u8>,
}

/// The checks every wizard request starts with: users_manage, an edited user who exists, and
/// — for someone else's account — that managing it hands the viewer nothing they lack
/// (`access::escalation::manage_account`: its permissions, the Administrator role, data settings).
pub async fn authorize(viewer: &Viewer, db: &Db, scope: &Scope) -> Result<(), AppError> {
    viewer.require(Perm::AdministrationUsersManage)?;
    if let Some(id) = scope.target {
        let (who, own) = (viewer.access(), id == viewer.id());
        db.run(move |c| {
            let user = model::find(c, id)?.filter(|u| u.status != DELETED).ok_or(AppError::NotFound)?;
            if !own {
                let target = crate::access::escalation::Standing::of(c, user.id)?.ok_or(AppError::NotFound)?;
                crate::access::escalation::manage_account(&who.subject(), &target)
                    .map_err(|e| AppError::forbidden(format!("user {} may not manage user {id}: {e}", who.id())))?;
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// The saved state of this scope's wizard, or a fresh one when `w` is empty. An unknown,
/// foreign or mismatched wizard id is a 404.
pub async fn load_or_fresh(viewer: &Viewer, db: &Db, scope: &Scope) -> Result<UserDraft, AppError> {
    let (w, owner, target) = (scope.w.clone(), viewer.id(), scope.target);
    db.run(move |c| {
        if w.is_empty() {
            return Ok(match target {
                None => UserDraft::for_create(c)?,
                Some(id) => {
                    let user = model::find(c, id)?.ok_or(AppError::NotFound)?;
                    UserDraft::for_edit(c, &user)?
                }
            });
        }
        state::load(c, &w, owner, target)?.ok_or(AppError::NotFound)
    })
    .await
}
