//! The contact selection shared by the list, Manage (bulk), export and sending: the query
//! parameters of `/contacts` turned into SQL over `contacts c`, always inside the user's
//! visibility (SPEC 3, through `access::filter`).

use crate::access::{filter, Level, Subject};
use crate::db::sql::{Bind, Sql};
use serde::{Deserialize, Serialize};

/// The query parameters of `/contacts` (SPEC 8): `q`, `tag`, `owner`, `group`, `category`, and
/// `run` (the contacts a bulk run changed).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Filters {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tag: String,
    /// Email of a main owner or co-owner, or `me`.
    #[serde(default)]
    pub owner: String,
    /// Access group id.
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub category: String,
    /// A bulk run's id: the contacts it changed (its page and audit entry link here).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub run: String,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self == &Filters::default()
    }

    /// The filters as a query string (for links that keep them).
    pub fn query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// `AND …` conditions over `c` for the filters (values bound).
    pub fn conditions(&self, viewer: &Subject) -> Sql {
        let viewer_id = viewer.user_id;
        let mut s = Sql::default();
        let q = self.q.trim().to_lowercase();
        if !q.is_empty() {
            s.push(" AND c.search LIKE ").bind(Bind::Text(crate::db::sql::contains_pattern(&q)));
        }
        if !self.tag.trim().is_empty() {
            s.push(" AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag = ")
                .bind(Bind::Text(self.tag.trim().to_string()))
                .push(")");
        }
        if !self.category.trim().is_empty() {
            s.push(" AND c.category = ").bind(Bind::Text(self.category.trim().to_string()));
        }
        if let Ok(g) = self.group.trim().parse::<i64>() {
            s.push(" AND EXISTS (SELECT 1 FROM contact_access_groups g WHERE g.contact_id = c.id AND g.group_id = ")
                .bind(Bind::I64(g))
                .push(")");
        }
        if let Ok(run) = self.run.trim().parse::<i64>() {
            // What the run recorded for its undo: the contacts it changed, a driving set. Only
            // for whoever may open the run (its user, or a reader of the audit log).
            s.push(" AND c.id IN (SELECT unnest(ch.contact_ids) FROM bulk_run_changes ch JOIN bulk_runs r ON r.id = ch.run_id WHERE ch.run_id = ")
                .bind(Bind::I64(run));
            if !viewer.perms.contains(crate::permissions::Perm::AdministrationAuditView) {
                s.push(" AND r.user_id = ").bind(Bind::I64(viewer_id));
            }
            s.push(")");
        }
        let owner = self.owner.trim();
        if !owner.is_empty() {
            let mut who = Sql::default();
            if owner.eq_ignore_ascii_case("me") {
                who.bind(Bind::I64(viewer_id));
            } else {
                who.push("(SELECT id FROM users WHERE lower(email) = lower(")
                    .bind(Bind::Text(owner.to_string()))
                    .push("))");
            }
            s.push(" AND (c.main_owner_id = ")
                .append(&who)
                .push(" OR EXISTS (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = ")
                .append(&who)
                .push("))");
        }
        s
    }

    /// `WHERE …` over `contacts c`: visible to `subject` at `min` and matching the filters.
    pub fn where_clause(&self, subject: &Subject, min: Level) -> Sql {
        let mut s = Sql::new(" WHERE ");
        s.append(&filter::reaches(subject, min));
        s.append(&self.conditions(subject));
        s
    }
}

/// Sort orders of the list: each column both ways (each order walks its index forwards or
/// backwards, see migrations 000070).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Name,
    NameDesc,
    Email,
    EmailDesc,
    /// Most recently updated first.
    Updated,
    UpdatedAsc,
}

impl Sort {
    pub const ALL: [Sort; 8] = [
        Sort::Newest,
        Sort::Oldest,
        Sort::Name,
        Sort::NameDesc,
        Sort::Email,
        Sort::EmailDesc,
        Sort::Updated,
        Sort::UpdatedAsc,
    ];

    pub fn parse(s: &str) -> Sort {
        Sort::ALL.into_iter().find(|x| x.key() == s).unwrap_or(Sort::Newest)
    }

    pub fn key(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Name => "name",
            Sort::NameDesc => "name_desc",
            Sort::Email => "email",
            Sort::EmailDesc => "email_desc",
            Sort::Updated => "updated",
            Sort::UpdatedAsc => "updated_asc",
        }
    }

    /// The column the order is by (`newest`/`oldest` are by creation).
    pub fn column(self) -> &'static str {
        match self {
            Sort::Newest | Sort::Oldest => "created",
            Sort::Name | Sort::NameDesc => "name",
            Sort::Email | Sort::EmailDesc => "email",
            Sort::Updated | Sort::UpdatedAsc => "updated",
        }
    }

    pub fn descending(self) -> bool {
        matches!(self, Sort::Newest | Sort::NameDesc | Sort::EmailDesc | Sort::Updated)
    }

    /// The same column the other way.
    pub fn reversed(self) -> Sort {
        match self {
            Sort::Newest => Sort::Oldest,
            Sort::Oldest => Sort::Newest,
            Sort::Name => Sort::NameDesc,
            Sort::NameDesc => Sort::Name,
            Sort::Email => Sort::EmailDesc,
            Sort::EmailDesc => Sort::Email,
            Sort::Updated => Sort::UpdatedAsc,
            Sort::UpdatedAsc => Sort::Updated,
        }
    }

    pub fn order_by(self) -> &'static str {
        match self {
            Sort::Newest => " ORDER BY c.id DESC",
            Sort::Oldest => " ORDER BY c.id",
            Sort::Name => " ORDER BY c.last_name, c.first_name, c.id",
            Sort::NameDesc => " ORDER BY c.last_name DESC, c.first_name DESC, c.id DESC",
            Sort::Email => " ORDER BY c.email NULLS LAST, c.id",
            Sort::EmailDesc => " ORDER BY c.email DESC NULLS FIRST, c.id DESC",
            Sort::Updated => " ORDER BY c.updated_at DESC, c.id DESC",
            Sort::UpdatedAsc => " ORDER BY c.updated_at, c.id",
        }
    }
}
