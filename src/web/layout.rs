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

pub struct Layout {
    /// "Name (Role)" of the signed-in user; `None` on sign-in and error pages.
    pub user_name: Option<String>,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub unread: i64,
}

/// The screens of the console and what opens them: an entry shows when the user holds any of
/// its keys. The same keys are checked again by each route on the server.
const SCREENS: &[(&str, &str, &[Perm])] = &[
    ("Dashboard", "/", &[]),
    ("Contacts", "/contacts", &[Perm::ContactsView]),
    ("Send", "/send", &[Perm::EmailSend, Perm::SmsSend]),
    ("Outbox", "/outbox", &[Perm::EmailSend, Perm::SmsSend]),
    ("Templates", "/templates", &[Perm::TemplatesView]),
    ("Automation", "/automation", &[Perm::AutomationView]),
    ("Users", "/users", &[Perm::AdministrationUsersView, Perm::AdministrationUsersManage]),
    (
        "Presets",
        "/presets",
        &[Perm::AdministrationPresetsManage, Perm::AdministrationUsersView, Perm::AdministrationUsersManage],
    ),
    ("Teams", "/teams", &[Perm::AdministrationTeamsManage]),
    ("Access groups", "/access-groups", &[Perm::AdministrationAccessGroupsManage]),
    ("Segments", "/segments", &[Perm::AdministrationAccessGroupsManage]),
    ("Forms", "/forms", &[Perm::AdministrationSettings]),
    ("Audit", "/audit", &[Perm::AdministrationAuditView]),
    ("API tokens", "/api-tokens", &[Perm::AdministrationSettings]),
    ("Two-factor policy", "/settings/two-factor", &[Perm::AdministrationSettings]),
    ("Provisioning", "/settings/provisioning", &[Perm::AdministrationSettings]),
];

/// Screens of security settings and tokens: for Administrators alone, besides their key
/// (`access::authority::security`).
const ADMINISTRATORS_ONLY: &[&str] = &["/api-tokens", "/settings/two-factor", "/settings/provisioning"];

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
        let nav = SCREENS
            .iter()
            .filter(|(_, _, keys)| keys.is_empty() || keys.iter().any(|k| perms.contains(*k)))
            .filter(|(_, href, _)| {
                !ADMINISTRATORS_ONLY.contains(href) || user.role() == crate::permissions::Role::Administrator
            })
            .map(|(label, href, _)| NavItem { label, href, current: *href == current })
            .collect();
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
