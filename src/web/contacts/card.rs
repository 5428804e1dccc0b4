//! GET /contacts/{id}: the contact card — fields, tags, access groups, confidential flag, the
//! owner panel, "who can see this contact and why", and (for Administrators) "why can / can't
//! user U see it". Other contact handlers re-render it with their errors.

use crate::access::{self, facts, Decision, Level, Operation};
use crate::auth::viewer::AccessUser;
use crate::auth::Viewer;
use crate::contacts::owners::{self, CoOwner};
use crate::contacts::{model, Contact, Fields};
use crate::db::schema::{access_groups, contact_access_groups, users};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::{Perm, Role};
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::render;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

/// A user who reaches the contact, and how.
pub struct Who {
    pub email: String,
    pub name: String,
    pub level: Level,
    pub reasons: Vec<String>,
    /// Without contacts.view they reach it (e.g. for sending) but never see it in the console.
    pub has_view: bool,
}

/// An explanation for one user (Administrators' "why can / can't U see this").
pub struct Why {
    pub email: String,
    pub level: Level,
    pub reasons: Vec<String>,
    pub blocked: Vec<String>,
    pub denial: Option<&'static str>,
}

pub fn explain(email: String, d: &Decision) -> Why {
    Why {
        email,
        level: d.level,
        reasons: d.paths.iter().map(|p| format!("{} → {}", p.describe(), p.level().words())).collect(),
        blocked: d
            .blocked
            .iter()
            .map(|(p, den)| format!("{} — not counted: {}", p.describe(), den.describe()))
            .collect(),
        denial: d.denial.map(|x| x.describe()),
    }
}

/// Everything the card shows that comes from the database.
pub struct CardData {
    pub contact: Contact,
    pub main_owner: Option<(i64, String)>,
    pub co_owners: Vec<CoOwner>,
    pub tags: Vec<String>,
    pub groups: Vec<(i64, String)>,
    pub all_groups: Vec<(i64, String)>,
    pub mine: Why,
    pub who: Vec<Who>,
    pub why: Option<Why>,
    pub can_edit: bool,
    pub can_assign: bool,
    pub can_delete: bool,
    pub can_confidential: bool,
    pub is_admin: bool,
    /// The viewer's user id ("Set me" displaces someone only when the main owner is another).
    pub me: i64,
    /// The contact's audit history (SPEC screen 6).
    pub history: Vec<crate::web::audit::Row>,
}

impl CardData {
    /// "Set me" would take the contact from another main owner (so it asks first).
    pub fn set_me_displaces(&self) -> bool {
        self.main_owner.as_ref().is_some_and(|(o, _)| *o != self.me)
    }
}

/// Loads the card for a user who may see the contact (404 otherwise). Runs inside `Db::run`.
pub fn load(c: &mut PgConnection, who: &AccessUser, id: i64, why_email: Option<String>) -> Result<CardData, AppError> {
    let s = who.subject();
    let (cf, d) = access::authorize(c, &s, id, Operation::View)?;
    let contact = model::find(c, id)?;
    let main_owner = match contact.main_owner_id {
        Some(o) => users::table.find(o).select((users::id, users::email)).first(c).optional()?,
        None => None,
    };
    let groups = contact_access_groups::table
        .inner_join(access_groups::table)
        .filter(contact_access_groups::contact_id.eq(id))
        .select((access_groups::id, access_groups::name))
        .order(access_groups::name)
        .load(c)?;
    let permits = |op| access::ops::permits(&s, &d, op).is_ok();
    let can_assign = permits(Operation::Assign);
    let is_admin = who.user.role() == Role::Administrator;
    let all_groups = if can_assign {
        access_groups::table.select((access_groups::id, access_groups::name)).order(access_groups::name).load(c)?
    } else {
        Vec::new()
    };
    // "Who can see this contact and why": the decision function, for every active user.
    let everyone = facts::all_active_subjects(c)?;
    let who_list = everyone
        .iter()
        .filter_map(|(u, subj)| {
            let dd = access::rules::decide(subj, &cf);
            (dd.level >= Level::View).then(|| Who {
                email: u.email.clone(),
                name: u.name.clone(),
                level: dd.level,
                reasons: dd.paths.iter().map(|p| p.describe()).collect(),
                has_view: subj.perms.contains(Perm::ContactsView),
            })
        })
        .collect();
    let why = match why_email.filter(|e| is_admin && !e.trim().is_empty()) {
        Some(email) => {
            let found = users::table
                .filter(crate::db::lower(users::email).eq(crate::db::lower(email.trim())))
                .select(users::id)
                .first::<i64>(c)
                .optional()?;
            match found.and_then(|uid| facts::subject(c, uid).ok().flatten()) {
                Some(subj) => Some(explain(email, &access::rules::decide(&subj, &cf))),
                None => Some(Why {
                    email,
                    level: Level::None,
                    reasons: vec![],
                    blocked: vec![],
                    denial: Some("there is no user with this email"),
                }),
            }
        }
        None => None,
    };
    Ok(CardData {
        history: crate::web::audit::history(c, "contact", id, 30)?,
        main_owner,
        co_owners: owners::co_owners(c, id)?,
        tags: model::tags_of(c, id)?,
        groups,
        all_groups,
        mine: explain(who.user.email.clone(), &d),
        who: who_list,
        why,
        can_edit: permits(Operation::Edit),
        can_assign,
        can_delete: permits(Operation::Delete),
        can_confidential: permits(Operation::Confidential),
        is_admin,
        me: who.user.id,
        contact,
    })
}

