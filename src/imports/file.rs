//! The uploaded CSV file: which delimiter it uses and what its header row says; its copy in
//! PostgreSQL (chunks of [`CHUNK`] bytes) and a reader that streams it back chunk by chunk.

use crate::db::schema::import_chunks;
use anyhow::Context;
use diesel::prelude::*;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Bytes per stored chunk.
pub const CHUNK: usize = 1 << 20;

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

/// A CSV reader over `r` with the file's delimiter (the header row is consumed by the reader).
pub fn reader<R: Read>(r: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new().delimiter(delimiter).has_headers(true).flexible(true).from_reader(r)
}

/// Data records in the file (its header aside).
pub fn count_records(path: &Path, delimiter: u8) -> std::io::Result<i64> {
    let mut r = reader(BufReader::with_capacity(1 << 16, std::fs::File::open(path)?), delimiter);
    let mut rec = csv::ByteRecord::new();
    let mut n = 0i64;
    while r.read_byte_record(&mut rec).map_err(std::io::Error::other)? {
        n += 1;
    }
    Ok(n)
}

/// Copies the file into `import_chunks`, one chunk in memory at a time.
pub fn store(conn: &mut PgConnection, job_id: i64, path: &Path) -> Result<(), crate::error::AppError> {
    let mut f = std::fs::File::open(path).context("read upload")?;
    let mut buf = vec![0u8; CHUNK];
    for seq in 0.. {
        let mut filled = 0;
        while filled < CHUNK {
            match f.read(&mut buf[filled..]).context("read upload")? {
                0 => break,
                n => filled += n,
            }
        }
        if filled == 0 {
            break;
        }
        diesel::insert_into(import_chunks::table)
            .values((
                import_chunks::job_id.eq(job_id),
                import_chunks::seq.eq(seq),
                import_chunks::data.eq(&buf[..filled]),
            ))
            .execute(conn)?;
        if filled < CHUNK {
            break;
        }
    }
    Ok(())
}

/// The stored file as a byte stream: one chunk is fetched (and held) at a time, on a
/// connection of its own that the import also uses to report progress.
pub struct StoredFile {
    pub conn: crate::db::Conn,
    job_id: i64,
    next: i32,
    buf: Vec<u8>,
    pos: usize,
}

impl StoredFile {
    pub fn open(conn: crate::db::Conn, job_id: i64) -> StoredFile {
        StoredFile { conn, job_id, next: 0, buf: Vec::new(), pos: 0 }
    }
}

impl Read for StoredFile {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.buf.len() {
            let chunk: Option<Vec<u8>> = import_chunks::table
                .filter(import_chunks::job_id.eq(self.job_id))
                .filter(import_chunks::seq.eq(self.next))
                .select(import_chunks::data)
                .first(&mut *self.conn)
                .optional()
                .map_err(std::io::Error::other)?;
            match chunk {
                Some(data) => {
                    self.buf = data;
                    self.pos = 0;
                    self.next += 1;
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads the header row; `Err` with a message for the person who uploaded the file.
pub fn header(path: &Path) -> Result<Header, String> {
    let f = std::fs::File::open(path).map_err(|_| "The uploaded file could not be read.".to_string())?;
    let mut first = Vec::new();
    BufReader::new(f.take(1 << 16))
        .read_until(b'\n', &mut first)
        .map_err(|_| "The uploaded file could not be read.".to_string())?;
    let line = std::str::from_utf8(&first)
        .map_err(|_| "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and try again.".to_string())?;
    let line = line.trim_start_matches('\u{feff}');
    if line.trim().is_empty() {
        return Err("The file is empty or has no header row.".into());
    }
    let delimiter = detect_delimiter(line);
    let mut r = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(line.as_bytes());
    let rec = r.records().next().and_then(Result::ok).ok_or_else(|| "The header row could not be read.".to_string())?;
    let columns: Vec<String> = rec.iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_string()).collect();
    // Column names are stored and shown: a control character (a NUL, which PostgreSQL text
    // cannot hold) is refused here, as in data rows.
    if let Some(n) = columns.iter().position(|c| c.chars().any(char::is_control)) {
        return Err(format!(
            "Column {} of the header row contains a control character: save the file again as plain CSV text.",
            n + 1
        ));
    }
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
