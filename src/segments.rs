//! Segments (SPEC screen 10): a rule over tags, category and email domain (every condition
//! given must hold) that puts matching contacts into an access group. Everything is
//! set-based: a preview is one COUNT, "apply now" one INSERT … SELECT, and live segments are
//! applied to just the contacts an event names, one statement per segment.
//!
//! A segment changes who has access (its access group's grantees gain the contacts), so it acts
//! with the authority of whoever last saved it (`access::escalation`): it counts and puts into the
//! group only contacts that user could assign by hand (contacts.assign at edit level). A
//! segment whose saver is deactivated applies to nothing.

use crate::access::{facts, filter, Operation, Subject};
use crate::db::schema::segments;
use crate::db::sql::{Bind, Sql};
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = segments)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub email_domain: Option<String>,
    pub group_id: i64,
    pub keep_applying: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whose authority the segment acts with: the last user who saved it.
    pub saved_by: Option<i64>,
}

/// The segment form, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SegmentForm {
    #[serde(default)]
    pub name: String,
    /// Comma-separated tags, all required.
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub email_domain: String,
    #[serde(default)]
    pub group_id: String,
    #[serde(default)]
    pub keep_applying: Option<String>,
}

/// A checked segment definition (also the stored columns, for insert and update alike).
#[derive(Debug, Clone, Serialize, Insertable, AsChangeset)]
#[diesel(table_name = segments, treat_none_as_null = true)]
pub struct Definition {
    pub name: String,
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub email_domain: Option<String>,
    pub group_id: i64,
    pub keep_applying: bool,
}

impl SegmentForm {
    pub fn of(s: &Segment) -> SegmentForm {
        SegmentForm {
            name: s.name.clone(),
            tags: s.tags.join(", "),
            category: s.category.clone().unwrap_or_default(),
            email_domain: s.email_domain.clone().unwrap_or_default(),
            group_id: s.group_id.to_string(),
            keep_applying: s.keep_applying.then(|| "on".into()),
        }
    }

    /// Checks the form against the existing groups.
    pub fn check(&self, groups: &[(i64, String)]) -> Result<Definition, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            e.add("name", "Give the segment a name (up to 200 characters).");
        }
        let tags = crate::contacts::model::parse_tags(&self.tags);
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let category = opt(&self.category);
        let domain = opt(&self.email_domain.trim().trim_start_matches('@').to_lowercase());
        if tags.is_empty() && category.is_none() && domain.is_none() {
            e.add("tags", "Give at least one condition: tags, a category or an email domain.");
        }
        if domain.as_ref().is_some_and(|d| !d.contains('.') || d.contains(char::is_whitespace) || d.contains('@')) {
            e.add("email_domain", "Enter a domain like example.com.");
        }
        let group_id = self.group_id.trim().parse::<i64>().ok().filter(|g| groups.iter().any(|(id, _)| id == g));
        if group_id.is_none() {
            e.add("group_id", "Choose the access group matching contacts join.");
        }
        match (e.is_empty(), group_id) {
            (true, Some(group_id)) => Ok(Definition {
                name: name.to_string(),
                tags,
                category,
                email_domain: domain,
                group_id,
                keep_applying: self.keep_applying.is_some(),
            }),
            _ => Err(e),
        }
    }
}

impl Definition {
    pub fn of(s: &Segment) -> Definition {
        Definition {
            name: s.name.clone(),
            tags: s.tags.clone(),
            category: s.category.clone(),
            email_domain: s.email_domain.clone(),
            group_id: s.group_id,
            keep_applying: s.keep_applying,
        }
    }

