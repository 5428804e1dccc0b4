//! GET /teams/{id}/delete (confirmation saying what goes with it) and POST to delete.

use crate::audit;
use crate::auth::{session::FlashKind, Viewer};
use crate::db::schema::{access_group_grants, team_members, teams};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::teams as model;
use crate::web::layout::Layout;
use crate::web::respond::{page, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

#[derive(Template)]
#[template(path = "teams/delete.html")]
pub struct DeleteTeamPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub members: i64,
    pub grants: i64,
}

fn counts(c: &mut PgConnection, id: i64) -> QueryResult<(i64, i64)> {
    let members = team_members::table.filter(team_members::team_id.eq(id)).count().get_result(c)?;
    let grants = access_group_grants::table.filter(access_group_grants::team_id.eq(id)).count().get_result(c)?;
    Ok((members, grants))
}

/// The confirmation page.
pub async fn confirm(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let id = id.into_inner();
    let (team, (members, grants)) = db.run(move |c| Ok((model::find(c, id)?, counts(c, id)?))).await?;
    page(DeleteTeamPage { layout: viewer.layout("/teams"), id, name: team.name, members, grants })
}

/// Deletes the team; its memberships and access-group grants go with it (ON DELETE CASCADE).
#[tracing::instrument(skip_all)]
pub async fn delete(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AdministrationTeamsManage)?;
    let id = id.into_inner();
    let (actor, ip) = (viewer.id(), viewer.ip.clone());
    let name = db
        .transaction(move |c| {
            let team = model::find(c, id)?;
            let mut before = model::audit_json(c, &team)?;
            let member_ids: Vec<i64> =
                team_members::table.filter(team_members::team_id.eq(id)).select(team_members::user_id).load(c)?;
            let grants: Vec<(i64, String)> = access_group_grants::table
                .filter(access_group_grants::team_id.eq(id))
                .select((access_group_grants::group_id, access_group_grants::level))
                .load(c)?;
            before["member_ids"] = serde_json::json!(member_ids);
            before["grants"] = serde_json::json!(grants
                .iter()
                .map(|(g, l)| serde_json::json!({"group_id": g, "level": l}))
                .collect::<Vec<_>>());
            diesel::delete(teams::table.find(id)).execute(c)?;
            audit::Entry::new(Some(actor), "team.delete", "team", id).before(before).ip(ip).record(c)?;
            Ok(team.name)
        })
        .await?;
    viewer.flash(FlashKind::Success, format!("Team “{name}” deleted."));
    Ok(see_other("/teams"))
}
