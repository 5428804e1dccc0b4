//! The statements of each bulk action: for every action, the rows it writes as a `source`
//! query and the statement that writes them (see [`super::run`] for how they run, and
//! [`super::step`] for what a step is made of).

use super::spec::Spec;
use super::step::{Kind, Mode, Part, Step, Tally};
use crate::contacts::owners::{self, Existing};
use crate::db::sql::sql;
use crate::db::sql::{Bind, Sql};

/// Whether [`Mode::Count`] gives exactly what [`Mode::Execute`] would do for `spec`. Each
/// action's rows are counted on the data as it is, except that "add co-owner" sees the main
/// owner "set main owner" gives; "remove owner" after another owner action depends on rows
/// those actions write, so such a spec is previewed by running it in a rolled-back savepoint.
pub fn counts_exactly(spec: &Spec) -> bool {
    // An undo's steps read what earlier ones restore: previewed by running it, rolled back.
    spec.undo.is_none()
        && (spec.remove_owner.is_none() || (spec.set_main_owner.is_none() && spec.add_co_owner.is_none()))
}

/// Whether no action of `spec` can take a contact out of its user's sight, so a preview may
/// count instead of rehearsing (counting cannot tell who loses sight). Removing an owner or a
/// group can; so can making a co-owner read-only (a team manager reaches their member's contact
/// only while the member can edit it: SPEC 3 rule 3). A new main owner keeps the one it
/// displaces as a writable co-owner, and tags change no access.
pub fn hides_nothing(spec: &Spec) -> bool {
    spec.remove_owner.is_none() && spec.remove_group.is_none() && !matches!(spec.add_co_owner, Some((_, _, true)))
}

/// The selected contacts with their rows.
const SEL: &str = "FROM bulk_sel s JOIN contacts c ON c.id = s.id";

/// The contacts of `ids` with their main owner, as [`owners`] statements take them (the run
/// has locked every contact of the selection).
fn locked(ids: &Sql) -> Sql {
    sql!("SELECT c.id, c.main_owner_id AS was FROM contacts c WHERE c.id IN (", ids, ")")
}

