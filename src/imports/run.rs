//! The import itself. The file is read row by row (never whole in memory); good rows are
//! written in batches of [`BATCH`] with set-based statements (one look-up of existing emails,
//! one multi-row INSERT, one UPDATE … FROM unnest, one INSERT each for tags and groups).
//! Everything is applied in ONE transaction: all good rows or none if the import fails;
//! rejected rows never abort it. Progress is written on a second connection so the result
//! page sees it while the transaction runs.

use super::job::{self, Dedup, Job, Options};
use super::rows::{self, Good};
use super::writes::{insert_new, notify_owners, update_existing};
use crate::access::{filter, Level, Operation, Subject};
use crate::contacts::events::Event;
use crate::db::schema::{import_chunks, import_jobs, import_rejects};
use crate::db::Db;
use crate::error::AppError;
use crate::events;
use crate::permissions::Perm;
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Text};
use std::collections::HashMap;

/// Rows per batch.
pub const BATCH: usize = 5_000;
/// The reason given for an existing contact the importer sees but may not edit.
pub const NOT_EDITABLE: &str = "exists and you may not edit it";
/// The reason given for an email a contact the importer cannot see holds: its existence is not
/// confirmed.
pub const UNUSABLE: &str = "this email cannot be used in your import";
/// The reason given for a row without an email when the import rejects such rows.
pub const NO_EMAIL: &str = "no email (this import was set to reject rows without one)";

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub rejected: i64,
}

/// A rejected row.
struct Reject {
    row_no: i64,
    reason: String,
    email: String,
}

#[derive(QueryableByName)]
struct Existing {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Bool)]
    editable: bool,
    #[diesel(sql_type = Bool)]
    visible: bool,
}

/// Marks job `job_id` failed, with nothing imported, and removes its file (the import kind's
/// give-up, after its last attempt).
pub(super) fn failed(db: &Db, job_id: i64) -> Result<(), AppError> {
    let mut c = db.get_blocking()?;
    c.transaction(|c| {
        diesel::update(import_jobs::table.find(job_id))
            .set((
                import_jobs::status.eq(job::FAILED),
                import_jobs::error.eq(Some("The import failed and nothing was imported. Please try again.")),
                import_jobs::finished_at.eq(Some(Utc::now())),
            ))
            .execute(c)?;
        diesel::delete(import_chunks::table.filter(import_chunks::job_id.eq(job_id))).execute(c)
    })?;
    Ok(())
}

/// One attempt at job `job_id` (the import kind's).
pub(super) fn attempt(db: &Db, job_id: i64) -> Result<(), AppError> {
    if let Some(counts) = execute(db, job_id)? {
        tracing::info!(job = job_id, ?counts, "import done");
    }
    Ok(())
}

/// The high bits of an import job's advisory-lock key: they name import jobs, so the key cannot
/// meet another use of advisory locks.
const IMPORT_JOBS: i64 = 0x494d_0000_0000_0000;

/// Takes the job for this transaction: a PostgreSQL advisory lock, released at commit or
/// rollback, and so also when the instance running it dies. `false` when another run holds it.
pub fn claim(c: &mut PgConnection, job_id: i64) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = Bool)]
        claimed: bool,
    }
    let r: Claimed = crate::db::query("SELECT pg_try_advisory_xact_lock($1) AS claimed")
        .bind::<BigInt, _>(IMPORT_JOBS | job_id)
        .get_result(c)?;
    Ok(r.claimed)
}

/// Whether some live transaction holds the job's claim (reads `pg_locks`; takes nothing, so it
/// never gets in a run's way). A job marked running that nobody holds was left by a stopped
/// instance: nothing of it is saved, and the sweep will run it again from the start.
pub fn in_progress(c: &mut PgConnection, job_id: i64) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = Bool)]
        held: bool,
    }
    let key = IMPORT_JOBS | job_id;
    // A bigint advisory key shows in pg_locks as its high and low 32 bits, objsubid 1; locks are
    // per database (pg_locks lists the whole cluster's).
    let r: Held = crate::db::query(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND classid::bigint = ($1 >> 32) AND objid::bigint = ($1 & 4294967295)) AS held",
    )
    .bind::<BigInt, _>(key)
    .get_result(c)?;
    Ok(r.held)
}

