//! The uploaded CSV file: which delimiter it uses and what its header row says.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The header of an uploaded file.
#[derive(Debug, Clone)]
pub struct Header {
    pub delimiter: u8,
    pub columns: Vec<String>,
}

/// Comma or semicolon, whichever occurs more often (outside quotes) in the header line.
pub fn detect_delimiter(line: &str) -> u8 {
    let (mut commas, mut semis, mut quoted) = (0, 0, false);
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if semis > commas {
        b';'
    } else {
        b','
    }
}

/// A CSV reader over the file with its delimiter (header row consumed by the reader).
pub fn reader(path: &Path, delimiter: u8) -> std::io::Result<csv::Reader<BufReader<std::fs::File>>> {
    let f = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(f))
}

/// Reads the header row; `Err` with a message for the person who uploaded the file.
pub fn header(path: &Path) -> Result<Header, String> {
    let f = std::fs::File::open(path).map_err(|_| "The uploaded file could not be read.".to_string())?;
    let mut first = Vec::new();
    BufReader::new(f.take(1 << 16))
        .read_until(b'\n', &mut first)
        .map_err(|_| "The uploaded file could not be read.".to_string())?;
    let line =
        std::str::from_utf8(&first).map_err(|_| "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and try again.".to_string())?;
    let line = line.trim_start_matches('\u{feff}');
    if line.trim().is_empty() {
        return Err("The file is empty or has no header row.".into());
    }
    let delimiter = detect_delimiter(line);
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(line.as_bytes());
    let rec = r
        .records()
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| "The header row could not be read.".to_string())?;
    let columns: Vec<String> = rec.iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_string()).collect();
    if columns.iter().all(String::is_empty) {
        return Err("The header row is empty: the first line must name the columns.".into());
    }
    Ok(Header { delimiter, columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_semicolons_outside_quotes() {
        assert_eq!(detect_delimiter("email;first_name;\"a,b,c\""), b';');
        assert_eq!(detect_delimiter("email,first_name,\"a;b;c;d\""), b',');
        assert_eq!(detect_delimiter("email"), b',');
    }
}
