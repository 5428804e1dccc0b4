//! The pieces every bulk plan is made of, whether it comes from actions ([`super::actions`])
//! or undoes a run ([`super::undo`]): a step (one action), the parts whose rows it writes, the
//! tallies of the contacts it leaves alone, and what each part records for an undo.

use crate::db::sql::sql;
use crate::db::sql::Sql;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(QueryableByName)]
pub(super) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(super) n: i64,
}

/// How [`super::run::apply`] runs the actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Change the data, under the run's lock on every contact of the selection
    /// ([`super::run::lock_editable`]).
    Execute,
    /// Change the data as `Execute` does, but without that lock, inside a savepoint the preview
    /// rolls back: where `Execute` inserts without a conflict check (nobody else can write
    /// those rows meanwhile), a row another transaction writes meanwhile — a run executing on
    /// the same contacts, say — is skipped instead of failing the preview.
    Rehearse,
    /// Change nothing: count, with the queries `Execute` writes from, what it would change.
    /// Exact for any spec that [`counts_exactly`] accepts, on unchanged data.
    Count,
}

/// Rows one statement writes. `source` selects them from `bulk_sel` (its column `id` is the
/// contact); `write` is the statement that writes exactly those rows, returning the contact as
/// `id`. Counting reads `source`; executing runs `write`.
pub(super) struct Part {
    source: Sql,
    write: Sql,
    /// What executing it records for an undo: its place in the run and what it changes (its
    /// `write` returns the columns [`Kind::log_select`] reads).
    log: Option<(i32, Kind)>,
}

impl Part {
    pub(super) fn new(source: Sql, write: impl FnOnce(&Sql) -> Sql) -> Part {
        let write = write(&source);
        Part { source, write, log: None }
    }

    pub(super) fn logged(mut self, seq: &mut i32, kind: Kind) -> Part {
        *seq += 1;
        self.log = Some((*seq, kind));
        self
    }

    /// Writes (or, counting, reads) the rows; marks their contacts in `bulk_changed`; returns
    /// how many rows, and how many distinct contacts when `contacts` asks (else 0).
    pub(super) fn run(&self, conn: &mut PgConnection, mode: Mode, contacts: bool) -> QueryResult<(i64, i64)> {
        let rows = match mode {
            Mode::Count => &self.source,
            Mode::Execute | Mode::Rehearse => &self.write,
        };
        let mut q = sql!("WITH ch AS (", rows, "), mark AS (INSERT INTO bulk_changed SELECT id FROM ch)");
        // Executed, what it changed goes to `bulk_log` too (see [`super::undo`]; a rehearsal is
        // rolled back and never undone).
        if let (Mode::Execute, Some((seq, kind))) = (mode, &self.log) {
            q = sql!(
                q,
                ", log AS (INSERT INTO bulk_log (seq, kind, user_id, read_only, tag, group_id, after_user_id, ids, lo, hi) \
                 SELECT ",
                *seq,
                ", x.* FROM (",
                kind.log_select(),
                ") x)"
            );
        }
        #[derive(QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            contacts: i64,
        }
        q.push(if contacts {
            " SELECT count(*) AS n, count(DISTINCT id) AS contacts FROM ch"
        } else {
            " SELECT count(*) AS n, 0::bigint AS contacts FROM ch"
        });
        let c = q.query().get_result::<Counts>(conn)?;
        Ok((c.n, c.contacts))
    }
}

/// A count of contacts an action leaves alone, and why.
pub(super) struct Tally {
    pub(super) why: String,
    how: How,
}

enum How {
    /// A `SELECT count(*) AS n` over `bulk_sel`, read before the step writes.
    Counted(Sql),
    /// What the step leaves of the rows counted by this query: those less the ones it changed
    /// and its counted reasons (where they partition the rows, this reads them once instead of
    /// twice). The query must not read what the step writes.
    Rest(Sql),
    /// The same in contacts, for a step that writes several rows per contact (tags): what it
    /// leaves of the contacts counted is those less the distinct contacts it changed (its
    /// parts' counts added up: they must write disjoint contacts).
    RestOfContacts(Sql),
}

impl Tally {
    pub(super) fn new(why: String, sql: Sql) -> Tally {
        Tally { why, how: How::Counted(sql) }
    }

