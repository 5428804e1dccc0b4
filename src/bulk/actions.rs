//! The statements of each bulk action: for every action, the rows it writes as a `source`
//! query and the statement that writes them (see [`super::run`] for how they run).

use super::spec::Spec;
use super::undo::Kind;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};

#[derive(QueryableByName)]
pub(super) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(super) n: i64,
}

/// How [`super::run::apply`] runs the actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Change the data.
    Execute,
    /// Change nothing: count, with the queries `Execute` writes from, what it would change.
    /// Exact for any spec that [`counts_exactly`] accepts, on unchanged data.
    Count,
}

/// Whether [`Mode::Count`] gives exactly what [`Mode::Execute`] would do for `spec`. Each
/// action's rows are counted on the data as it is, except that "add co-owner" sees the main
/// owner "set main owner" gives; "remove owner" after another owner action depends on rows
/// those actions write, so such a spec is previewed by running it in a rolled-back savepoint.
pub fn counts_exactly(spec: &Spec) -> bool {
    // An undo's steps read what earlier ones restore: previewed by running it, rolled back.
    spec.undo.is_none()
        && (spec.remove_owner.is_none() || (spec.set_main_owner.is_none() && spec.add_co_owner.is_none()))
}

/// Rows one statement writes. `source` selects them from `bulk_sel` (its column `id` is the
/// contact); `write` is the statement that writes exactly those rows, returning the contact as
/// `id`. Counting reads `source`; executing runs `write`.
pub(super) struct Part {
    source: String,
    write: String,
    /// Bound as `$1 text[]` when set (the tags).
    tags: Option<Vec<String>>,
    /// What executing it records for an undo: its place in the run and what it changes (its
    /// `write` returns the columns [`Kind::log_select`] reads).
    log: Option<(i32, Kind)>,
}

impl Part {
    pub(super) fn new(source: String, write: impl FnOnce(&str) -> String) -> Part {
        let write = write(&source);
        Part { source, write, tags: None, log: None }
    }

    fn logged(mut self, seq: &mut i32, kind: Kind) -> Part {
        *seq += 1;
        self.log = Some((*seq, kind));
        self
    }

    /// Writes (or, counting, reads) the rows; marks their contacts in `bulk_changed`; returns
    /// how many rows.
    pub(super) fn run(&self, conn: &mut PgConnection, mode: Mode) -> QueryResult<i64> {
        let rows = match mode {
            Mode::Count => &self.source,
            Mode::Execute => &self.write,
        };
        // Executed, what it changed goes to `bulk_log` too (see [`super::undo`]).
        let log = match (mode, &self.log) {
            (Mode::Execute, Some((seq, kind))) => format!(
                ", log AS (INSERT INTO bulk_log (seq, kind, user_id, read_only, tag, group_id, after_user_id, ids, lo, hi) \
                 SELECT {seq}, x.* FROM ({}) x)",
                kind.log_select()
            ),
            _ => String::new(),
        };
        let q = diesel::sql_query(format!(
            "WITH ch AS ({rows}), mark AS (INSERT INTO bulk_changed SELECT id FROM ch){log} SELECT count(*) AS n FROM ch"
        ));
        Ok(match &self.tags {
            Some(t) => q.bind::<Array<Text>, _>(t.clone()).get_result::<Count>(conn)?.n,
            None => q.get_result::<Count>(conn)?.n,
        })
    }
}

/// A count of contacts an action leaves alone, and why: `sql` is a `SELECT count(*) AS n`
/// over `bulk_sel` (with the tags bound as `$1 text[]` when `tags` is set).
pub(super) struct Tally {
    pub(super) why: String,
    sql: String,
    tags: Option<Vec<String>>,
}

impl Tally {
    pub(super) fn new(why: String, sql: String) -> Tally {
        Tally { why, sql, tags: None }
    }

