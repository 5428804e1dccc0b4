//! The import job: one row per uploaded file, with its mapping and options once chosen, its
//! status and progress (written on a separate connection so it shows while the import's
//! transaction runs) and its counts.

use crate::db::schema::import_jobs;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What a CSV column becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Email,
    FirstName,
    LastName,
    Phone,
    Company,
    Category,
    Tags,
    Ignore,
}

impl Target {
    pub const ALL: [Target; 8] = [
        Target::Email,
        Target::FirstName,
        Target::LastName,
        Target::Phone,
        Target::Company,
        Target::Category,
        Target::Tags,
        Target::Ignore,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Target::Email => "email",
            Target::FirstName => "first_name",
            Target::LastName => "last_name",
            Target::Phone => "phone",
            Target::Company => "company",
            Target::Category => "category",
            Target::Tags => "tags",
            Target::Ignore => "ignore",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Target::Email => "Email",
            Target::FirstName => "First name",
            Target::LastName => "Last name",
            Target::Phone => "Phone",
            Target::Company => "Company",
            Target::Category => "Category",
            Target::Tags => "Tags",
            Target::Ignore => "Ignore this column",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.key() == s)
    }

    /// The pre-selected target for a header name.
    pub fn guess(header: &str) -> Target {
        let h: String = header.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        match h.as_str() {
            "email" | "mail" | "emailaddress" => Target::Email,
            "firstname" | "first" | "givenname" | "forename" => Target::FirstName,
            "lastname" | "last" | "surname" | "familyname" => Target::LastName,
            "phone" | "mobile" | "telephone" | "tel" | "phonenumber" => Target::Phone,
            "company" | "organisation" | "organization" | "employer" => Target::Company,
            "category" => Target::Category,
            "tags" | "tag" | "labels" => Target::Tags,
            _ => Target::Ignore,
        }
    }
}

/// De-duplication by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dedup {
    /// Existing contacts with the same email are updated (if the importer may edit them).
    Update,
    /// Rows whose email already exists are skipped.
    Skip,
}

/// The choices of the mapping page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
    /// One target per CSV column, in order.
    pub mapping: Vec<Target>,
    /// Tags added to every imported row.
    pub tags: Vec<String>,
    /// Access groups every imported row joins.
    pub groups: Vec<i64>,
    /// Main owner of new contacts (and of updated ones that have none).
    pub owner_id: i64,
    pub dedup: Dedup,
    /// Rows without an email create contacts without one; off (the default), they are
    /// rejected with that reason. (Jobs started before the option existed created them.)
    #[serde(default = "created_before_the_option")]
    pub without_email: bool,
}

fn created_before_the_option() -> bool {
    true
}

pub const UPLOADED: &str = "uploaded";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = import_jobs)]
pub struct Job {
    pub id: i64,
    pub user_id: i64,
    pub file_name: String,
    pub delimiter: String,
    pub headers: serde_json::Value,
    pub options: Option<serde_json::Value>,
    pub status: String,
    pub total: i64,
    pub processed: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub rejected: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    pub fn columns(&self) -> Vec<String> {
        serde_json::from_value(self.headers.clone()).unwrap_or_default()
    }

    pub fn options(&self) -> Option<Options> {
        self.options.clone().and_then(|v| serde_json::from_value(v).ok())
    }

    pub fn delimiter_byte(&self) -> u8 {
        if self.delimiter == ";" {
            b';'
        } else {
            b','
        }
    }

    /// Where a running job is, in words (its page and its progress JSON).
    pub fn progress_line(&self) -> String {
        let rows = if self.total == 1 { "row" } else { "rows" };
        format!("{} of {} {rows} read ({}%)", self.processed, self.total, self.percent())
    }

    /// Percent done, for the progress bar.
    pub fn percent(&self) -> i64 {
        if self.total <= 0 {
            0
        } else {
            (self.processed * 100 / self.total).clamp(0, 100)
        }
    }
}

/// Creates the job of an uploaded file (at `path`, a local temporary file): reads its header,
/// counts its records and copies it into the database, in the caller's transaction.
/// `Ok(Err(message))` when the file is not a usable CSV.
pub fn create(conn: &mut PgConnection, user_id: i64, path: &Path, name: &str) -> Result<Result<i64, String>, AppError> {
    let header = match super::file::header(path) {
        Ok(h) => h,
        Err(msg) => return Ok(Err(msg)),
    };
    let total = match super::file::count_records(path, header.delimiter) {
        Ok(n) => n,
        Err(_) => return Ok(Err("The file could not be read as CSV. Check that it is UTF-8 text.".into())),
    };
    let id = diesel::insert_into(import_jobs::table)
        .values((
            import_jobs::user_id.eq(user_id),
            import_jobs::file_name.eq(name),
            import_jobs::delimiter.eq(if header.delimiter == b';' { ";" } else { "," }),
            import_jobs::headers.eq(serde_json::json!(header.columns)),
            import_jobs::total.eq(total),
        ))
        .returning(import_jobs::id)
        .get_result(conn)?;
    super::file::store(conn, id, path)?;
    Ok(Ok(id))
}

/// The job `id` if it belongs to `user_id` (others' jobs are "not found").
pub fn find_for(conn: &mut PgConnection, id: i64, user_id: i64) -> QueryResult<Job> {
    import_jobs::table
        .filter(import_jobs::id.eq(id))
        .filter(import_jobs::user_id.eq(user_id))
        .select(Job::as_select())
        .first(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Job> {
    import_jobs::table.find(id).select(Job::as_select()).first(conn)
}

/// The user's recent jobs.
pub fn recent(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<Job>> {
    import_jobs::table
        .filter(import_jobs::user_id.eq(user_id))
        .order(import_jobs::id.desc())
        .limit(10)
        .select(Job::as_select())
        .load(conn)
}

/// Stores the options and marks the job running, only if it is still waiting for them
/// (`false` when it already ran: a double submission starts nothing), and queues its run, in
/// one transaction.
pub fn start(conn: &mut PgConnection, id: i64, opts: &Options) -> QueryResult<bool> {
    conn.transaction(|c| {
        let n =
            diesel::update(import_jobs::table.filter(import_jobs::id.eq(id)).filter(import_jobs::status.eq(UPLOADED)))
                .set((import_jobs::options.eq(serde_json::to_value(opts).ok()), import_jobs::status.eq(RUNNING)))
                .execute(c)?;
        if n == 1 {
            crate::jobs::enqueue(c, &super::IMPORT, id)?;
        }
        Ok(n == 1)
    })
}
