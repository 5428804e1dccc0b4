//! One CSV record turned into contact fields, checked with the same rules as the contact form
//! (`contacts::model::validate`) minus its database look-up: duplicates are checked in bulk
//! per batch by [`super::run`].

use super::job::Target;
use crate::contacts::Fields;

/// A row that passed the checks.
#[derive(Debug, Clone)]
pub struct Good {
    /// Row number in the file (the header is row 1).
    pub row_no: i64,
    pub fields: Fields,
    /// Tags from a "tags" column (separated by ';' or ',').
    pub tags: Vec<String>,
}

/// Maps a record through `mapping`; `Err(reason)` when the row breaks a rule.
pub fn parse(row_no: i64, rec: &csv::StringRecord, mapping: &[Target]) -> Result<Good, String> {
    let mut f = Fields::default();
    let mut tags = Vec::new();
    for (value, target) in rec.iter().zip(mapping.iter()) {
        // The same boundary as every form (`web::input`): no control characters in text.
        if *target != Target::Ignore && value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(format!("a cell mapped to {} contains a control character (such as NUL)", target.label()));
        }
        let v = value.trim().to_string();
        match target {
            Target::Email => f.email = v,
            Target::FirstName => f.first_name = v,
            Target::LastName => f.last_name = v,
            Target::Phone => f.phone = v,
            Target::Company => f.company = v,
            Target::Category => f.category = v,
            Target::Tags => tags = crate::contacts::model::parse_tags(&v.replace(';', ",")),
            Target::Ignore => {}
        }
    }
    check(&f)?;
    // Stored as every phone is (E.164), as typed spaces and all in the report of rejects only.
    f.phone = crate::contacts::model::phone(&f.phone).unwrap_or_default();
    Ok(Good { row_no, fields: f, tags })
}

/// The raw email cell of a record (for the report of a rejected row).
pub fn email_of(rec: &csv::StringRecord, mapping: &[Target]) -> String {
    rec.iter()
        .zip(mapping.iter())
        .find(|(_, t)| **t == Target::Email)
        .map(|(v, _)| v.trim().to_string())
        .unwrap_or_default()
}

/// The field rules of a contact (SPEC 5, `contacts::model::field_problems`), without the
/// uniqueness look-up: the first problem, as a rejected row's reason.
pub fn check(f: &Fields) -> Result<(), String> {
    use crate::contacts::model::FieldProblem;
    let names = |field: &'static str| match field {
        "first_name" => "first name",
        "last_name" => "last name",
        other => other,
    };
    match crate::contacts::model::field_problems(f).into_iter().next() {
        None => Ok(()),
        Some(FieldProblem::NoNameNorEmail) => Err("no name and no email: give at least one".into()),
        Some(FieldProblem::BadEmail(e)) => Err(format!("invalid email address \"{e}\"")),
        Some(FieldProblem::BadPhone(p, why)) => Err(format!("phone \"{p}\": {why}")),
        Some(FieldProblem::TooLong { field, max }) => Err(format!("{} is longer than {max} characters", names(field))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_a_cell_reject_the_row() {
        let rec = csv::StringRecord::from(vec!["ann@x.test", "An\0n"]);
        let err = parse(2, &rec, &[Target::Email, Target::FirstName]).unwrap_err();
        assert!(err.contains("control character"), "{err}");
        let ignored = csv::StringRecord::from(vec!["ann@x.test", "\0"]);
        assert!(parse(2, &ignored, &[Target::Email, Target::Ignore]).is_ok(), "ignored columns are not read");
    }

    #[test]
    fn rows_are_checked_like_the_contact_form() {
        let m = [Target::Email, Target::FirstName, Target::Phone, Target::Tags];
        let ok = parse(2, &csv::StringRecord::from(vec!["a@b.test", "Ann", "+48 600 700 800", "x; y,x"]), &m).unwrap();
        assert_eq!(ok.tags, vec!["x".to_string(), "y".to_string()]);
        assert_eq!(ok.fields.phone, "+48600700800", "stored as E.164");
        assert!(parse(3, &csv::StringRecord::from(vec!["nope", "Ann", "", ""]), &m)
            .unwrap_err()
            .contains("invalid email"));
        assert!(parse(4, &csv::StringRecord::from(vec!["", "Ann", "600", ""]), &m)
            .unwrap_err()
            .contains("country code"));
        assert!(parse(5, &csv::StringRecord::from(vec!["", "", "", ""]), &m).unwrap_err().contains("no name"));
    }
}