    pub(super) fn count(&self, conn: &mut PgConnection) -> QueryResult<i64> {
        let q = diesel::sql_query(&self.sql);
        Ok(match &self.tags {
            Some(t) => q.bind::<Array<Text>, _>(t.clone()).get_result::<Count>(conn)?.n,
            None => q.get_result::<Count>(conn)?.n,
        })
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

/// The steps of `spec`, in the order they run. `mode` matters only where one action reads what
/// an earlier one writes: counted, "add co-owner" sees the main owner "set main owner" sets.
pub(super) fn steps(spec: &Spec, mode: Mode) -> Vec<Step> {
    if let Some(undo) = &spec.undo {
        return super::undo::steps(undo);
    }
    let sel = "FROM bulk_sel s JOIN contacts c ON c.id = s.id";
    let mut out = Vec::new();
    // Numbers the logged parts in the order they run (an undo runs them backwards).
    let seq = &mut 0;
    if let Some((u, email)) = &spec.set_main_owner {
        // Nobody is silently removed: the main owner it displaces stays a (writable) co-owner
        // (runs first, while the old main owner is still on the row).
        out.push(Step {
            label: "Displaced main owners kept as co-owners".into(),
            skipped: vec![],
            parts: vec![Part::new(
                format!(
                    "SELECT c.id {sel} WHERE c.main_owner_id IS NOT NULL AND c.main_owner_id <> {u} AND NOT EXISTS \
                     (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = c.main_owner_id)"
                ),
                |src| {
                    format!(
                        "INSERT INTO contact_owners (contact_id, user_id, read_only) \
                         SELECT c.id, c.main_owner_id, FALSE FROM contacts c WHERE c.id IN ({src}) \
                         ON CONFLICT (contact_id, user_id) DO NOTHING \
                         RETURNING contact_id AS id, user_id AS u, read_only AS ro"
                    )
                },
            )
            .logged(seq, Kind::CoOwnerAdded)],
            touches: vec![],
        });
        // The new main owner stops being a co-owner. It runs after the main owner is set, but
        // is numbered before it: its undo (the co-owner row back) must come after the old main
        // owner is back, or the contact would have the same user as main owner and co-owner.
        let folded = Part::new(
            format!("SELECT co.contact_id AS id FROM contact_owners co JOIN bulk_sel s ON s.id = co.contact_id WHERE co.user_id = {u}"),
            |src| {
                format!(
                    "DELETE FROM contact_owners WHERE user_id = {u} AND contact_id IN ({src}) \
                     RETURNING contact_id AS id, user_id AS u, read_only AS ro"
                )
            },
        )
        .logged(seq, Kind::CoOwnerRemoved);
        out.push(Step {
            label: format!("Main owner set to {email}"),
            skipped: vec![Tally::new(
                format!("{email} is already the main owner"),
                format!("SELECT count(*) AS n {sel} WHERE c.main_owner_id = {u}"),
            )],
            // (Joined with itself, the row as it was: the main owner it replaces, for an undo.)
            parts: vec![Part::new(format!("SELECT c.id {sel} WHERE c.main_owner_id IS DISTINCT FROM {u}"), |src| {
                format!(
                    "UPDATE contacts c SET main_owner_id = {u}, updated_at = now() FROM contacts o \
                     WHERE o.id = c.id AND c.id IN ({src}) RETURNING c.id AS id, o.main_owner_id AS was, c.main_owner_id AS now"
                )
            })
            .logged(seq, Kind::MainOwner)],
            touches: vec![folded],
        });
    }
    if let Some((v, email, ro)) = &spec.add_co_owner {
        // "The contact's main owner is {v}", as the statement will find it. (An EXISTS on the
        // main-owner index, not a join: that would read every contact to find a few.)
        let is_main = match (&spec.set_main_owner, mode) {
            (Some((u, _)), Mode::Count) => format!("({u} = {v})"),
            _ => format!("EXISTS (SELECT 1 FROM contacts m WHERE m.id = s.id AND m.main_owner_id = {v})"),
        };
        // Counted, a main owner {v} that "set main owner" displaces is already the writable
        // co-owner it will be kept as (executed, the statement finds that row).
        let (kept_as_writable, kept_as_writable_or) = match (&spec.set_main_owner, mode) {
            (Some((u, _)), Mode::Count) if u != v && !*ro => {
                let kept = format!("EXISTS (SELECT 1 FROM contacts m WHERE m.id = s.id AND m.main_owner_id = {v})");
                (format!(" AND NOT {kept}"), format!(" OR {kept}"))
            }
            _ => (String::new(), String::new()),
        };
        out.push(Step {
            label: format!("Co-owner {email} added{}", if *ro { " (read-only)" } else { "" }),
            skipped: vec![
                Tally::new(
                    format!("{email} is already the main owner"),
                    format!("SELECT count(*) AS n FROM bulk_sel s WHERE {is_main}"),
                ),
                Tally::new(
                    format!("{email} is already a co-owner{}", if *ro { " (read-only)" } else { " who can edit" }),
                    format!(
                        "SELECT count(*) AS n FROM bulk_sel s WHERE NOT {is_main} AND (EXISTS \
                         (SELECT 1 FROM contact_owners o WHERE o.contact_id = s.id AND o.user_id = {v} AND o.read_only = {ro}){kept_as_writable_or})"
                    ),
                ),
            ],
            parts: vec![Part::new(
                format!(
                    "SELECT s.id FROM bulk_sel s WHERE NOT {is_main} AND NOT EXISTS \
                     (SELECT 1 FROM contact_owners o WHERE o.contact_id = s.id AND o.user_id = {v} AND o.read_only = {ro}){kept_as_writable}"
                ),
                |src| {
                    format!(
                        "INSERT INTO contact_owners (contact_id, user_id, read_only) SELECT id, {v}, {ro} FROM ({src}) src \
                         ON CONFLICT (contact_id, user_id) DO UPDATE SET read_only = EXCLUDED.read_only \
                         WHERE contact_owners.read_only IS DISTINCT FROM EXCLUDED.read_only \
                         RETURNING contact_id AS id, user_id AS u, read_only AS ro, (xmax = 0) AS inserted"
                    )
                },
            )
            .logged(seq, Kind::CoOwnerSet)],
            touches: vec![],
        });
    }
    if let Some((x, email)) = &spec.remove_owner {
        let keeps_other = format!(
            "((c.main_owner_id IS NOT NULL AND c.main_owner_id <> {x}) \
              OR EXISTS (SELECT 1 FROM contact_owners o2 WHERE o2.contact_id = c.id AND o2.user_id <> {x}))"
        );
        out.push(Step {
            label: format!("Owner {email} removed"),
            skipped: vec![
                Tally::new(
                    format!("removing {email} would leave no owner"),
                    format!(
                        "SELECT count(*) AS n {sel} WHERE (c.main_owner_id = {x} OR EXISTS \
                         (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = {x})) AND NOT {keeps_other}"
                    ),
                ),
                Tally::new(
                    format!("{email} is not an owner"),
                    format!(
                        "SELECT count(*) AS n {sel} WHERE c.main_owner_id IS DISTINCT FROM {x} AND NOT EXISTS \
                         (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = {x})"
                    ),
                ),
            ],
            parts: vec![
                Part::new(
                    format!(
                        "SELECT c.id {sel} WHERE EXISTS (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id \
                         AND o.user_id = {x}) AND {keeps_other}"
                    ),
                    |src| {
                        format!(
                            "DELETE FROM contact_owners WHERE user_id = {x} AND contact_id IN ({src}) \
                             RETURNING contact_id AS id, user_id AS u, read_only AS ro"
                        )
                    },
                )
                .logged(seq, Kind::CoOwnerRemoved),
                // Runs after the co-owner rows of {x} are gone, which this condition ignores.
                Part::new(
                    format!(
                        "SELECT c.id {sel} WHERE c.main_owner_id = {x} AND EXISTS \
                         (SELECT 1 FROM contact_owners o2 WHERE o2.contact_id = c.id AND o2.user_id <> {x})"
                    ),
                    |src| {
                        format!(
                            "UPDATE contacts SET main_owner_id = NULL, updated_at = now() WHERE id IN ({src}) \
                             RETURNING id, {x}::bigint AS was, NULL::bigint AS now"
                        )
                    },
                )
                .logged(seq, Kind::MainOwner),
            ],
            touches: vec![],
        });
    }
    if !spec.tags.is_empty() {
        let mut part = Part::new(
            // `x.tag = ANY($1)` says nothing new, but lets the planner read only these tags'
            // rows (tag index) instead of hashing the whole table.
            "SELECT s.id, t.tag FROM bulk_sel s CROSS JOIN unnest($1::text[]) AS t(tag) WHERE NOT EXISTS \
             (SELECT 1 FROM contact_tags x WHERE x.contact_id = s.id AND x.tag = t.tag AND x.tag = ANY($1::text[]))"
                .to_string(),
            |src| {
                format!(
                    "INSERT INTO contact_tags (contact_id, tag) SELECT id, tag FROM ({src}) src \
                     ON CONFLICT DO NOTHING RETURNING contact_id AS id, tag"
                )
            },
        )
        .logged(seq, Kind::TagAdded);
        part.tags = Some(spec.tags.clone());
        out.push(Step {
            label: format!("Tags {} added", spec.tags.join(", ")),
            skipped: vec![Tally {
                why: format!("already tagged {}", spec.tags.join(", ")),
                sql:
                    "SELECT count(*) AS n FROM bulk_sel s WHERE NOT EXISTS (SELECT 1 FROM unnest($1::text[]) AS t(tag) \
                      WHERE NOT EXISTS (SELECT 1 FROM contact_tags x WHERE x.contact_id = s.id AND x.tag = t.tag))"
                        .to_string(),
                tags: Some(spec.tags.clone()),
            }],
            parts: vec![part],
            touches: vec![],
        });
    }
    if let Some((g, name)) = &spec.add_group {
        out.push(Step {
            label: format!("Added to access group {name}"),
            skipped: vec![Tally::new(
                format!("already in access group {name}"),
                format!(
                    "SELECT count(*) AS n FROM bulk_sel s WHERE EXISTS \
                     (SELECT 1 FROM contact_access_groups a WHERE a.contact_id = s.id AND a.group_id = {g})"
                ),
            )],
            parts: vec![Part::new(
                format!(
                    "SELECT s.id FROM bulk_sel s WHERE NOT EXISTS \
                     (SELECT 1 FROM contact_access_groups a WHERE a.contact_id = s.id AND a.group_id = {g})"
                ),
                |src| {
                    format!(
                        "INSERT INTO contact_access_groups (contact_id, group_id) SELECT id, {g} FROM ({src}) src \
                         ON CONFLICT DO NOTHING RETURNING contact_id AS id, group_id AS g"
                    )
                },
            )
            .logged(seq, Kind::GroupAdded)],
            touches: vec![],
        });
    }
    if let Some((g, name)) = &spec.remove_group {
        out.push(Step {
            label: format!("Removed from access group {name}"),
            skipped: vec![Tally::new(
                format!("not in access group {name}"),
                format!(
                    "SELECT count(*) AS n FROM bulk_sel s WHERE NOT EXISTS \
                     (SELECT 1 FROM contact_access_groups a WHERE a.contact_id = s.id AND a.group_id = {g})"
                ),
            )],
            parts: vec![Part::new(
                format!(
                    "SELECT a.contact_id AS id FROM contact_access_groups a JOIN bulk_sel s ON s.id = a.contact_id \
                     WHERE a.group_id = {g}"
                ),
                |src| {
                    format!(
                        "DELETE FROM contact_access_groups WHERE group_id = {g} AND contact_id IN ({src}) \
                         RETURNING contact_id AS id, group_id AS g"
                    )
                },
            )
            .logged(seq, Kind::GroupRemoved)],
            touches: vec![],
        });
    }
    out
}
