//! SPEC section 3 as SQL: the contacts a user reaches at a given level, as a WHERE predicate
//! over `contacts c`. Each access path is its own indexed look-up, combined with UNION (one OR
//! over EXISTS sub-queries would scan the whole table).
//!
//! The fragment embeds only the user's numeric id and fixed literals, never user input.

use super::level::Level;
use super::rules::Subject;
use crate::permissions::Perm;

/// Rule 2: main owner or co-owner (a read-only co-owner only reaches view).
fn owned(uid: i64, min: Level) -> String {
    let writable = if min > Level::View { " AND NOT read_only" } else { "" };
    format!(
        "SELECT id FROM contacts WHERE main_owner_id = {uid} \
         UNION SELECT contact_id FROM contact_owners WHERE user_id = {uid}{writable}"
    )
}

/// Rules 3 and 4: team manager and access-group grants (any level for rule 3: it gives act).
fn shared(uid: i64, min: Level) -> String {
    let levels = min.grant_levels_at_least().iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(",");
    format!(
        "SELECT c2.id FROM teams t JOIN team_members tm ON tm.team_id = t.id \
           JOIN contacts c2 ON c2.main_owner_id = tm.user_id WHERE t.manager_id = {uid} \
         UNION SELECT co.contact_id FROM teams t JOIN team_members tm ON tm.team_id = t.id \
           JOIN contact_owners co ON co.user_id = tm.user_id AND NOT co.read_only WHERE t.manager_id = {uid} \
         UNION SELECT cag.contact_id FROM access_group_grants g \
           JOIN contact_access_groups cag ON cag.group_id = g.group_id \
           WHERE g.level IN ({levels}) AND (g.user_id = {uid} \
             OR g.team_id IN (SELECT team_id FROM team_members WHERE user_id = {uid}))"
    )
}

/// A boolean SQL expression over the alias `c` (a row of `contacts`): true exactly when
/// `rules::decide(subject, c).level >= min`.
pub fn reaches(s: &Subject, min: Level) -> String {
    let uid = s.user_id;
    let min = min.max(Level::View);
    if !s.active {
        return "FALSE".into();
    }
    if s.only_owned {
        return format!("c.id IN ({})", owned(uid, min));
    }
    if s.perms.contains(Perm::ContactsAll) {
        // Rule 1 gives act on everything; only confidentiality can take a contact away.
        return if s.administrator {
            "TRUE".into()
        } else {
            format!("(NOT c.confidential OR c.id IN ({}))", owned(uid, min))
        };
    }
    if s.administrator {
        format!("c.id IN ({} UNION {})", owned(uid, min), shared(uid, min))
    } else {
        // Confidential contacts are reachable through ownership only.
        format!(
            "c.id IN ({} UNION (({}) EXCEPT SELECT id FROM contacts WHERE confidential))",
            owned(uid, min),
            shared(uid, min)
        )
    }
}

/// The ids, newest first, of at most `n` contacts that `s` reaches at `min` and that satisfy
/// `conditions` (`AND …` over `c`), without building the whole visible set: every access path
/// becomes an index scan in id order that stops after `n` rows, and the union of each path's
/// newest `n` holds the newest `n` of the union. Agrees with [`reaches`] (property-tested).
pub fn newest_ids(
    conn: &mut diesel::PgConnection,
    s: &Subject,
    min: Level,
    conditions: &crate::db::sql::Sql,
    n: i64,
) -> diesel::QueryResult<Vec<i64>> {
    use crate::db::sql::{Bind, Sql};
    use diesel::prelude::*;
    let uid = s.user_id;
    let min = min.max(Level::View);
    if !s.active || n <= 0 {
        return Ok(Vec::new());
    }
    let limit = |q: &mut Sql, order: &str| {
        q.push(&format!(" ORDER BY {order} DESC LIMIT ")).bind(Bind::I64(n));
    };
    let branch = |from_where: String, order: &str| {
        let mut q = Sql::new(&format!("(SELECT c.id FROM {from_where}"));
        q.append(conditions);
        limit(&mut q, order);
        q.push(")");
        q
    };
    if s.perms.contains(Perm::ContactsAll) && !s.only_owned {
        let mut q = Sql::new(&format!("SELECT c.id FROM contacts c WHERE {}", reaches(s, min)));
        q.append(conditions);
        limit(&mut q, "c.id");
        return Ok(q.query().load::<IdRow>(conn)?.into_iter().map(|r| r.id).collect());
    }
    let writable = if min > Level::View { " AND NOT co.read_only" } else { "" };
    let mut branches = vec![
        branch(format!("contacts c WHERE c.main_owner_id = {uid}"), "c.id"),
        branch(
            format!("contact_owners co JOIN contacts c ON c.id = co.contact_id WHERE co.user_id = {uid}{writable}"),
            "co.contact_id",
        ),
    ];
    if !s.only_owned {
        let conf = if s.administrator { "" } else { " AND NOT c.confidential" };
        let members: Vec<i64> = diesel::sql_query(format!(
            "SELECT DISTINCT tm.user_id AS id FROM teams t JOIN team_members tm ON tm.team_id = t.id WHERE t.manager_id = {uid}"
        ))
        .load::<IdRow>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect();
        let levels = min.grant_levels_at_least().iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(",");
        let groups: Vec<i64> = diesel::sql_query(format!(
            "SELECT DISTINCT g.group_id AS id FROM access_group_grants g WHERE g.level IN ({levels}) \
             AND (g.user_id = {uid} OR g.team_id IN (SELECT team_id FROM team_members WHERE user_id = {uid}))"
        ))
        .load::<IdRow>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect();
        for m in members {
            branches.push(branch(format!("contacts c WHERE c.main_owner_id = {m}{conf}"), "c.id"));
            branches.push(branch(
                format!("contact_owners co JOIN contacts c ON c.id = co.contact_id WHERE co.user_id = {m} AND NOT co.read_only{conf}"),
                "co.contact_id",
            ));
        }
        for g in groups {
            branches.push(branch(
                format!(
                    "contact_access_groups cag JOIN contacts c ON c.id = cag.contact_id WHERE cag.group_id = {g}{conf}"
                ),
                "cag.contact_id",
            ));
        }
    }
    let mut q = Sql::new("SELECT DISTINCT id FROM (");
    for (i, b) in branches.iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ");
        }
        q.append(b);
    }
    q.push(") x ORDER BY id DESC LIMIT ").bind(Bind::I64(n));
    Ok(q.query().load::<IdRow>(conn)?.into_iter().map(|r| r.id).collect())
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