/// Runs job `job_id` to its end (blocking: call it off the async executor), in one
/// transaction: a failure imports nothing. `Ok(None)`: nothing to do here, because another run
/// holds the job (another instance) or it is no longer running.
pub fn execute(db: &Db, job_id: i64) -> Result<Option<Counts>, AppError> {
    let mut conn = db.get_blocking()?;
    conn.transaction(|c| {
        // Claimed first, then read: a run that finished just before sees `done` here.
        if !claim(c, job_id)? {
            return Ok(None);
        }
        let j = job::find(c, job_id)?;
        if j.status != job::RUNNING {
            return Ok(None);
        }
        let opts = j.options().ok_or_else(|| anyhow::anyhow!("import job {job_id} has no options"))?;
        // A second connection streams the stored file and reports progress (autocommit, so
        // the result page sees it while this transaction runs).
        let file_conn = db.get_blocking()?;
        let mut reader = super::file::reader(super::file::StoredFile::open(file_conn, job_id), j.delimiter_byte());
        let s = crate::access::facts::subject(c, j.user_id)?.ok_or(AppError::NotFound)?;
        // The importer's authority as it is now, not as it was when the job was set up: a run
        // they could no longer start by hand fails whole.
        let assigns = !opts.groups.is_empty() || opts.owner_id != j.user_id;
        if !s.active || !s.perms.contains(Perm::ContactsImport) || (assigns && !s.perms.contains(Perm::ContactsAssign))
        {
            return Err(AppError::forbidden(format!("import job {job_id}: the importer may no longer run it")));
        }
        let counts = import_file(c, &mut reader, &j, &s, &opts)?;
        diesel::update(import_jobs::table.find(job_id))
            .set((
                import_jobs::status.eq(job::DONE),
                import_jobs::processed.eq(j.total),
                import_jobs::created.eq(counts.created),
                import_jobs::updated.eq(counts.updated),
                import_jobs::skipped.eq(counts.skipped),
                import_jobs::rejected.eq(counts.rejected),
                import_jobs::finished_at.eq(Some(Utc::now())),
            ))
            .execute(c)?;
        // The file is no longer needed: the report and the rejects stay.
        diesel::delete(import_chunks::table.filter(import_chunks::job_id.eq(job_id))).execute(c)?;
        crate::audit::Entry::new(Some(j.user_id), "contact.import", "import_job", job_id)
            .after(serde_json::json!({
                "file": j.file_name, "rows": j.total, "created": counts.created, "updated": counts.updated,
                "skipped": counts.skipped, "rejected": counts.rejected, "tags": opts.tags, "groups": opts.groups,
                "owner_id": opts.owner_id, "dedup": opts.dedup,
            }))
            .record(c)?;
        Ok(Some(counts))
    })
}

/// Streams the file through the batches, inside the caller's transaction.
fn import_file(
    c: &mut PgConnection,
    reader: &mut csv::Reader<super::file::StoredFile>,
    j: &Job,
    s: &Subject,
    opts: &Options,
) -> Result<Counts, AppError> {
    let mut counts = Counts::default();
    let mut seen: HashMap<String, i64> = HashMap::new();
    let mut batch: Vec<Good> = Vec::with_capacity(BATCH);
    let mut rejects: Vec<Reject> = Vec::new();
    let mut processed = 0i64;
    let mut rec = csv::StringRecord::new();
    loop {
        processed += 1;
        // The line the record starts on (header = 1); blank lines the reader skips still count.
        let row_no = match reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => rec.position().map_or(processed + 1, |p| p.line() as i64),
            Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                let row_no = e.position().map_or(processed + 1, |p| p.line() as i64);
                rejects.push(Reject { row_no, reason: "not valid UTF-8 text".into(), email: String::new() });
                continue;
            }
            Err(e) => return Err(anyhow::anyhow!("read import file: {e}").into()),
        };
        match rows::parse(row_no, &rec, &opts.mapping) {
            Ok(good) => {
                let email = good.fields.email.trim().to_lowercase();
                if email.is_empty() && !opts.without_email {
                    rejects.push(Reject { row_no, reason: NO_EMAIL.into(), email });
                    continue;
                }
                if !email.is_empty() {
                    if let Some(first) = seen.get(&email) {
                        rejects.push(Reject { row_no, reason: format!("the same email is on row {first}"), email });
                        continue;
                    }
                    seen.insert(email, row_no);
                }
                batch.push(good);
            }
            Err(reason) => rejects.push(Reject { row_no, reason, email: rows::email_of(&rec, &opts.mapping) }),
        }
        if batch.len() >= BATCH {
            flush(c, s, j, opts, &mut batch, &mut rejects, &mut counts)?;
            report(&mut reader.get_mut().conn, j.id, processed)?;
        }
    }
    flush(c, s, j, opts, &mut batch, &mut rejects, &mut counts)?;
    Ok(counts)
}

fn report(progress: &mut PgConnection, job_id: i64, processed: i64) -> QueryResult<()> {
    diesel::update(import_jobs::table.find(job_id))
        .set(import_jobs::processed.eq(processed))
        .execute(progress)
        .map(|_| ())
}

