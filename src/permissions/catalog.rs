//! The permission catalog (SPEC 2.1): a fixed tree of modules and actions, defined once here.
//!
//! Every key is a variant of [`Perm`]; the database stores keys as `module.action` text and
//! anything that reads them back goes through [`Perm::from_key`].

use std::fmt;

macro_rules! catalog {
    ($( $module:literal $mlabel:literal { $( $variant:ident $action:literal $alabel:literal ),+ $(,)? } )+) => {
        /// One catalog key (`module.action`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Perm { $( $( $variant, )+ )+ }

        /// Every key, in catalog order.
        pub const ALL: &[Perm] = &[ $( $( Perm::$variant, )+ )+ ];

        /// The catalog tree, in display order.
        pub const MODULES: &[Module] = &[
            $( Module { key: $module, label: $mlabel, actions: &[ $( Perm::$variant, )+ ] }, )+
        ];

        impl Perm {
            /// The `module.action` key.
            pub fn key(self) -> &'static str {
                match self { $( $( Perm::$variant => concat!($module, ".", $action), )+ )+ }
            }
            /// The module part of the key.
            pub fn module(self) -> &'static str {
                match self { $( $( Perm::$variant => $module, )+ )+ }
            }
            /// The action part of the key.
            pub fn action(self) -> &'static str {
                match self { $( $( Perm::$variant => $action, )+ )+ }
            }
            /// A human label for the checklist.
            pub fn label(self) -> &'static str {
                match self { $( $( Perm::$variant => $alabel, )+ )+ }
            }
        }
    };
}

catalog! {
    "contacts" "Contacts" {
        ContactsView "view" "See contacts in the list and open cards",
        ContactsCreate "create" "Create contacts",
        ContactsEdit "edit" "Edit contact fields and tags",
        ContactsDelete "delete" "Delete contacts",
        ContactsImport "import" "Import contacts from CSV",
        ContactsExport "export" "Export contacts to CSV",
        ContactsAssign "assign" "Change owners and access groups",
        ContactsAll "all" "Whole contact base (ownership ignored)",
    }
    "email" "Email" { EmailSend "send" "Send email" }
    "sms" "SMS" { SmsSend "send" "Send SMS" }
    "templates" "Templates" {
        TemplatesView "view" "View templates",
        TemplatesCreate "create" "Create templates",
        TemplatesUpdate "update" "Update templates",
        TemplatesDelete "delete" "Delete templates",
        TemplatesShare "share" "Share templates",
    }
    "automation" "Automation" {
        AutomationView "view" "View automation rules",
        AutomationCreate "create" "Create automation rules",
        AutomationUpdate "update" "Update automation rules",
        AutomationDelete "delete" "Delete automation rules",
        AutomationShare "share" "Share automation rules",
    }
    "campaigns" "Campaigns" {
        CampaignsView "view" "View campaigns",
        CampaignsCreate "create" "Create campaigns",
        CampaignsUpdate "update" "Update campaigns",
        CampaignsDelete "delete" "Delete campaigns",
        CampaignsActivate "activate" "Activate campaigns",
        CampaignsConnectAds "connect_ads" "Connect ad accounts",
    }
    "landing_pages" "Landing pages" {
        LandingPagesCreate "create" "Create landing pages",
        LandingPagesUpdate "update" "Update landing pages",
        LandingPagesClone "clone" "Clone landing pages",
        LandingPagesPublish "publish" "Publish landing pages",
        LandingPagesDelete "delete" "Delete landing pages",
        LandingPagesCustomDomain "custom_domain" "Use a custom domain",
    }
    "social" "Social" {
        SocialView "view" "View social posts",
        SocialCreate "create" "Create social posts",
        SocialUpdate "update" "Update social posts",
        SocialPublish "publish" "Publish social posts",
        SocialDelete "delete" "Delete social posts",
        SocialConnect "connect" "Connect social accounts",
    }
    "messaging" "Messaging" {
        MessagingConnect "connect" "Connect messaging channels",
        MessagingSend "send" "Send messages",
        MessagingViewAll "view_all" "View all conversations",
    }
    "tests" "Tests" {
        TestsAbMessages "ab_messages" "A/B test messages",
        TestsAbxDynamicContent "abx_dynamic_content" "A/B/X test dynamic content",
    }
    "analytics" "Analytics" {
        AnalyticsBasic "basic" "Basic analytics",
        AnalyticsCampaignStats "campaign_stats" "Campaign statistics",
    }
    "administration" "Administration" {
        AdministrationUsersView "users_view" "View users",
        AdministrationUsersManage "users_manage" "Create, edit and delete users; assign presets",
        AdministrationPresetsManage "presets_manage" "Create and edit permission presets",
        AdministrationTeamsManage "teams_manage" "Manage teams",
        AdministrationAccessGroupsManage "access_groups_manage" "Manage access groups and segments",
        AdministrationAuditView "audit_view" "Read the audit log",
        AdministrationSettings "settings" "Settings, forms and API tokens",
    }
}

/// A module of the catalog with its actions.
#[derive(Debug)]
pub struct Module {
    pub key: &'static str,
    pub label: &'static str,
    pub actions: &'static [Perm],
}

impl Module {
    /// Looks a module up by its key.
    pub fn by_key(key: &str) -> Option<&'static Module> {
        MODULES.iter().find(|m| m.key == key)
    }
}

impl Perm {
    /// Parses a `module.action` key; unknown keys give `None`.
    pub fn from_key(key: &str) -> Option<Perm> {
        ALL.iter().copied().find(|p| p.key() == key)
    }

    /// The bit of this key in a [`crate::permissions::PermSet`].
    pub(crate) fn bit(self) -> u64 {
        1u64 << (self as u8)
    }
}

impl fmt::Display for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

// The set representation is a u64 bitmask: the catalog must stay within 64 keys.
const _: () = assert!(ALL.len() <= 64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in ALL {
            assert_eq!(Perm::from_key(p.key()), Some(*p));
            assert!(seen.insert(p.key()), "duplicate key {}", p.key());
            assert_eq!(p.key(), format!("{}.{}", p.module(), p.action()));
        }
        assert_eq!(Perm::from_key("contacts.nope"), None);
    }
}
