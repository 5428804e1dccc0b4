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
    /// How many contacts match, counted up to [`COUNT_CAP`]: `None` means more than that.
    pub total: Option<i64>,
    /// The position of the first row (1-based).
    pub first: i64,
}

/// The list counts the contacts it matches up to this many, and says "more than" beyond:
/// counting a million visible contacts would cost far more than the page of fifty (the count
/// reads at most this many ids per access path, newest first, through the same index scans).
pub const COUNT_CAP: i64 = 1_000;

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
) -> QueryResult<Page> {
    let offset = (page.max(1) - 1) * per_page;
    // Ids first (index-driven, see access::filter), then the rows of just those ids.
    let conditions = f.conditions(s.user_id);
    let counted = crate::access::filter::newest_ids(conn, s, Level::View, &conditions, COUNT_CAP + 1)?.len() as i64;
    let total = (counted <= COUNT_CAP).then_some(counted);
    let ids = if sort == Sort::Newest {
        let newest = crate::access::filter::newest_ids(conn, s, Level::View, &conditions, offset + per_page + 1)?;
        newest.into_iter().skip(offset as usize).collect()
    } else {
        {
            use crate::access::filter::{sorted_ids, WALK_PER_ROW};
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
    Ok(Page { rows, tags, more, total, first: offset + 1 })
}