    pub(super) fn rest(why: String, of: Sql) -> Tally {
        Tally { why, how: How::Rest(of) }
    }

    pub(super) fn rest_of_contacts(why: String, of: Sql) -> Tally {
        Tally { why, how: How::RestOfContacts(of) }
    }

    /// Whether the step must count the distinct contacts it changes for this tally.
    pub(super) fn by_contacts(&self) -> bool {
        matches!(self.how, How::RestOfContacts(_))
    }

    /// The counted tally, before the step writes (`None` for the rest).
    pub(super) fn count(&self, conn: &mut PgConnection) -> QueryResult<Option<i64>> {
        match &self.how {
            How::Counted(q) => Ok(Some(q.query().get_result::<Count>(conn)?.n)),
            How::Rest(_) | How::RestOfContacts(_) => Ok(None),
        }
    }

    /// The rest, once the step has changed `rows` rows of `contacts` contacts and counted
    /// `counted` others.
    pub(super) fn rest_after(
        &self,
        conn: &mut PgConnection,
        (rows, contacts): (i64, i64),
        counted: i64,
    ) -> QueryResult<Option<i64>> {
        let (q, changed) = match &self.how {
            How::Counted(_) => return Ok(None),
            How::Rest(q) => (q, rows),
            How::RestOfContacts(q) => (q, contacts),
        };
        Ok(Some(q.query().get_result::<Count>(conn)?.n - changed - counted))
    }
}

/// One action: its label, the contacts it leaves alone and why (each editable contact is
/// either changed or in exactly one of these), the parts whose rows it counts as its changes,
/// and parts that touch contacts without counting as changes of their own.
pub(super) struct Step {
    pub(super) label: String,
    pub(super) skipped: Vec<Tally>,
    pub(super) parts: Vec<Part>,
    pub(super) touches: Vec<Part>,
}

/// What one statement of a run changed, as recorded for its undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A co-owner row inserted (user, read-only flag as added).
    CoOwnerAdded,
    /// An existing co-owner row's read-only flag changed (recorded as `co_owner_flag`, with the
    /// flag it had).
    CoOwnerFlag,
    /// A co-owner row deleted (user, read-only flag it had).
    CoOwnerRemoved,
    /// The main owner replaced (before, after).
    MainOwner,
    TagAdded,
    GroupAdded,
    GroupRemoved,
}

impl Kind {
    /// The log rows of a part's changes `ch`: (kind, user_id, read_only, tag, group_id,
    /// after_user_id, ids, lowest id, highest id). `ch` has the columns the part's write returns.
    pub(super) fn log_select(self) -> &'static str {
        match self {
            Kind::CoOwnerAdded => {
                "SELECT 'co_owner_added', u, ro, NULL::text, NULL::bigint, NULL::bigint, array_agg(id), min(id), max(id) FROM ch GROUP BY u, ro"
            }
            Kind::CoOwnerFlag => {
                "SELECT 'co_owner_flag', u, NOT ro, NULL::text, NULL::bigint, NULL::bigint, array_agg(id), min(id), max(id) FROM ch GROUP BY u, ro"
            }
            Kind::CoOwnerRemoved => {
                "SELECT 'co_owner_removed', u, ro, NULL::text, NULL::bigint, NULL::bigint, array_agg(id), min(id), max(id) FROM ch GROUP BY u, ro"
            }
            Kind::MainOwner => {
                "SELECT 'main_owner', was, NULL::boolean, NULL::text, NULL::bigint, now, array_agg(id), min(id), max(id) FROM ch GROUP BY was, now"
            }
            Kind::TagAdded => {
                "SELECT 'tag_added', NULL::bigint, NULL::boolean, tag, NULL::bigint, NULL::bigint, array_agg(id), min(id), max(id) FROM ch GROUP BY tag"
            }
            Kind::GroupAdded => {
                "SELECT 'group_added', NULL::bigint, NULL::boolean, NULL::text, g, NULL::bigint, array_agg(id), min(id), max(id) FROM ch GROUP BY g"
            }
            Kind::GroupRemoved => {
                "SELECT 'group_removed', NULL::bigint, NULL::boolean, NULL::text, g, NULL::bigint, array_agg(id), min(id), max(id) FROM ch GROUP BY g"
            }
        }
    }
}
