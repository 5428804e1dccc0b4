//! GET /users/pick?q=…: the matches of a user picker, as JSON, for a signed-in user who names
//! users somewhere (`access::authority::pick_users`: owners, members, grants, successors — screens
//! open to roles that do not list users); anyone else gets 403, and their fields stay plain
//! email inputs. Only active users, only their name and email: what a contact card already
//! shows of its owners. The fields stay plain email inputs that work without JavaScript;
//! static/js/user_picker.js fills their suggestions from here.

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct PickQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
struct Match {
    email: String,
    name: String,
}

#[derive(Serialize)]
struct Matches {
    users: Vec<Match>,
}

/// At most this many matches: a picker shows a short list and the user types more.
const LIMIT: i64 = 10;

pub async fn pick(viewer: Viewer, db: web::Data<Db>, q: web::Query<PickQuery>) -> Result<HttpResponse, AppError> {
    crate::access::authority::pick_users(&viewer.subject)?;
    let q = q.into_inner().q;
    if q.trim().is_empty() || q.chars().count() > 100 {
        return Ok(HttpResponse::Ok().json(Matches { users: Vec::new() }));
    }
    let users = db.run(move |c| Ok(crate::accounts::pick(c, &q, LIMIT)?)).await?;
    let users = users.into_iter().map(|u| Match { name: u.display_name(), email: u.email }).collect();
    Ok(HttpResponse::Ok().json(Matches { users }))
}
