//! GET /: the start page — what the signed-in user comes to do. Each panel comes from
//! `crate::start`, which gives it only to someone who may open what it links to; the actions
//! at the top follow the keys each linked screen checks. (The permission keys themselves are
//! on the account page.)

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::notifications::Notification;
use crate::permissions::Perm;
use crate::start::{self, Messaging, People, Team, Work};
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub layout: Layout,
    pub name: String,
    pub role: &'static str,
    /// What to start: (label, address).
    pub actions: Vec<(&'static str, &'static str)>,
    pub people: Option<People>,
    /// The reader may open the two-factor policy (the count of who lacks it links there).
    pub two_factor_policy: bool,
    pub work: Option<Work>,
    /// The reader may open everyone's bulk runs (the background-work counts link there).
    pub opens_runs: bool,
    pub changes: Option<Vec<crate::audit::Row>>,
    pub teams: Vec<Team>,
    pub messaging: Messaging,
    pub notifications: Vec<Notification>,
    /// Access that ends within a week (Administrators).
    pub ending: Option<Vec<crate::expiry::Soon>>,
    /// Open access reviews waiting for the reader's decisions.
    pub to_review: Vec<start::ToReview>,
}

/// The things to start, each shown to whoever holds a key of the screen it opens.
const ACTIONS: &[(&str, &str, &[Perm])] = &[
    ("Find a contact", "/contacts", &[Perm::ContactsView]),
    ("Add a contact", "/contacts/new", &[Perm::ContactsCreate]),
    ("Change many contacts at once", "/contacts/manage", &[Perm::ContactsEdit, Perm::ContactsAssign]),
    ("Import contacts", "/contacts/import", &[Perm::ContactsImport]),
    ("Create a user", "/users/new", &[Perm::AdministrationUsersManage]),
    ("Create a preset", "/presets/new", &[Perm::AdministrationPresetsManage]),
    ("Send a message", "/send", &[Perm::EmailSend, Perm::SmsSend]),
    ("Write a template", "/templates/new", &[Perm::TemplatesCreate]),
    ("Create an automation rule", "/automation/new", &[Perm::AutomationCreate]),
];

/// Notifications and changes by others shown on the page.
const RECENT: i64 = 5;
/// How many of the accesses ending this week the start page lists.
const ENDING_SHOWN: i64 = 10;

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let who = viewer.access().subject();
    // The screens the counts link to, with the same checks those screens make.
    let two_factor_policy = crate::access::authority::security(&who).is_ok();
    let perms = viewer.perms();
    let actions = ACTIONS
        .iter()
        .filter(|(_, _, keys)| keys.iter().any(|k| perms.contains(*k)))
        .map(|(label, href, _)| (*label, *href))
        .collect();
    let (people, work, changes, teams, messaging, notifications, ending, to_review) = db
        .run(move |c| {
            Ok((
                start::people(c, &who)?,
                start::work(c, &who)?,
                start::changes_by_others(c, &who, RECENT)?,
                start::managed_teams(c, &who)?,
                start::messaging(c, &who)?,
                start::notifications(c, &who, RECENT)?,
                start::ending_soon(c, &who, ENDING_SHOWN)?,
                start::to_review(c, &who)?,
            ))
        })
        .await?;
    page(DashboardPage {
        layout: viewer.layout("/"),
        name: viewer.user.display_name(),
        role: viewer.user.role().label(),
        actions,
        people,
        two_factor_policy,
        work,
        opens_runs: super::contacts::manage::require(&viewer).is_ok(),
        changes,
        teams,
        messaging,
        notifications,
        ending,
        to_review,
    })
}
