//! CSV written for spreadsheets: every CSV the server sends (contact export, import rejects,
//! audit export) writes its rows through [`write_row`], which neutralises cells a spreadsheet
//! would run as formulas.

use std::borrow::Cow;

/// A cell as a spreadsheet may safely open it: one starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return gets a leading apostrophe (OWASP's "CSV injection" advice), except a
/// plain signed number such as a phone number `+48 600 700 800` or `-5`, from which no
/// formula can be made.
pub fn cell(s: &str) -> Cow<'_, str> {
    let plain_number =
        |rest: &str| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.');
    match s.chars().next() {
        Some('+' | '-') if plain_number(&s[1..]) => Cow::Borrowed(s),
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// Writes one record, every cell through [`cell`].
pub fn write_row<W: std::io::Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = S>,
) -> csv::Result<()> {
    w.write_record(cells.into_iter().map(|c| cell(c.as_ref()).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for f in
            ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
        {
            assert_eq!(cell(f), format!("'{f}"));
        }
        for kept in ["+48 600 700 800", "-5", "ann@example.com", "Ann", "", "1+1"] {
            assert_eq!(cell(kept), kept);
        }
    }
}
