//! The page frame every template extends: the signed-in user, navigation built from the
//! modules the user has permissions in, flash messages and the CSRF token for forms.

use crate::accounts::User;
use crate::auth::session::{self, Flash};
use crate::permissions::{Perm, PermSet};
use actix_session::Session;

pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// Screens of one kind under a heading (no heading: shown as plain entries).
pub struct NavGroup {
    pub label: &'static str,
    pub items: Vec<NavItem>,
}

/// Up to this many entries the navigation is one plain row; more are grouped by kind.
const FLAT_UP_TO: usize = 7;

pub struct Layout {
    /// "Name (Role)" of the signed-in user; `None` on sign-in and error pages.
    pub user_name: Option<String>,
    pub nav: Vec<NavGroup>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub unread: i64,
}

/// The screens of the console, by kind, and what opens them: an entry shows when the user
/// holds any of its keys. The same keys are checked again by each route on the server.
const SCREENS: &[(&str, &str, &str, &[Perm])] = &[
    ("", "Start", "/", &[]),
    ("Contacts", "Contacts", "/contacts", &[Perm::ContactsView]),
    ("Contacts", "Segments", "/segments", &[Perm::AdministrationAccessGroupsManage]),
    ("Contacts", "Forms", "/forms", &[Perm::AdministrationSettings]),
    ("Messaging", "Send", "/send", &[Perm::EmailSend, Perm::SmsSend]),
    ("Messaging", "Outbox", "/outbox", &[Perm::EmailSend, Perm::SmsSend]),
    ("Messaging", "Templates", "/templates", &[Perm::TemplatesView]),
    ("Messaging", "Automation", "/automation", &[Perm::AutomationView]),
    ("People", "Users", "/users", &[Perm::AdministrationUsersView, Perm::AdministrationUsersManage]),
    (
        "People",
        "Presets",
        "/presets",
        &[Perm::AdministrationPresetsManage, Perm::AdministrationUsersView, Perm::AdministrationUsersManage],
    ),
    ("People", "Teams", "/teams", &[Perm::AdministrationTeamsManage]),
    ("People", "Access groups", "/access-groups", &[Perm::AdministrationAccessGroupsManage]),
    ("People", "Access reviews", "/reviews", &[Perm::AdministrationUsersManage]),
    ("Settings", "Audit", "/audit", &[Perm::AdministrationAuditView]),
    ("Settings", "API tokens", "/api-tokens", &[Perm::AdministrationSettings]),
    ("Settings", "Two-factor policy", "/settings/two-factor", &[Perm::AdministrationSettings]),
    ("Settings", "Provisioning", "/settings/provisioning", &[Perm::AdministrationSettings]),
];

/// Screens of security settings and tokens (`access::authority::security`) and access reviews
/// (`access::authority::reviews`): for Administrators alone, besides their key. (A reviewer
/// reaches their review from the notice that asks them.)
const ADMINISTRATORS_ONLY: &[&str] = &["/api-tokens", "/settings/two-factor", "/settings/provisioning", "/reviews"];

impl crate::auth::Viewer {
    /// The page frame (header, navigation, flashes, CSRF token) for this user. (Here, not in
    /// `auth`: pages are the web layer's.)
    pub fn layout(&self, current: &'static str) -> Layout {
        Layout::for_user(&self.user, self.subject.perms, &self.session, self.unread, current)
    }
}

impl Layout {
    /// The frame of a page for a signed-in user.
    pub fn for_user(user: &User, perms: PermSet, session: &Session, unread: i64, current: &str) -> Layout {
        let shown: Vec<(&'static str, NavItem)> = SCREENS
            .iter()
            .filter(|(_, _, _, keys)| keys.is_empty() || keys.iter().any(|k| perms.contains(*k)))
            .filter(|(_, _, href, _)| {
                !ADMINISTRATORS_ONLY.contains(href) || user.role() == crate::permissions::Role::Administrator
            })
            .map(|(group, label, href, _)| (*group, NavItem { label, href, current: *href == current }))
            .collect();
        let flat = shown.len() <= FLAT_UP_TO;
        let mut nav: Vec<NavGroup> = Vec::new();
        for (group, item) in shown {
            let label = if flat { "" } else { group };
            match nav.last_mut() {
                Some(g) if g.label == label => g.items.push(item),
                _ => nav.push(NavGroup { label, items: vec![item] }),
            }
        }
        Layout {
            user_name: Some(format!("{} ({})", user.display_name(), user.role().label())),
            nav,
            csrf: session::csrf_token(session),
            flashes: session::take_flashes(session),
            unread,
        }
    }

    /// The frame of a page without a signed-in user (sign-in, setup).
    pub fn anonymous(session: &Session) -> Layout {
        Layout {
            user_name: None,
            nav: Vec::new(),
            csrf: session::csrf_token(session),
            flashes: session::take_flashes(session),
            unread: 0,
        }
    }

    /// A frame with nothing user-specific (error pages rendered outside a request's session).
    pub fn bare() -> Layout {
        Layout { user_name: None, nav: Vec::new(), csrf: String::new(), flashes: Vec::new(), unread: 0 }
    }
}