    /// `AND …` conditions over `contacts c` (values bound).
    pub fn conditions(&self) -> Sql {
        let mut s = Sql::default();
        if !self.tags.is_empty() {
            // No listed tag is missing from the contact. A lent tag (a shared rule's, beyond its
            // owner's reach) does not count: a segment gives access.
            s.push(" AND NOT EXISTS (SELECT 1 FROM unnest(")
                .bind(Bind::Texts(self.tags.clone()))
                .push("::text[]) AS x(tag) WHERE NOT EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag = x.tag AND NOT t.lent))");
        }
        if let Some(cat) = &self.category {
            s.push(" AND c.category = ").bind(Bind::Text(cat.clone()));
        }
        if let Some(d) = &self.email_domain {
            s.push(" AND c.email IS NOT NULL AND lower(split_part(c.email, '@', 2)) = ").bind(Bind::Text(d.clone()));
        }
        s
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How many contacts `actor` may assign match, and how many of those are not in the group yet.
pub fn preview(conn: &mut PgConnection, actor: &Subject, r: &Definition) -> QueryResult<(i64, i64)> {
    let may = filter::permits(actor, Operation::Assign);
    let mut all = Sql::new("SELECT count(*) AS n FROM contacts c WHERE ");
    all.append(&may).append(&r.conditions());
    let matched = all.query().get_result::<Count>(conn)?.n;
    let mut new = Sql::new("SELECT count(*) AS n FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM contact_access_groups g WHERE g.contact_id = c.id AND g.group_id = ");
    new.bind(Bind::I64(r.group_id)).push(") AND ").append(&may);
    new.append(&r.conditions());
    Ok((matched, new.query().get_result::<Count>(conn)?.n))
}

/// Puts matching contacts that `actor` may assign (all, or only `ids`) into the group; returns
/// how many joined.
pub fn apply(conn: &mut PgConnection, actor: &Subject, r: &Definition, ids: Option<&[i64]>) -> QueryResult<usize> {
    let mut q = Sql::new("INSERT INTO contact_access_groups (contact_id, group_id) SELECT c.id, ");
    q.bind(Bind::I64(r.group_id)).push(" FROM contacts c WHERE ").append(&filter::permits(actor, Operation::Assign));
    if let Some(ids) = ids {
        q.push(" AND c.id = ANY(").bind(Bind::I64s(ids.to_vec())).push(")");
    }
    q.append(&r.conditions());
    q.push(" ON CONFLICT DO NOTHING");
    q.query().execute(conn)
}

/// Applies every keep-applying segment to `contact_ids` (called from `events::after`),
/// each with its saver's authority.
pub fn apply_live(conn: &mut PgConnection, contact_ids: &[i64]) -> QueryResult<()> {
    let live: Vec<Segment> =
        segments::table.filter(segments::keep_applying.eq(true)).select(Segment::as_select()).load(conn)?;
    let mut savers: std::collections::HashMap<i64, Option<Subject>> = std::collections::HashMap::new();
    for s in &live {
        let Some(by) = s.saved_by else { continue };
        if let std::collections::hash_map::Entry::Vacant(e) = savers.entry(by) {
            e.insert(facts::subject(conn, by)?);
        }
        if let Some(Some(actor)) = savers.get(&by) {
            apply(conn, actor, &Definition::of(s), Some(contact_ids))?;
        }
    }
    Ok(())
}

pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Segment>> {
    segments::table.order(segments::name).select(Segment::as_select()).load(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Segment> {
    segments::table.find(id).select(Segment::as_select()).first(conn)
}

/// Segments are made, changed and deleted by holders of `administration.access_groups_manage`.
fn may_change(conn: &mut PgConnection, by: i64) -> Result<(), crate::access::Denied> {
    crate::access::authority::require_of(conn, by, &[crate::permissions::Perm::AdministrationAccessGroupsManage])
        .map(|_| ())
}

pub fn create(conn: &mut PgConnection, r: &Definition, by: i64) -> Result<i64, crate::access::Denied> {
    may_change(conn, by)?;
    Ok(diesel::insert_into(segments::table)
        .values((r, segments::created_by.eq(Some(by)), segments::saved_by.eq(Some(by))))
        .returning(segments::id)
        .get_result(conn)?)
}

/// Saves the rule; from now on the segment acts with `by`'s authority.
pub fn update(conn: &mut PgConnection, id: i64, r: &Definition, by: i64) -> Result<usize, crate::access::Denied> {
    may_change(conn, by)?;
    Ok(diesel::update(segments::table.find(id))
        .set((r, segments::updated_at.eq(Utc::now()), segments::saved_by.eq(Some(by))))
        .execute(conn)?)
}

pub fn delete(conn: &mut PgConnection, id: i64, by: i64) -> Result<usize, crate::access::Denied> {
    may_change(conn, by)?;
    Ok(diesel::delete(segments::table.find(id)).execute(conn)?)
}
