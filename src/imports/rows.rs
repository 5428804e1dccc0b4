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

/// The field rules of a contact (SPEC 5), without the uniqueness look-up.
pub fn check(f: &Fields) -> Result<(), String> {
    use validator::ValidateEmail;
    let email = f.email.trim();
    if email.is_empty() && f.first_name.trim().is_empty() && f.last_name.trim().is_empty() {
        return Err("no name and no email: give at least one".into());
    }
    if !email.is_empty() && !email.validate_email() {
        return Err(format!("invalid email address \"{email}\""));
    }
    let phone = f.phone.trim();
    if !phone.is_empty() && !phone.starts_with('+') {
        return Err(format!("phone \"{phone}\" must start with its country code, like +48"));
    }
    for (name, value, max) in [
        ("first name", &f.first_name, 200),
        ("last name", &f.last_name, 200),
        ("company", &f.company, 200),
        ("category", &f.category, 100),
    ] {
        if value.chars().count() > max {
            return Err(format!("{name} is longer than {max} characters"));
        }
    }
    Ok(())
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
        let ok = parse(2, &csv::StringRecord::from(vec!["a@b.test", "Ann", "+48 600", "x; y,x"]), &m).unwrap();
        assert_eq!(ok.tags, vec!["x".to_string(), "y".to_string()]);
        assert!(parse(3, &csv::StringRecord::from(vec!["nope", "Ann", "", ""]), &m)
            .unwrap_err()
            .contains("invalid email"));
        assert!(parse(4, &csv::StringRecord::from(vec!["", "Ann", "600", ""]), &m)
            .unwrap_err()
            .contains("country code"));
        assert!(parse(5, &csv::StringRecord::from(vec!["", "", "", ""]), &m).unwrap_err().contains("no name"));
    }
}
