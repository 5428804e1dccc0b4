//! POST /contacts/{id}/owners: the owner panel — "Set me", set main owner, add a co-owner
//! (optionally read-only), toggle read-only, remove. Needs contacts.assign and edit access.

use super::card::show_with;
use crate::access::{ends, Operation};
use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::contacts::owners;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::web::respond::see_other;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct OwnerForm {
    op: String,
    #[serde(default)]
    email: String,
    user_id: Option<i64>,
    #[serde(default)]
    read_only: Option<String>,
    /// An end for a co-owner added (empty: none; `access::ends::parse`).
    #[serde(default)]
    until: String,
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("true") | Some("on"))
}

#[tracing::instrument(skip_all, fields(contact = %id))]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<OwnerForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsAssign)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let (actor, ip) = (viewer.id(), viewer.ip.clone());
    let result = super::change(&viewer, &db, id, Operation::Assign, "changed the owners of".into(), move |c, _| {
        let user_by_email = |c: &mut diesel::PgConnection, email: &str| -> Result<i64, AppError> {
            owners::active_user_by_email(c, email)?.ok_or_else(|| {
                AppError::BadRequest(format!("There is no active user with the email “{}”.", email.trim()))
            })
        };
        let (action, detail, message) = match form.op.as_str() {
            "set_me" | "set_main" => {
                let new = if form.op == "set_me" { actor } else { user_by_email(c, &form.email)? };
                let previous = owners::set_main_owner(c, id, new)?;
                ("contact.set_main_owner", json!({ "from": previous, "to": new }), "Main owner set.")
            }
            "add" => {
                let user = user_by_email(c, &form.email)?;
                let main: Option<i64> = crate::contacts::model::find(c, id)?.main_owner_id;
                if main == Some(user) {
                    return Err(AppError::BadRequest("This user is already the main owner.".into()));
                }
                let ro = flag(&form.read_only);
                let end =
                    ends::End::set(ends::parse(&form.until, chrono::Utc::now()).map_err(AppError::BadRequest)?, actor);
                owners::add_co_owner(c, id, user, ro, end)?;
                (
                    "contact.add_co_owner",
                    json!({ "user_id": user, "read_only": ro, "ends_at": end.at }),
                    "Co-owner added.",
                )
            }
            "read_only" => {
                let user = form.user_id.ok_or_else(|| AppError::BadRequest("No co-owner chosen.".into()))?;
                let ro = flag(&form.read_only);
                if owners::set_read_only(c, id, user, ro)? == 0 {
                    return Err(AppError::BadRequest("This user is not a co-owner.".into()));
                }
                ("contact.set_co_owner_read_only", json!({ "user_id": user, "read_only": ro }), "Co-owner updated.")
            }
            "remove" => {
                let user = form.user_id.ok_or_else(|| AppError::BadRequest("No co-owner chosen.".into()))?;
                if owners::remove_co_owner(c, id, user)? == 0 {
                    return Err(AppError::BadRequest("This user is not a co-owner.".into()));
                }
                ("contact.remove_co_owner", json!({ "user_id": user }), "Co-owner removed.")
            }
            _ => return Err(AppError::BadRequest("Unknown owner action.".into())),
        };
        audit::Entry::new(Some(actor), action, "contact", id).after(detail).ip(ip).record(c)?;
        Ok((message, true))
    })
    .await;
    match result {
        Ok(message) => {
            viewer.flash(FlashKind::Success, message);
            Ok(see_other(&format!("/contacts/{id}")))
        }
        Err(AppError::BadRequest(msg)) => {
            show_with(&viewer, &db, id, StatusCode::UNPROCESSABLE_ENTITY, move |p| p.owner_error = Some(msg)).await
        }
        Err(e) => Err(e),
    }
}