/// The steps of `spec`'s actions, in the order they run. `mode` matters only where one action
/// reads what an earlier one writes: counted, "add co-owner" sees the main owner "set main
/// owner" sets.
pub(super) fn steps(spec: &Spec, mode: Mode) -> Vec<Step> {
    let mut out = Vec::new();
    // Numbers the logged parts in the order they run (an undo runs them backwards).
    let seq = &mut 0;
    // Whether the contacts are locked: then the inserts need no conflict check (see `Mode`).
    let (conflict, absent) = match mode {
        Mode::Execute => ("", Existing::Absent),
        Mode::Count | Mode::Rehearse => (" ON CONFLICT DO NOTHING", Existing::Keep),
    };
    if let Some((u, email)) = &spec.set_main_owner {
        let u = *u;
        // Nobody is silently removed: the main owner it displaces stays a (writable) co-owner
        // (runs first, while the old main owner is still on the row).
        out.push(Step {
            label: "Displaced main owners kept as co-owners".into(),
            skipped: vec![],
            parts: vec![Part::new(
                sql!(
                    "SELECT c.id ",
                    SEL,
                    " WHERE c.main_owner_id IS NOT NULL AND c.main_owner_id <> ",
                    u,
                    " AND NOT EXISTS \
                     (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = c.main_owner_id)"
                ),
                |src| owners::keep_displaced(&locked(src)),
            )
            .logged(seq, Kind::CoOwnerAdded)],
            touches: vec![],
        });
        // The new main owner stops being a co-owner. It runs after the main owner is set, but
        // is numbered before it: its undo (the co-owner row back) must come after the old main
        // owner is back, or the contact would have the same user as main owner and co-owner.
        let folded = Part::new(
            sql!(
                "SELECT co.contact_id AS id FROM contact_owners co JOIN bulk_sel s ON s.id = co.contact_id WHERE co.user_id = ",
                u
            ),
            |src| owners::fold_into_main(src, u),
        )
        .logged(seq, Kind::CoOwnerRemoved);
        out.push(Step {
            label: format!("Main owner set to {email}"),
            skipped: vec![Tally::new(
                format!("{email} is already the main owner"),
                sql!("SELECT count(*) AS n ", SEL, " WHERE c.main_owner_id = ", u),
            )],
            // (`was`, the main owner it replaces, goes to the undo's record.)
            parts: vec![Part::new(sql!("SELECT c.id ", SEL, " WHERE c.main_owner_id IS DISTINCT FROM ", u), |src| {
                owners::replace_main_owner(&locked(src), u)
            })
            .logged(seq, Kind::MainOwner)],
            touches: vec![folded],
        });
    }
    if let Some((v, email, ro)) = &spec.add_co_owner {
        let (v, ro, end) = (*v, *ro, spec.add_co_owner_end);
        // "The contact's main owner is {v}": as "set main owner" will leave it when counted; as
        // the statement finds it when executed. (An EXISTS on the main-owner index, not a join:
        // that would read every contact to find a few.)
        let main_is_v = || sql!("EXISTS (SELECT 1 FROM contacts m WHERE m.id = s.id AND m.main_owner_id = ", v, ")");
        let is_main = match (&spec.set_main_owner, mode) {
            (Some((u, _)), Mode::Count) => Sql::new(if *u == v { "TRUE" } else { "FALSE" }),
            _ => main_is_v(),
        };
        // Counted, a main owner {v} that "set main owner" displaces is already the writable
        // co-owner it will be kept as (executed, the statement finds that row).
        let kept_as_writable = match (&spec.set_main_owner, mode) {
            (Some((u, _)), Mode::Count) if *u != v && !ro => sql!(" AND NOT ", main_is_v()),
            _ => Sql::default(),
        };
        let has_row = sql!("EXISTS (SELECT 1 FROM contact_owners o WHERE o.contact_id = s.id AND o.user_id = ", v, ")");
        out.push(Step {
            label: format!("Co-owner {email} added{}", if ro { " (read-only)" } else { "" }),
            skipped: vec![
                Tally::new(
                    format!("{email} is already the main owner"),
                    sql!("SELECT count(*) AS n FROM bulk_sel s WHERE ", &is_main),
                ),
                // Every editable contact is the main owner, already such a co-owner, or changed.
                Tally::rest(
                    format!("{email} is already a co-owner{}", if ro { " (read-only)" } else { " who can edit" }),
                    Sql::new("SELECT count(*) AS n FROM bulk_sel"),
                ),
            ],
            // Two statements, each for its own rows: a plain insert where {v} has no row, and
            // the flag where they have the other one (an upsert checks every row for a
            // conflict: 0.15 s more on 100,000 contacts).
            parts: vec![
                Part::new(
                    sql!("SELECT s.id FROM bulk_sel s WHERE NOT ", &is_main, " AND NOT ", has_row, kept_as_writable),
                    move |src| owners::add_co_owners(src, v, ro, absent, end),
                )
                .logged(seq, Kind::CoOwnerAdded),
                Part::new(
                    sql!(
                        "SELECT o.contact_id AS id FROM contact_owners o JOIN bulk_sel s ON s.id = o.contact_id \
                         WHERE o.user_id = ",
                        v,
                        " AND o.read_only <> ",
                        ro,
                        " AND NOT ",
                        &is_main
                    ),
                    |src| owners::set_co_owner_flag(src, v, ro),
                )
                .logged(seq, Kind::CoOwnerFlag),
            ],
            touches: vec![],
        });
    }
    if let Some((x, email)) = &spec.remove_owner {
        let x = *x;
        let is_owner =
            || sql!("EXISTS (SELECT 1 FROM contact_owners o WHERE o.contact_id = c.id AND o.user_id = ", x, ")");
        let other_co_owner =
            || sql!("EXISTS (SELECT 1 FROM contact_owners o2 WHERE o2.contact_id = c.id AND o2.user_id <> ", x, ")");
        let keeps_other =
            sql!("((c.main_owner_id IS NOT NULL AND c.main_owner_id <> ", x, ") OR ", other_co_owner(), ")");
        out.push(Step {
            label: format!("Owner {email} removed"),
            skipped: vec![
                Tally::new(
                    format!("removing {email} would leave no owner"),
                    sql!(
                        "SELECT count(*) AS n ",
                        SEL,
                        " WHERE (c.main_owner_id = ",
                        x,
                        " OR ",
                        is_owner(),
                        ") AND NOT ",
                        &keeps_other
                    ),
                ),
                Tally::new(
                    format!("{email} is not an owner"),
                    sql!(
                        "SELECT count(*) AS n ",
                        SEL,
                        " WHERE c.main_owner_id IS DISTINCT FROM ",
                        x,
                        " AND NOT ",
                        is_owner()
                    ),
                ),
            ],
            parts: vec![
                Part::new(sql!("SELECT c.id ", SEL, " WHERE ", is_owner(), " AND ", &keeps_other), |src| {
                    owners::remove_co_owners(src, x)
                })
                .logged(seq, Kind::CoOwnerRemoved),
                // Runs after the co-owner rows of {x} are gone, which this condition ignores.
                Part::new(
                    sql!("SELECT c.id ", SEL, " WHERE c.main_owner_id = ", x, " AND ", other_co_owner()),
                    |src| owners::clear_main_owner(src, x),
                )
                .logged(seq, Kind::MainOwner),
            ],
            touches: vec![],
        });
    }
    if !spec.tags.is_empty() {
        let tags = || Bind::Texts(spec.tags.clone());
        let part = Part::new(
            // `x.tag = ANY(tags)` says nothing new, but lets the planner read only these tags'
            // rows (tag index) instead of hashing the whole table.
            sql!(
                "SELECT s.id, t.tag FROM bulk_sel s CROSS JOIN unnest(",
                tags(),
                "::text[]) AS t(tag) WHERE NOT EXISTS \
                 (SELECT 1 FROM contact_tags x WHERE x.contact_id = s.id AND x.tag = t.tag AND x.tag = ANY(",
                tags(),
                "::text[]))"
            ),
            |src| {
                // Executed, no ON CONFLICT: the source leaves out the tags a contact has, and
                // the run's lock on every contact makes any other write of its tags wait
                // (through the foreign key); a conflict check per row costs 0.3 s on 200,000.
                sql!(
                    "INSERT INTO contact_tags (contact_id, tag) SELECT id, tag FROM (",
                    src,
                    ") src",
                    conflict,
                    " RETURNING contact_id AS id, tag"
                )
            },
        )
        .logged(seq, Kind::TagAdded);
        out.push(Step {
            label: format!("Tags {} added", spec.tags.join(", ")),
            // Every editable contact gets at least one of the tags, or already has them all.
            skipped: vec![Tally::rest_of_contacts(
                format!("already tagged {}", spec.tags.join(", ")),
                Sql::new("SELECT count(*) AS n FROM bulk_sel"),
            )],
            parts: vec![part],
            touches: vec![],
        });
    }
    let in_group = |g: i64| {
        sql!("EXISTS (SELECT 1 FROM contact_access_groups a WHERE a.contact_id = s.id AND a.group_id = ", g, ")")
    };
    if let Some((g, name)) = &spec.add_group {
        let g = *g;
        out.push(Step {
            label: format!("Added to access group {name}"),
            skipped: vec![Tally::new(
                format!("already in access group {name}"),
                sql!("SELECT count(*) AS n FROM bulk_sel s WHERE ", in_group(g)),
            )],
            parts: vec![Part::new(sql!("SELECT s.id FROM bulk_sel s WHERE NOT ", in_group(g)), |src| {
                // (Executed, no ON CONFLICT, as for tags.)
                sql!(
                    "INSERT INTO contact_access_groups (contact_id, group_id) SELECT id, ",
                    g,
                    " FROM (",
                    src,
                    ") src",
                    conflict,
                    " RETURNING contact_id AS id, group_id AS g"
                )
            })
            .logged(seq, Kind::GroupAdded)],
            touches: vec![],
        });
    }
    if let Some((g, name)) = &spec.remove_group {
        let g = *g;
        out.push(Step {
            label: format!("Removed from access group {name}"),
            skipped: vec![Tally::new(
                format!("not in access group {name}"),
                sql!("SELECT count(*) AS n FROM bulk_sel s WHERE NOT ", in_group(g)),
            )],
            parts: vec![Part::new(
                sql!(
                    "SELECT a.contact_id AS id FROM contact_access_groups a JOIN bulk_sel s ON s.id = a.contact_id \
                     WHERE a.group_id = ",
                    g
                ),
                |src| {
                    sql!(
                        "DELETE FROM contact_access_groups WHERE group_id = ",
                        g,
                        " AND contact_id IN (",
                        src,
                        ") RETURNING contact_id AS id, group_id AS g"
                    )
                },
            )
            .logged(seq, Kind::GroupRemoved)],
            touches: vec![],
        });
    }
    out
}
