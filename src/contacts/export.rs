//! Exporting contacts: the contacts a user may see (level view) under the list's filters, read
//! a page at a time by keyset (`c.id > last`) so a file of any size costs one short query per
//! page. Exporting needs `contacts.export` and no "disable export" on the account; each export
//! is recorded before its first row is read.

use super::selection::Filters;
use crate::access::{ops, Denied, Level, Operation, Refusal, Subject};
use crate::audit::{Actor, Entry};
use crate::db::sql::{Bind, Sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// Rows read per page.
pub const PAGE: i64 = 2_000;

/// One exported contact.
#[derive(QueryableByName)]
pub struct Row {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Text)]
    pub first_name: String,
    #[diesel(sql_type = Text)]
    pub last_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub phone: Option<String>,
    #[diesel(sql_type = Text)]
    pub company: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub owner_email: Option<String>,
    #[diesel(sql_type = Text)]
    pub tags: String,
}

/// Why `s` may not export, in words for the refusal page; `None` when they may.
pub fn refusal(s: &Subject) -> Option<&'static str> {
    match ops::permits_at_all(s, Operation::Export) {
        Ok(()) => None,
        Err(Refusal::ExportDisabled) => {
            Some("Contact export is disabled for your account. Ask an administrator if you need it.")
        }
        Err(_) => Some("You do not have the permission to export contacts (contacts.export)."),
    }
}

/// Starts an export by `s` under `filters`: refused as [`refusal`] says, else recorded (the
/// entry names the filters; the row count is only known at the end).
pub fn begin(conn: &mut PgConnection, actor: &Actor, s: &Subject, filters: &Filters) -> Result<(), Denied> {
    if let Some(why) = refusal(s) {
        return Err(Denied::Forbidden(why.to_string()));
    }
    Entry::by(actor, "contact.export", "contacts", "export.csv")
        .after(serde_json::json!({ "filters": filters }))
        .record(conn)?;
    Ok(())
}

/// One page of visible rows after `last` (tags joined by ';').
pub fn page(conn: &mut PgConnection, s: &Subject, f: &Filters, last: i64) -> QueryResult<Vec<Row>> {
    let mut sql = Sql::new(
        "SELECT c.id, c.email, c.first_name, c.last_name, c.phone, c.company, c.category, u.email AS owner_email, \
         coalesce((SELECT string_agg(t.tag, ';' ORDER BY t.tag) FROM contact_tags t WHERE t.contact_id = c.id), '') AS tags \
         FROM contacts c LEFT JOIN users u ON u.id = c.main_owner_id",
    );
    sql.append(&f.where_clause(s, Level::View));
    sql.push(" AND c.id > ").bind(Bind::I64(last));
    sql.push(" ORDER BY c.id LIMIT ").bind(Bind::I64(PAGE));
    sql.query().load(conn)
}
