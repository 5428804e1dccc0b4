//! The contact record: fields, creation, edits with optimistic locking, deletion.

use crate::db::schema::{access_groups, contact_access_groups, contact_tags, contacts};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone, Serialize)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: i64,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub company: String,
    pub category: Option<String>,
    pub main_owner_id: Option<i64>,
    pub confidential: bool,
    pub version: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    pub fn display_name(&self) -> String {
        let n = format!("{} {}", self.first_name.trim(), self.last_name.trim());
        match (n.trim(), &self.email) {
            ("", Some(e)) => e.clone(),
            ("", None) => format!("Contact #{}", self.id),
            (n, _) => n.to_string(),
        }
    }

    /// Whether saving `f` would store exactly what the contact holds (a save that changes
    /// nothing is not an edit).
    pub fn holds(&self, f: &Fields) -> bool {
        FieldRow::from(&self.fields()) == FieldRow::from(f)
    }

    pub fn fields(&self) -> Fields {
        Fields {
            email: self.email.clone().unwrap_or_default(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            phone: self.phone.clone().unwrap_or_default(),
            company: self.company.clone(),
            category: self.category.clone().unwrap_or_default(),
        }
    }
}

/// The editable fields, as typed in a form.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Fields {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub category: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Fields {
    /// Labels and values, for "what changed" messages.
    pub fn pairs(&self) -> [(&'static str, &str); 6] {
        [
            ("Email", &self.email),
            ("First name", &self.first_name),
            ("Last name", &self.last_name),
            ("Phone", &self.phone),
            ("Company", &self.company),
            ("Category", &self.category),
        ]
    }

    /// Fields that differ between two versions: (label, this value, other value).
    /// A three-way merge after a conflict: where the editor left a field as it was when the
    /// form opened (`orig`), it takes the stored value (`current`); where they changed it, it
    /// keeps theirs. Saving the merged form never reverts another editor's change.
    pub fn merge(&self, orig: &Fields, current: &Fields) -> Fields {
        let pick = |mine: &str, was: &str, now: &str| if mine.trim() == was.trim() { now } else { mine }.to_string();
        Fields {
            email: pick(&self.email, &orig.email, &current.email),
            first_name: pick(&self.first_name, &orig.first_name, &current.first_name),
            last_name: pick(&self.last_name, &orig.last_name, &current.last_name),
            phone: pick(&self.phone, &orig.phone, &current.phone),
            company: pick(&self.company, &orig.company, &current.company),
            category: pick(&self.category, &orig.category, &current.category),
        }
    }

    pub fn differences(&self, other: &Fields) -> Vec<(&'static str, String, String)> {
        self.pairs()
            .iter()
            .zip(other.pairs().iter())
            .filter(|(a, b)| a.1.trim() != b.1.trim())
            .map(|(a, b)| (a.0, a.1.to_string(), b.1.to_string()))
            .collect()
    }
}

/// Checks the fields; `except` is the contact being edited (for the unique email check).
/// An email another contact holds is named as such only when `s`, the user, can see that
/// contact: a hidden contact's existence is not confirmed.
/// What is wrong with a contact's fields by the rules of SPEC 5, before any look-up: the one
/// place these rules live. The card, the CSV import and the public form each say it in their
/// own words (a field message, a rejected row's reason, a JSON error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    NoNameNorEmail,
    /// The email (trimmed) is not an address.
    BadEmail(String),
    /// The phone (trimmed) is not a number with its country code (`validation::Phone`, the
    /// rule users' phones follow too), and why.
    BadPhone(String, &'static str),
    /// A field (`first_name`, `last_name`, `company`, `category`, `phone`) is over its length.
    TooLong {
        field: &'static str,
        max: usize,
    },
}

impl FieldProblem {
    /// The field the problem is about.
    pub fn field(&self) -> &'static str {
        match self {
            FieldProblem::NoNameNorEmail => "first_name",
            FieldProblem::BadEmail(_) => "email",
            FieldProblem::BadPhone(..) => "phone",
            FieldProblem::TooLong { field, .. } => field,
        }
    }
}

/// Every problem of `f`, in field order.
pub fn field_problems(f: &Fields) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let email = f.email.trim();
    if email.is_empty() && f.first_name.trim().is_empty() && f.last_name.trim().is_empty() {
        out.push(FieldProblem::NoNameNorEmail);
    }
    if !email.is_empty() && crate::validation::Email::parse(email).is_err() {
        out.push(FieldProblem::BadEmail(email.to_string()));
    }
    if let Err(why) = crate::validation::Phone::parse(&f.phone) {
        out.push(FieldProblem::BadPhone(f.phone.trim().to_string(), why));
    }
    for (field, value, max) in [
        ("first_name", &f.first_name, 200),
        ("last_name", &f.last_name, 200),
        ("company", &f.company, 200),
        ("category", &f.category, 100),
        ("phone", &f.phone, 50),
    ] {
        if value.chars().count() > max {
            out.push(FieldProblem::TooLong { field, max });
        }
    }
    out
}