/// Writes one batch of good rows and the pending rejects.
fn flush(
    c: &mut PgConnection,
    s: &Subject,
    j: &Job,
    opts: &Options,
    batch: &mut Vec<Good>,
    rejects: &mut Vec<Reject>,
    counts: &mut Counts,
) -> Result<(), AppError> {
    let rows = std::mem::take(batch);
    let emails: Vec<String> =
        rows.iter().map(|g| g.fields.email.trim().to_string()).filter(|e| !e.is_empty()).collect();
    // Existing contacts with these emails, by each email as typed, and whether the importer may
    // edit each (the Edit operation: the contacts.edit permission and level edit) or reaches it
    // at all. Matched by PostgreSQL's `lower()`, as the unique index on contact emails is: a
    // match folded differently in Rust would miss the contact and fail the whole job on the
    // index instead.
    let existing: HashMap<String, (i64, bool, bool)> = if emails.is_empty() {
        HashMap::new()
    } else {
        crate::db::sql::sql!(
            "SELECT c.id, t.typed AS email, (",
            filter::permits(s, Operation::Edit),
            ") AS editable, (",
            filter::reaches(s, Level::View),
            ") AS visible FROM unnest(",
            crate::db::sql::Bind::Texts(emails),
            "::text[]) AS t(typed) JOIN contacts c ON lower(c.email) = lower(t.typed)"
        )
        .query()
        .load::<Existing>(c)?
        .into_iter()
        .map(|e| (e.email, (e.id, e.editable, e.visible)))
        .collect()
    };
    let (mut new, mut upd): (Vec<Good>, Vec<(i64, Good)>) = (Vec::new(), Vec::new());
    for g in rows {
        match existing.get(g.fields.email.trim()) {
            None => new.push(g),
            // A hidden contact's row is refused the same way whatever the option: skipping it
            // ("already there") would confirm it too.
            Some((_, _, false)) => {
                rejects.push(Reject { row_no: g.row_no, reason: UNUSABLE.into(), email: g.fields.email.clone() })
            }
            Some(_) if opts.dedup == Dedup::Skip => counts.skipped += 1,
            Some((id, true, _)) => upd.push((*id, g)),
            Some((_, false, _)) => {
                rejects.push(Reject { row_no: g.row_no, reason: NOT_EDITABLE.into(), email: g.fields.email.clone() })
            }
        }
    }
    let mut ids = insert_new(c, j.user_id, opts.owner_id, &new)?;
    // Giving an ownerless existing contact a main owner changes who has access to it: only
    // with contacts.assign (as on the card).
    let owner_for_existing = s.perms.contains(Perm::ContactsAssign).then_some(opts.owner_id);
    let updated = update_existing(c, owner_for_existing, &upd)?;
    counts.created += new.len() as i64;
    counts.updated += upd.len() as i64;
    // Tags: each row's own plus the options'; groups: the options'.
    let mut tag_ids = Vec::new();
    let mut tag_names = Vec::new();
    let goods = new.iter().zip(ids.iter().copied()).chain(upd.iter().map(|(id, g)| (g, *id)));
    for (g, id) in goods {
        for t in g.tags.iter().chain(opts.tags.iter()) {
            tag_ids.push(id);
            tag_names.push(t.clone());
        }
    }
    notify_owners(c, j.user_id, &updated)?;
    ids.extend(updated);
    if !tag_ids.is_empty() {
        crate::db::query(
            "INSERT INTO contact_tags (contact_id, tag) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING",
        )
        .bind::<Array<BigInt>, _>(&tag_ids)
        .bind::<Array<Text>, _>(&tag_names)
        .execute(c)?;
    }
    if !opts.groups.is_empty() && !ids.is_empty() {
        crate::db::query(
            "INSERT INTO contact_access_groups (contact_id, group_id) \
             SELECT i, g FROM unnest($1::bigint[]) i CROSS JOIN unnest($2::bigint[]) g ON CONFLICT DO NOTHING",
        )
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Array<BigInt>, _>(&opts.groups)
        .execute(c)?;
    }
    // The importer's authority travels with the rules the import fires.
    events::after_on_behalf(c, Some(j.user_id), Some(j.user_id), &Event::Imported, &ids)?;
    if !rejects.is_empty() {
        counts.rejected += rejects.len() as i64;
        let values: Vec<_> = rejects
            .drain(..)
            .map(|r| {
                (
                    import_rejects::job_id.eq(j.id),
                    import_rejects::row_no.eq(r.row_no),
                    import_rejects::reason.eq(r.reason),
                    import_rejects::email.eq(r.email),
                )
            })
            .collect();
        for chunk in values.chunks(5_000) {
            diesel::insert_into(import_rejects::table).values(chunk).execute(c)?;
        }
    }
    Ok(())
}
