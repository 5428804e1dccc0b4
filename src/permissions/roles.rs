//! The six roles (user types) and the defaults of their system presets (SPEC 2.2).

use super::catalog::{Perm, ALL};
use super::set::PermSet;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A user's role. Every user has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Manager,
    Marketer,
    Salesperson,
    SendingOperator,
    User,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Administrator, Role::Manager, Role::Marketer, Role::Salesperson, Role::SendingOperator, Role::User];

    /// The value stored in `users.role` and `presets.system_role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Manager => "manager",
            Role::Marketer => "marketer",
            Role::Salesperson => "salesperson",
            Role::SendingOperator => "sending_operator",
            Role::User => "user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::Manager => "Manager",
            Role::Marketer => "Marketer",
            Role::Salesperson => "Salesperson",
            Role::SendingOperator => "Sending operator",
            Role::User => "User",
        }
    }

    /// The keys of this role's system preset.
    pub fn default_permissions(self) -> PermSet {
        use Perm::*;
        let modules =
            |names: &[&str]| -> PermSet { ALL.iter().copied().filter(|p| names.contains(&p.module())).collect() };
        let keys = |ps: &[Perm]| -> PermSet { ps.iter().copied().collect() };
        match self {
            Role::Administrator => PermSet::all(),
            Role::Manager => {
                modules(&["contacts", "email", "sms", "templates", "automation", "campaigns", "tests", "analytics"])
                    .union(keys(&[AdministrationUsersView]))
            }
            Role::Marketer => keys(&[
                ContactsView,
                ContactsCreate,
                ContactsEdit,
                ContactsImport,
                ContactsExport,
                ContactsAssign,
                MessagingSend,
                MessagingConnect,
                AdministrationPresetsManage,
            ])
            .union(modules(&[
                "email",
                "sms",
                "templates",
                "automation",
                "campaigns",
                "landing_pages",
                "social",
                "tests",
                "analytics",
            ])),
            Role::Salesperson => {
                keys(&[ContactsView, ContactsCreate, ContactsEdit, EmailSend, TemplatesView, AnalyticsBasic])
            }
            Role::SendingOperator => keys(&[EmailSend, SmsSend, TemplatesView, CampaignsView]),
            Role::User => keys(&[
                ContactsView,
                ContactsCreate,
                ContactsEdit,
                ContactsImport,
                ContactsExport,
                ContactsAssign,
                AutomationView,
                AutomationCreate,
                AutomationUpdate,
                CampaignsView,
                CampaignsCreate,
                CampaignsUpdate,
                LandingPagesCreate,
                LandingPagesUpdate,
                LandingPagesClone,
                SocialView,
                SocialCreate,
                SocialUpdate,
                AnalyticsBasic,
            ])
            .union(modules(&["email", "sms", "templates", "tests"])),
        }
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Role, ()> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s).ok_or(())
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_operator_has_no_contacts_view() {
        let p = Role::SendingOperator.default_permissions();
        assert!(!p.contains(Perm::ContactsView));
        assert!(p.contains(Perm::EmailSend) && p.contains(Perm::SmsSend));
        assert_eq!(p.len(), 4);
    }

    #[test]
    fn manager_sees_whole_base_marketer_does_not() {
        assert!(Role::Manager.default_permissions().contains(Perm::ContactsAll));
        assert!(!Role::Marketer.default_permissions().contains(Perm::ContactsAll));
        assert!(Role::Marketer.default_permissions().contains(Perm::AdministrationPresetsManage));
        assert!(!Role::Marketer.default_permissions().contains(Perm::AdministrationUsersManage));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
    }
}
