//! What a bulk run did (or, previewed, would do): the counts, the reasons for what it left
//! alone, and a before → after sample of a few contacts.

use crate::db::sql::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An owner/tags/groups snapshot of one contact, for the before → after sample.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub main_owner: Option<String>,
    pub co_owners: Vec<String>,
    pub tags: Vec<String>,
    pub groups: Vec<String>,
}

#[derive(Serialize, Deserialize)]
pub struct SampleRow {
    pub id: i64,
    pub name: String,
    pub before: State,
    pub after: State,
}

impl SampleRow {
    /// Which lines of the sample differ, to highlight them: (main owner, co-owners, tags, groups).
    pub fn changed(&self) -> (bool, bool, bool, bool) {
        let (b, a) = (&self.before, &self.after);
        (b.main_owner != a.main_owner, b.co_owners != a.co_owners, b.tags != a.tags, b.groups != a.groups)
    }
}

/// What a run did (or, for a preview, would do).
#[derive(Default, Serialize, Deserialize)]
pub struct Report {
    pub matched: i64,
    pub editable: i64,
    /// (reason, contacts) of everything left alone.
    pub skipped: Vec<(String, i64)>,
    /// (action, rows changed).
    pub changes: Vec<(String, i64)>,
    /// Distinct contacts changed.
    pub changed: i64,
    /// Their ids (after an execution; a preview only counts them). Kept in the audit entry,
    /// not in the stored report.
    #[serde(skip)]
    pub changed_ids: Vec<i64>,
    /// Changed contacts the user no longer sees once the run is done (the run removed the
    /// owner or group that gave them access): said before the run and after it.
    pub lost_sight: i64,
    /// Previews only (stored with the preview, for its page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample: Vec<SampleRow>,
}

/// Owner/tag/group state of a few contacts (five queries, whatever their number).
pub fn states(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<BTreeMap<i64, (String, State)>> {
    #[derive(QueryableByName)]
    struct KV {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        v: String,
    }
    // Each query: (text up to the contact ids, text after them), and where its values go.
    type Put = fn(&mut State, String);
    const QUERIES: [(&str, &str, Put); 4] = [
        (
            "SELECT c.id, u.email AS v FROM contacts c JOIN users u ON u.id = c.main_owner_id WHERE c.id = ANY(",
            ")",
            |s, v| s.main_owner = Some(v),
        ),
        (
            "SELECT o.contact_id AS id, u.email || CASE WHEN o.read_only THEN ' (read-only)' ELSE '' END AS v \
             FROM contact_owners o JOIN users u ON u.id = o.user_id WHERE o.contact_id = ANY(",
            ") ORDER BY 2",
            |s, v| s.co_owners.push(v),
        ),
        ("SELECT contact_id AS id, tag AS v FROM contact_tags WHERE contact_id = ANY(", ") ORDER BY tag", |s, v| {
            s.tags.push(v)
        }),
        (
            "SELECT a.contact_id AS id, g.name AS v FROM contact_access_groups a \
             JOIN access_groups g ON g.id = a.group_id WHERE a.contact_id = ANY(",
            ") ORDER BY g.name",
            |s, v| s.groups.push(v),
        ),
    ];
    let names: Vec<KV> = sql!(
        "SELECT id, trim(first_name || ' ' || last_name || ' ' || coalesce('<' || email || '>', '')) AS v \
         FROM contacts WHERE id = ANY(",
        ids,
        ")"
    )
    .query()
    .load(conn)?;
    let mut out: BTreeMap<i64, (String, State)> = names.into_iter().map(|r| (r.id, (r.v, State::default()))).collect();
    for (head, tail, put) in QUERIES {
        for r in sql!(head, ids, tail).query().load::<KV>(conn)? {
            if let Some(e) = out.get_mut(&r.id) {
                put(&mut e.1, r.v)
            }
        }
    }
    Ok(out)
}
