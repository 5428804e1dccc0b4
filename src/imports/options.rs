//! Starting an import: the mapping page's choices checked and turned into the job's
//! [`Options`]. Importing needs `contacts.import`; giving the new contacts another main owner or
//! access groups needs `contacts.assign`, as it would by hand; and an import whose new contacts
//! the importer would not see asks them to confirm first.

use super::job::{self, Dedup, Options, Target};
use crate::access::{authority, facts, rules, Denied, Level, Subject};
use crate::db::schema::import_rejects;
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use diesel::prelude::*;

/// The mapping page's choices, as typed.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub mapping: Vec<Target>,
    pub tags: String,
    pub groups: Vec<i64>,
    /// The main owner of the new contacts, by email (empty: the importer).
    pub owner: String,
    /// "skip" or "update" (the default).
    pub dedup: String,
    /// "create" or "reject" (the default): what becomes of rows without an email.
    pub without_email: String,
    /// The importer confirmed an import whose new contacts they will not see.
    pub hidden_ok: bool,
}

impl Choices {
    /// What the page offers first for a file with `columns`: guessed targets, the importer as
    /// the owner, matching contacts updated, rows without an email rejected.
    pub fn first(columns: &[String], importer_email: &str) -> Choices {
        Choices {
            mapping: columns.iter().map(|c| Target::guess(c)).collect(),
            owner: importer_email.to_string(),
            dedup: "update".into(),
            without_email: "reject".into(),
            ..Choices::default()
        }
    }
}

/// Why an import did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// Choices to correct, beside their fields.
    #[error("the choices need correcting")]
    Invalid(FieldErrors),
}

impl From<diesel::result::Error> for StartError {
    fn from(e: diesel::result::Error) -> Self {
        StartError::Denied(e.into())
    }
}

/// Starts job `id` of the importer `who` (whose email is `email`) with `choices`: `true` when it
/// starts now (the caller runs it), `false` when it had already started. Call it in one
/// transaction.
pub fn start(
    conn: &mut PgConnection,
    who: &Subject,
    email: &str,
    id: i64,
    choices: &Choices,
) -> Result<bool, StartError> {
    authority::require(who, Perm::ContactsImport)?;
    // Someone else's job is not found (its existence is not revealed).
    let found = job::find_for(conn, id, who.user_id).optional()?.ok_or(Denied::NotFound)?;
    if found.status != job::UPLOADED {
        return Ok(false);
    }
    let options = check(conn, who, email, choices)?;
    Ok(job::start(conn, id, &options)?)
}

fn check(conn: &mut PgConnection, who: &Subject, email: &str, f: &Choices) -> Result<Options, StartError> {
    let can_assign = who.perms.contains(Perm::ContactsAssign);
    let mut errors = FieldErrors::default();
    if !f.mapping.iter().any(|t| matches!(t, Target::Email | Target::FirstName | Target::LastName)) {
        errors.add("mapping", "Map at least one column to Email, First name or Last name.");
    }
    // One column at most may fill each field.
    for t in Target::ALL.into_iter().filter(|t| *t != Target::Ignore) {
        if f.mapping.iter().filter(|m| **m == t).count() > 1 {
            errors.add("mapping", format!("Map only one column to {}.", t.label()));
        }
    }
    if !f.groups.is_empty() && !can_assign {
        errors.add("groups", "Adding access groups needs the contacts.assign permission.");
    }
    let groups = crate::access_groups::choices(conn)?;
    if f.groups.iter().any(|g| !groups.iter().any(|(id, _)| id == g)) {
        errors.add("groups", "One of the chosen access groups no longer exists.");
    }
    let owner = f.owner.trim();
    let owner_id = if owner.is_empty() || crate::accounts::same_email(owner, email) {
        Some(who.user_id)
    } else if !can_assign {
        errors.add("owner", "Choosing another main owner needs the contacts.assign permission.");
        None
    } else {
        let found = crate::contacts::owners::active_user_by_email(conn, owner)?;
        if found.is_none() {
            errors.add("owner", "No active user has this email.");
        }
        found
    };
    let (Some(owner_id), true) = (owner_id, errors.is_empty()) else {
        return Err(StartError::Invalid(errors));
    };
    // Warn before the import hides what it creates from the importer (another main owner, and
    // no group or team that lets them see it): they confirm, or change the owner.
    if !f.hidden_ok {
        let new = facts::new_contact(conn, Some(owner_id), &f.groups)?;
        if rules::decide(who, &new).level < Level::View {
            errors.add(
                "owner",
                "You will not see the contacts this import creates: they get this main owner, and no team or access group you are in reaches them. Tick “Import anyway” to go on, or choose another owner or group.",
            );
            return Err(StartError::Invalid(errors));
        }
    }
    Ok(Options {
        mapping: f.mapping.clone(),
        tags: crate::contacts::model::parse_tags(&f.tags),
        groups: f.groups.clone(),
        owner_id,
        dedup: if f.dedup == "skip" { Dedup::Skip } else { Dedup::Update },
        without_email: f.without_email == "create",
    })
}

/// The first `limit` rejected rows of job `id`, (row, reason, email), for its owner `user_id`.
pub fn rejects(conn: &mut PgConnection, id: i64, user_id: i64, limit: i64) -> QueryResult<Vec<(i64, String, String)>> {
    job::find_for(conn, id, user_id)?;
    import_rejects::table
        .filter(import_rejects::job_id.eq(id))
        .order(import_rejects::row_no)
        .limit(limit)
        .select((import_rejects::row_no, import_rejects::reason, import_rejects::email))
        .load(conn)
}
