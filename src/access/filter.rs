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