#[derive(Template)]
#[template(path = "contacts/card.html")]
pub struct CardPage {
    pub layout: Layout,
    pub d: CardData,
    /// The field form: the contact's values, or what the user typed.
    pub form: Fields,
    pub version: i32,
    /// The values the form was opened with (to tell, on conflict, what someone else changed).
    pub orig: Fields,
    pub errors: FieldErrors,
    pub conflict: Vec<(&'static str, String, String)>,
    pub owner_error: Option<String>,
    pub why_email: String,
    /// An owner change that asks first (`?confirm=set_me` or `?confirm=remove&user_id=`).
    pub confirm: Option<OwnerConfirm>,
}

/// The owner panel's confirmation: what the change will do, and the form that makes it.
pub struct OwnerConfirm {
    pub title: String,
    pub consequences: Vec<String>,
    pub op: &'static str,
    pub user_id: Option<i64>,
    pub button: &'static str,
}

impl OwnerConfirm {
    /// The confirmation `kind` asks for, when it applies to this card (else none: the panel
    /// shows as usual, and the POST checks everything again anyway).
    fn of(d: &CardData, kind: &str, user_id: Option<i64>) -> Option<OwnerConfirm> {
        if !d.can_assign {
            return None;
        }
        match kind {
            "set_me" => {
                let (_, email) = d.main_owner.as_ref().filter(|(o, _)| *o != d.me)?;
                Some(OwnerConfirm {
                    title: format!("Take over {} from {email}?", d.contact.display_name()),
                    consequences: vec![
                        "You become the main owner.".into(),
                        format!("{email} stays a co-owner who can edit, and is notified of the change."),
                    ],
                    op: "set_me",
                    user_id: None,
                    button: "Set me as main owner",
                })
            }
            "remove" => {
                let o = d.co_owners.iter().find(|o| Some(o.user_id) == user_id)?;
                Some(OwnerConfirm {
                    title: format!("Remove {} as co-owner?", o.email),
                    consequences: vec![
                        format!("{} stops being a co-owner of {}.", o.email, d.contact.display_name()),
                        "They lose access to it unless another path gives it (a team, an access group, the whole base).".into(),
                    ],
                    op: "remove",
                    user_id,
                    button: "Remove co-owner",
                })
            }
            _ => None,
        }
    }
}

impl CardPage {
    pub fn new(layout: Layout, d: CardData) -> CardPage {
        let f = d.contact.fields();
        CardPage {
            layout,
            form: f.clone(),
            version: d.contact.version,
            orig: f,
            d,
            errors: FieldErrors::default(),
            conflict: Vec::new(),
            owner_error: None,
            why_email: String::new(),
            confirm: None,
        }
    }
}

#[derive(Deserialize)]
pub struct CardQuery {
    why: Option<String>,
    confirm: Option<String>,
    user_id: Option<i64>,
}

/// Renders the card with a status (used by the handlers that re-show it with errors).
pub async fn show_with(
    viewer: &Viewer,
    db: &Db,
    id: i64,
    status: StatusCode,
    adjust: impl FnOnce(&mut CardPage),
) -> Result<HttpResponse, AppError> {
    let who = viewer.access();
    let d = db.run(move |c| load(c, &who, id, None)).await?;
    let mut p = CardPage::new(viewer.layout("/contacts"), d);
    adjust(&mut p);
    render(p, status)
}

#[tracing::instrument(skip_all, fields(contact = %id))]
pub async fn show(
    viewer: Viewer,
    db: web::Data<Db>,
    id: web::Path<i64>,
    q: web::Query<CardQuery>,
) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsView)?;
    let id = id.into_inner();
    let who = viewer.access();
    let q = q.into_inner();
    let why_kept = q.why.clone().unwrap_or_default();
    let d = db.run(move |c| load(c, &who, id, q.why)).await?;
    let confirm = q.confirm.as_deref().and_then(|k| OwnerConfirm::of(&d, k, q.user_id));
    let mut p = CardPage::new(viewer.layout("/contacts"), d);
    p.why_email = why_kept;
    p.confirm = confirm;
    render(p, StatusCode::OK)
}
