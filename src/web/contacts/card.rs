//! GET /contacts/{id}: the contact card — fields, tags, access groups, confidential flag, the
//! owner panel, "who can see this contact and why", and (for Administrators) "why can / can't
//! user U see it". Other contact handlers re-render it with their errors.

use crate::auth::Viewer;
use crate::contacts::card::{self, CardData};
use crate::contacts::Fields;
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use crate::web::layout::Layout;
use crate::web::respond::render;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

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
    let d = db.run(move |c| Ok(card::load(c, &who.subject(), &who.user.email, id, None)?)).await?;
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
    let d = db.run(move |c| Ok(card::load(c, &who.subject(), &who.user.email, id, q.why.as_deref())?)).await?;
    let confirm = q.confirm.as_deref().and_then(|k| OwnerConfirm::of(&d, k, q.user_id));
    let mut p = CardPage::new(viewer.layout("/contacts"), d);
    p.why_email = why_kept;
    p.confirm = confirm;
    render(p, StatusCode::OK)
}
