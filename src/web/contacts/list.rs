//! GET /contacts: the contacts the user may see, with search, filters, sort and pages.

use crate::auth::Viewer;
use crate::contacts::list::{self, Page};
use crate::contacts::selection::{Filters, Sort};
use crate::db::Db;
use crate::error::AppError;
use crate::permissions::Perm;
use crate::web::layout::Layout;
use crate::web::respond::page;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    filters: Filters,
    page: Option<i64>,
    sort: Option<String>,
    /// `count=all`: count the matches (up to `list::COUNT_CAP`), which costs more than the page.
    count: Option<String>,
}

#[derive(Template)]
#[template(path = "contacts/list.html")]
pub struct ContactsPage {
    pub layout: Layout,
    pub list: Page,
    pub filters: Filters,
    pub groups: Vec<(i64, String)>,
    pub sort: Sort,
    pub page: i64,
    /// The matches were counted on request (links keep asking).
    pub counted: bool,
    pub can_create: bool,
    pub can_manage: bool,
    pub can_export: bool,
    pub can_import: bool,
}

impl ContactsPage {
    pub fn link(&self, page: i64, sort: &str) -> String {
        let count = if self.counted { "&count=all" } else { "" };
        format!("{}&sort={sort}&page={page}{count}", self.filters.query_string())
    }

    /// This page, with the matches counted.
    pub fn count_link(&self) -> String {
        format!("{}&sort={}&page={}&count=all", self.filters.query_string(), self.sort.key(), self.page)
    }

    /// "1–50 of 834" or "1–50 of more than 1,000".
    pub fn position(&self) -> String {
        let shown = self.list.rows.len();
        match self.list.total {
            Some(n) => crate::web::numbers::position(self.list.first, shown, Some(n), n),
            // Counted and over the cap, or not counted: "more than" what is known.
            None if self.counted => crate::web::numbers::position(self.list.first, shown, None, list::COUNT_CAP),
            None => crate::web::numbers::position(self.list.first, shown, None, self.list.at_least - 1),
        }
    }

    pub fn last_page(&self) -> Option<i64> {
        self.list.last_page(PER_PAGE)
    }

    /// "834" or "more than 1,000", for "Manage all … matching".
    pub fn matching(&self) -> String {
        match (self.list.total, self.counted) {
            (Some(n), _) => crate::web::numbers::grouped(n),
            (None, true) => format!("more than {}", crate::web::numbers::grouped(list::COUNT_CAP)),
            (None, false) => String::new(),
        }
    }

    /// The sort of a column, for its header: `aria-sort` value and the arrow shown.
    pub fn sorted(&self, column: &str) -> Option<(&'static str, &'static str)> {
        let sort = self.sort;
        (sort.column() == column).then_some(if sort.descending() {
            ("descending", "▼")
        } else {
            ("ascending", "▲")
        })
    }

    /// Every order, for the "Order" picker: (key, words).
    pub fn sorts(&self) -> Vec<(&'static str, &'static str)> {
        Sort::ALL
            .into_iter()
            .map(|s| {
                let words = match s {
                    Sort::Newest => "Newest first",
                    Sort::Oldest => "Oldest first",
                    Sort::Name => "Name A–Z",
                    Sort::NameDesc => "Name Z–A",
                    Sort::Email => "Email A–Z",
                    Sort::EmailDesc => "Email Z–A",
                    Sort::Updated => "Recently updated first",
                    Sort::UpdatedAsc => "Least recently updated first",
                };
                (s.key(), words)
            })
            .collect()
    }

    /// Where a column's header leads: its order, or the other way when it is the order now.
    pub fn sort_link(&self, column: &str) -> String {
        let now = self.sort;
        let to = if now.column() == column {
            now.reversed()
        } else {
            // A column's first click: A–Z for text, most recent first for dates.
            Sort::ALL
                .into_iter()
                .find(|s| s.column() == column && s.descending() == (column == "updated"))
                .unwrap_or(now)
        };
        self.link(1, to.key())
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(viewer: Viewer, db: web::Data<Db>, q: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    viewer.require(Perm::ContactsView)?;
    let q = q.into_inner();
    let sort = Sort::parse(q.sort.as_deref().unwrap_or(""));
    let page_no = q.page.unwrap_or(1).clamp(1, 10_000);
    let who = viewer.access();
    let filters = q.filters.clone();
    let counted = q.count.as_deref() == Some("all");
    let counting = if counted { list::Counting::UpTo(list::COUNT_CAP) } else { list::Counting::No };
    let (list, groups) = db
        .run(move |c| {
            let s = who.subject();
            let list = list::page(c, &s, &filters, sort, page_no, PER_PAGE, counting)?;
            let groups = crate::access_groups::choices(c)?;
            Ok((list, groups))
        })
        .await?;
    page(ContactsPage {
        layout: viewer.layout("/contacts"),
        list,
        filters: q.filters,
        groups,
        sort,
        page: page_no,
        counted,
        can_create: viewer.has(Perm::ContactsCreate),
        can_manage: viewer.has(Perm::ContactsAssign) || viewer.has(Perm::ContactsEdit),
        can_export: super::export::refusal(&viewer).is_none(),
        can_import: viewer.has(Perm::ContactsImport),
    })
}
