//! Reading the audit log as a person: the viewer's page and its CSV export. Both need
//! `administration.audit_view`, and both hide what the reader may not see of a contact
//! ([`query::redact`]); the export is itself recorded.

use super::query::{self, Filters, Row};
use super::{Actor, Entry};
use crate::access::{authority, Denied, Subject};
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use diesel::prelude::*;

/// Entries counted at most for a page's position ("1–50 of more than 10,000").
pub const COUNT_CAP: i64 = 10_000;

/// Rows read per query while exporting.
const BATCH: i64 = 2_000;
/// The most rows one export holds; narrow the filters for more.
pub const MAX_EXPORT_ROWS: usize = 200_000;

/// One page of the log as its reader sees it.
pub struct LogPage {
    /// A filter that could not be read, beside its field (it is then ignored).
    pub errors: FieldErrors,
    pub rows: Vec<Row>,
    /// The cursor of the next (older) page, when there is one.
    pub next_before: Option<i64>,
    /// Where the page is: the position of its first entry, and how many match (`None`: more
    /// than [`COUNT_CAP`]); `None` when the entries before it are more than that too.
    pub position: Option<(i64, Option<i64>)>,
    /// The actions and object types the log holds (the filter's pickers).
    pub actions: Vec<String>,
    pub object_types: Vec<String>,
}

/// Why an export was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// A filter could not be read: an export never silently widens to the whole log.
    #[error("{0}")]
    BadFilter(String),
}

impl From<diesel::result::Error> for ExportError {
    fn from(e: diesel::result::Error) -> Self {
        ExportError::Denied(e.into())
    }
}

/// The entries matching `filters` below the cursor `before`, newest first, `per_page` of them.
pub fn page(
    conn: &mut PgConnection,
    who: &Subject,
    filters: &Filters,
    before: Option<i64>,
    per_page: i64,
) -> Result<LogPage, Denied> {
    authority::require(who, Perm::AdministrationAuditView)?;
    let mut errors = FieldErrors::default();
    let parsed = filters.parse(conn, &mut errors)?;
    let mut rows = query::page(conn, &parsed, before, per_page + 1)?;
    query::redact(conn, who, &mut rows)?;
    super::sentence::tell_all(conn, &mut rows)?;
    query::name_users(conn, &mut rows)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let next_before = if more { rows.last().map(|r| r.id) } else { None };
    let total = Some(query::count_capped(conn, &parsed, None, COUNT_CAP)?).filter(|n| *n <= COUNT_CAP);
    let newer = match before {
        None => 0,
        Some(b) => query::count_capped(conn, &parsed, Some(b), COUNT_CAP)?,
    };
    let position = (newer <= COUNT_CAP).then_some((newer + 1, total));
    let (actions, object_types) = query::choices(conn)?;
    Ok(LogPage { errors, rows, next_before, position, actions, object_types })
}

/// The newest `limit` entries others made (the start page), as the log's page shows them.
pub fn recent_by_others(conn: &mut PgConnection, who: &Subject, limit: i64) -> QueryResult<Vec<Row>> {
    if authority::require(who, Perm::AdministrationAuditView).is_err() {
        return Ok(Vec::new());
    }
    let mut rows = query::newest_not_by(conn, who.user_id, limit)?;
    query::redact(conn, who, &mut rows)?;
    super::sentence::tell_all(conn, &mut rows)?;
    query::name_users(conn, &mut rows)?;
    Ok(rows)
}

/// Every entry matching `filters` (at most [`MAX_EXPORT_ROWS`]), newest first, and the audit
/// entry that says who exported them. Call it in one transaction with what writes the file.
pub fn export(
    conn: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    filters: &Filters,
) -> Result<Vec<Row>, ExportError> {
    authority::require(who, Perm::AdministrationAuditView)?;
    let mut errors = FieldErrors::default();
    let parsed = filters.parse(conn, &mut errors)?;
    if let Some(msg) = ["actor", "from", "to"].iter().find_map(|f| errors.get(f)) {
        return Err(ExportError::BadFilter(msg.to_string()));
    }
    let (mut out, mut before) = (Vec::new(), None);
    loop {
        let mut rows = query::page(conn, &parsed, before, BATCH)?;
        query::redact(conn, who, &mut rows)?;
        super::sentence::tell_all(conn, &mut rows)?;
        let last = rows.len() < BATCH as usize;
        before = rows.last().map(|r| r.id);
        out.append(&mut rows);
        if last || out.len() >= MAX_EXPORT_ROWS {
            break;
        }
    }
    Entry::by(actor, "audit.export", "audit_log", "export")
        .after(serde_json::json!({ "filters": filters, "rows": out.len() }))
        .record(conn)?;
    Ok(out)
}