pub fn validate(
    conn: &mut PgConnection,
    s: &crate::access::Subject,
    f: &Fields,
    except: Option<i64>,
) -> QueryResult<crate::validation::FieldErrors> {
    let mut errors = crate::validation::FieldErrors::default();
    let problems = field_problems(f);
    for p in &problems {
        let message = match p {
            FieldProblem::NoNameNorEmail => "Give at least a name or an email address.".to_string(),
            FieldProblem::BadEmail(_) => "Enter a valid email address, like name@example.com.".to_string(),
            FieldProblem::BadPhone(_, why) => why.to_string(),
            FieldProblem::TooLong { max, .. } => format!("Keep this under {max} characters."),
        };
        errors.add(p.field(), message);
    }
    let email = f.email.trim();
    if !email.is_empty() && !problems.iter().any(|p| matches!(p, FieldProblem::BadEmail(_))) {
        if let Some(other) = find_by_email(conn, email)?.filter(|id| Some(*id) != except) {
            let visible = crate::access::facts::contact(conn, other)?
                .is_some_and(|cf| crate::access::rules::decide(s, &cf).level > crate::access::Level::None);
            errors.add(
                "email",
                if visible {
                    "Another contact already has this email address."
                } else {
                    "This email address cannot be used here. Choose another one."
                },
            );
        }
    }
    Ok(errors)
}

pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<i64>> {
    use crate::db::lower;
    contacts::table
        .filter(lower(contacts::email.assume_not_null()).eq(lower(email.trim())))
        .select(contacts::id)
        .first(conn)
        .optional()
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Contact> {
    contacts::table.find(id).select(Contact::as_select()).first(conn)
}

/// The stored form of the editable fields (trimmed; empty optional fields become NULL).
#[derive(Insertable, AsChangeset, PartialEq)]
#[diesel(table_name = contacts, treat_none_as_null = true)]
struct FieldRow {
    email: Option<String>,
    first_name: String,
    last_name: String,
    phone: Option<String>,
    company: String,
    category: Option<String>,
}

impl From<&Fields> for FieldRow {
    fn from(f: &Fields) -> FieldRow {
        FieldRow {
            email: opt(&f.email),
            first_name: f.first_name.trim().to_string(),
            last_name: f.last_name.trim().to_string(),
            phone: phone(&f.phone),
            company: f.company.trim().to_string(),
            category: opt(&f.category),
        }
    }
}

/// A phone as stored: E.164 (`+48600700800`) whatever spacing it was typed with, like users'
/// phones; `None` when empty. (Checked by [`field_problems`] before anything is stored.)
pub fn phone(typed: &str) -> Option<String> {
    match crate::validation::Phone::parse(typed) {
        Ok(p) => p.map(crate::validation::Phone::into_string),
        Err(_) => opt(typed),
    }
}

/// Inserts a contact whose main owner is its creator.
pub fn create(conn: &mut PgConnection, creator: i64, f: &Fields) -> QueryResult<Contact> {
    diesel::insert_into(contacts::table)
        .values((FieldRow::from(f), contacts::main_owner_id.eq(Some(creator)), contacts::created_by.eq(Some(creator))))
        .returning(Contact::as_returning())
        .get_result(conn)
}

/// Saves fields if the contact is still at `version`; `Ok(None)` when someone else saved first.
pub fn update_fields(conn: &mut PgConnection, id: i64, version: i32, f: &Fields) -> QueryResult<Option<Contact>> {
    diesel::update(contacts::table.filter(contacts::id.eq(id)).filter(contacts::version.eq(version)))
        .set((FieldRow::from(f), contacts::version.eq(contacts::version + 1), contacts::updated_at.eq(Utc::now())))
        .returning(Contact::as_returning())
        .get_result(conn)
        .optional()
}

/// Marks a contact as changed (tags, groups, owners) without a version check.
pub fn touch(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::update(contacts::table.find(id)).set(contacts::updated_at.eq(Utc::now())).execute(conn).map(|_| ())
}

pub fn tags_of(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<String>> {
    contact_tags::table
        .filter(contact_tags::contact_id.eq(id))
        .select(contact_tags::tag)
        .order(contact_tags::tag)
        .load(conn)
}

/// The access groups the contact is in, (id, name) by name.
pub fn groups_of(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<(i64, String)>> {
    contact_access_groups::table
        .inner_join(access_groups::table)
        .filter(contact_access_groups::contact_id.eq(id))
        .select((access_groups::id, access_groups::name))
        .order(access_groups::name)
        .load(conn)
}

/// Splits "a, b ,a" into trimmed, de-duplicated tags.
pub fn parse_tags(input: &str) -> Vec<String> {
    let mut tags: Vec<String> =
        input.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty() && t.chars().count() <= 100).collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Adds tags (already present ones are left as they are). Returns the tags that were new.
pub fn add_tags(conn: &mut PgConnection, id: i64, tags: &[String]) -> QueryResult<Vec<String>> {
    let rows: Vec<_> = tags.iter().map(|t| (contact_tags::contact_id.eq(id), contact_tags::tag.eq(t))).collect();
    diesel::insert_into(contact_tags::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .returning(contact_tags::tag)
        .get_results(conn)
}

pub fn remove_tag(conn: &mut PgConnection, id: i64, tag: &str) -> QueryResult<usize> {
    diesel::delete(contact_tags::table.filter(contact_tags::contact_id.eq(id)).filter(contact_tags::tag.eq(tag)))
        .execute(conn)
}

pub fn add_group(conn: &mut PgConnection, id: i64, group: i64) -> QueryResult<usize> {
    diesel::insert_into(contact_access_groups::table)
        .values((contact_access_groups::contact_id.eq(id), contact_access_groups::group_id.eq(group)))
        .on_conflict_do_nothing()
        .execute(conn)
}

pub fn remove_group(conn: &mut PgConnection, id: i64, group: i64) -> QueryResult<usize> {
    diesel::delete(
        contact_access_groups::table
            .filter(contact_access_groups::contact_id.eq(id))
            .filter(contact_access_groups::group_id.eq(group)),
    )
    .execute(conn)
}

pub fn set_confidential(conn: &mut PgConnection, id: i64, on: bool) -> QueryResult<usize> {
    diesel::update(contacts::table.find(id))
        .set((contacts::confidential.eq(on), contacts::updated_at.eq(Utc::now())))
        .execute(conn)
}

/// What deleting a contact takes with it: (tags, co-owners, access-group memberships).
pub fn dependants(conn: &mut PgConnection, id: i64) -> QueryResult<(i64, i64, i64)> {
    use crate::db::schema::{contact_access_groups, contact_tags};
    use crate::db::views::contact_owners;
    Ok((
        contact_tags::table.filter(contact_tags::contact_id.eq(id)).count().get_result(conn)?,
        contact_owners::table.filter(contact_owners::contact_id.eq(id)).count().get_result(conn)?,
        contact_access_groups::table.filter(contact_access_groups::contact_id.eq(id)).count().get_result(conn)?,
    ))
}

/// Locks a contact's row until the transaction ends: the first thing every change of one
/// contact does (the card's changes, the owner panel, deletion). One lock order: with the row
/// taken first, a change that writes the contact's links (owners, notifications: their foreign
/// keys share-lock the row) and one that deletes it queue behind each other instead of each
/// holding what the other needs (a deadlock). `NotFound` when it does not exist.
pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    contacts::table.find(id).select(contacts::id).for_update().first::<i64>(conn).map(|_| ())
}

pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(contacts::table.find(id)).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::{field_problems, FieldProblem, Fields};

    #[test]
    fn one_set_of_field_rules() {
        let ok = Fields { first_name: "Ann".into(), phone: " +48 600 700 800".into(), ..Fields::default() };
        assert!(field_problems(&ok).is_empty());
        assert_eq!(field_problems(&Fields::default()), vec![FieldProblem::NoNameNorEmail]);
        let bad = Fields {
            email: " not-an-email ".into(),
            phone: "600".into(),
            category: "c".repeat(101),
            ..Fields::default()
        };
        assert_eq!(
            field_problems(&bad),
            vec![
                FieldProblem::BadEmail("not-an-email".into()),
                FieldProblem::BadPhone(
                    "600".into(),
                    "Include the country code, starting with +, like +48 600 700 800."
                ),
                FieldProblem::TooLong { field: "category", max: 100 },
            ]
        );
        let long_phone = Fields { first_name: "A".into(), phone: format!("+{}", "1".repeat(50)), ..Fields::default() };
        assert_eq!(field_problems(&long_phone)[1], FieldProblem::TooLong { field: "phone", max: 50 });
        assert!(matches!(field_problems(&long_phone)[0], FieldProblem::BadPhone(..)));
        assert_eq!(super::phone(" +48 600-700 800 ").as_deref(), Some("+48600700800"), "stored as E.164");
        assert_eq!(super::phone(" "), None);
    }
}
