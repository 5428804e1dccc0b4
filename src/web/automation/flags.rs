//! POST /automation/{id}/enabled (automation.update; owner or Administrator) and
//! POST /automation/{id}/share (automation.share; the owner only). The form says the state
//! wanted (`on=true|false`), so a repeated click does not flip it back.

use super::Editor;
use crate::audit;
use crate::auth::session::FlashKind;
use crate::auth::Viewer;
use crate::automation::model;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::web::confirm::ConfirmPage;
use crate::web::respond::see_other;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct FlagForm {
    on: bool,
}

pub async fn enabled(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<FlagForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationUpdate)?;
    set(&viewer, &db, id.into_inner(), false, form.on).await?;
    viewer.flash(FlashKind::Success, if form.on { "Rule enabled." } else { "Rule disabled." });
    Ok(see_other("/automation"))
}

/// GET /automation/{id}/share: what sharing (or no longer sharing) the rule does, and the button.
pub async fn confirm_share(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationShare)?;
    let id = id.into_inner();
    let who = Editor::of(&viewer);
    let rule = db.transaction(move |c| who.manageable(c, id)).await?;
    let page = ConfirmPage::new(
        viewer.layout("/automation"),
        if rule.shared { format!("Stop sharing “{}”?", rule.name) } else { format!("Share “{}”?", rule.name) },
        format!("/automation/{id}/share"),
        "/automation",
    );
    let page = if rule.shared {
        page.field("on", "false")
            .then("The rule acts again only on contacts you can act on, and only you see it.")
            .button("Stop sharing", false)
    } else {
        page.field("on", "true")
            .then("Its tag actions then act on every contact, not only on contacts you can act on (confidential ones only where you may act on them).")
            .then("Owner and access-group actions still apply only where you could make the same change by hand.")
            .then("Every user with automation sees the rule.")
            .button("Share rule", true)
    };
    page.show()
}

pub async fn share(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    form: web::Form<FlagForm>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::AutomationShare)?;
    set(&viewer, &db, id.into_inner(), true, form.on).await?;
    viewer.flash(
        FlashKind::Success,
        if form.on { "Rule shared: its tag actions now reach every contact; owner and group actions still only those you may assign." } else { "Rule no longer shared." },
    );
    Ok(see_other("/automation"))
}

async fn set(viewer: &Viewer, db: &Db, id: i64, shared: bool, on: bool) -> Result<(), AppError> {
    let who = Editor::of(viewer);
    db.transaction(move |c| {
        let before = who.manageable(c, id)?;
        // Sharing widens a rule to every contact: only its owner decides that.
        if shared && before.owner_id != who.id {
            return Err(AppError::forbidden(format!("user {} may not share rule {id}", who.id)));
        }
        let after = model::set_flag(c, id, shared, on)?;
        let (action, key) = if shared { ("rule.share", "shared") } else { ("rule.enable", "enabled") };
        audit::Entry::new(Some(who.id), action, "automation_rule", id)
            .before(json!({ key: if shared { before.shared } else { before.enabled } }))
            .after(json!({ key: if shared { after.shared } else { after.enabled } }))
            .ip(who.ip)
            .record(c)?;
        Ok(())
    })
    .await
}
