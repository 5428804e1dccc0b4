//! One page of the contact list: visible contacts matching the filters, with their main owner
//! and tags, in three queries whatever the page size (no N+1, no COUNT of the whole set).

use super::selection::{Filters, Sort};
use crate::access::{Level, Subject};
use crate::db::schema::contact_tags;
use crate::db::sql::Bind;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz};
use std::collections::HashMap;

#[derive(QueryableByName, Debug, Clone)]
pub struct Row {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub first_name: String,
    #[diesel(sql_type = Text)]
    pub last_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub category: Option<String>,
    #[diesel(sql_type = Bool)]
    pub confidential: bool,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub owner_email: Option<String>,
}

impl Row {
    pub fn name(&self) -> String {
        let n = format!("{} {}", self.first_name, self.last_name);
        let n = n.trim();
        if n.is_empty() {
            self.email.clone().unwrap_or_else(|| format!("#{}", self.id))
        } else {
            n.to_string()
        }
    }
}

pub struct Page {
    pub rows: Vec<Row>,
    pub tags: HashMap<i64, Vec<String>>,
    pub more: bool,
    /// How many contacts match, when known: on the last page it is what came before plus the
    /// rows shown (free); with [`Counting::UpTo`] it is counted. `None`: more than `at_least`.
    pub total: Option<i64>,
    /// Contacts known to match: the rows up to this page's end, plus one when there is more.
    pub at_least: i64,
    /// The position of the first row (1-based).
    pub first: i64,
}

/// Whether the list counts what it matches. Counting costs more than the page: at SPEC 6 scale
/// (1,000,000 contacts) reading 1,001 ids took a salesperson's page from 1.7 ms to 24 ms and a
/// tag filter from 2.3 ms to 68 ms (BENCHMARKS.md), so the page counts only when asked, as
/// Django admin's "show the full count" does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counting {
    /// No count: the page knows only whether there is more.
    No,
    /// Count up to this many; beyond, "more than".
    UpTo(i64),
}

/// What "Count them" counts up to.
pub const COUNT_CAP: i64 = 10_000;

impl Page {
    /// The number of the last page, when the total is known.
    pub fn last_page(&self, per_page: i64) -> Option<i64> {
        self.total.map(|n| ((n + per_page - 1) / per_page).max(1))
    }

    pub fn tags_of(&self, id: &i64) -> &[String] {
        self.tags.get(id).map(Vec::as_slice).unwrap_or(&[])
    }
}

const ROW_SQL: &str = "SELECT c.id, c.first_name, c.last_name, c.email, c.category, c.confidential, c.updated_at, \
     u.email AS owner_email FROM contacts c LEFT JOIN users u ON u.id = c.main_owner_id";

/// Loads page `page` (1-based) of `per_page` rows.
pub fn page(
    conn: &mut PgConnection,
    s: &Subject,
    f: &Filters,
    sort: Sort,
    page: i64,
    per_page: i64,
    counting: Counting,
) -> QueryResult<Page> {
    let offset = (page.max(1) - 1) * per_page;
    // Ids first (index-driven, see access::filter), then the rows of just those ids.
    let conditions = f.conditions(s);
    let counted = match counting {
        Counting::No => None,
        Counting::UpTo(cap) => {
            let n = crate::access::pages::newest_ids(conn, s, Level::View, &conditions, cap + 1)?.len() as i64;
            Some((n <= cap).then_some(n))
        }
    };
    let ids = if sort == Sort::Newest {
        let newest = crate::access::pages::newest_ids(conn, s, Level::View, &conditions, offset + per_page + 1)?;
        newest.into_iter().skip(offset as usize).collect()
    } else {
        {
            use crate::access::pages::{sorted_ids, WALK_PER_ROW};
            sorted_ids(conn, s, Level::View, &conditions, sort.order_by(), offset, per_page + 1, WALK_PER_ROW)?
        }
    };
    let mut sql = crate::db::sql::Sql::new(ROW_SQL);
    sql.push(" WHERE c.id = ANY(").bind(Bind::I64s(ids)).push(")");
    sql.push(sort.order_by());
    let mut rows: Vec<Row> = sql.query().load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (cid, tag) in contact_tags::table
        .filter(contact_tags::contact_id.eq_any(&ids))
        .select((contact_tags::contact_id, contact_tags::tag))
        .order((contact_tags::contact_id, contact_tags::tag))
        .load::<(i64, String)>(conn)?
    {
        tags.entry(cid).or_default().push(tag);
    }
    let shown_to = offset + rows.len() as i64;
    let total = match counted {
        Some(total) => total,
        None => (!more).then_some(shown_to),
    };
    Ok(Page { rows, tags, more, total, at_least: shown_to + i64::from(more), first: offset + 1 })
}
