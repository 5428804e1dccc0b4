//! The schema question of issue #15: is it the schema that keeps the bulk floor where it is?
//! The floor's writes (100,000 co-owner rows and 200,000 tag rows, in one transaction) are
//! timed on full copies of the two link tables, in a scratch schema, in four designs:
//! - as they are (foreign keys to contacts and users, text tags);
//! - without the foreign keys (each inserted row checks, and share-locks, its contact);
//! - with tags as integer ids into a table of tag names;
//! - both.
//!
//! The copies hold the same rows and indexes as the real tables, so only the design differs.
//! The scratch schema is dropped at the end.

use super::{BULK_NEW_TAGS, BULK_TAG};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::time::{Duration, Instant};

/// One design: its name and the time of the floor's writes on it.
pub struct Design {
    pub name: &'static str,
    pub writes: Duration,
}

const SETUP: &str = "
DROP SCHEMA IF EXISTS bench_copy CASCADE;
CREATE SCHEMA bench_copy;
CREATE TABLE bench_copy.owners_fk (LIKE public.contact_owners INCLUDING ALL);
CREATE TABLE bench_copy.owners (LIKE public.contact_owners INCLUDING ALL);
CREATE TABLE bench_copy.tags_fk (LIKE public.contact_tags INCLUDING ALL);
CREATE TABLE bench_copy.tags (LIKE public.contact_tags INCLUDING ALL);
CREATE TABLE bench_copy.tag_names (id SERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE bench_copy.tag_ids_fk (contact_id BIGINT NOT NULL, tag_id INT NOT NULL, PRIMARY KEY (contact_id, tag_id));
CREATE INDEX ON bench_copy.tag_ids_fk (tag_id, contact_id);
CREATE TABLE bench_copy.tag_ids (LIKE bench_copy.tag_ids_fk INCLUDING ALL);
INSERT INTO bench_copy.owners_fk SELECT * FROM public.contact_owners;
INSERT INTO bench_copy.owners SELECT * FROM public.contact_owners;
INSERT INTO bench_copy.tags_fk SELECT * FROM public.contact_tags;
INSERT INTO bench_copy.tags SELECT * FROM public.contact_tags;
INSERT INTO bench_copy.tag_names (name) SELECT DISTINCT tag FROM public.contact_tags;
INSERT INTO bench_copy.tag_ids_fk SELECT t.contact_id, n.id FROM public.contact_tags t JOIN bench_copy.tag_names n ON n.name = t.tag;
INSERT INTO bench_copy.tag_ids SELECT * FROM bench_copy.tag_ids_fk;
ALTER TABLE bench_copy.owners_fk ADD FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE,
    ADD FOREIGN KEY (user_id) REFERENCES public.users(id);
ALTER TABLE bench_copy.tags_fk ADD FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;
ALTER TABLE bench_copy.tag_ids_fk ADD FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tag_id) REFERENCES bench_copy.tag_names(id);
";

/// Run one by one: VACUUM cannot run in the implicit transaction of a multi-statement batch.
const TABLES: [&str; 7] = ["owners_fk", "owners", "tags_fk", "tags", "tag_ids_fk", "tag_ids", "tag_names"];

/// Times the floor's writes on each design (setup and clean-up not timed).
pub fn alternatives(conn: &mut PgConnection, bulk_user: i64) -> anyhow::Result<Vec<Design>> {
    let t = Instant::now();
    conn.batch_execute(SETUP)?;
    for table in TABLES {
        conn.batch_execute(&format!("VACUUM ANALYZE bench_copy.{table}"))?;
    }
    println!("schema: copies made in {:.0} s (not measured)", t.elapsed().as_secs_f64());
    let sel = format!("SELECT contact_id FROM public.contact_tags WHERE tag = '{BULK_TAG}'");
    let [a, b] = BULK_NEW_TAGS;
    conn.batch_execute(&format!("INSERT INTO bench_copy.tag_names (name) VALUES ('{a}'), ('{b}')"))?;
    let owners = |table: &str| {
        format!("INSERT INTO bench_copy.{table} (contact_id, user_id, read_only) SELECT contact_id, {bulk_user}, FALSE FROM ({sel}) s;")
    };
    let text_tags = |table: &str| {
        format!(
            "INSERT INTO bench_copy.{table} (contact_id, tag) SELECT contact_id, t FROM ({sel}) s \
             CROSS JOIN unnest(ARRAY['{a}', '{b}']) t;"
        )
    };
    let id_tags = |table: &str| {
        format!(
            "INSERT INTO bench_copy.{table} (contact_id, tag_id) SELECT contact_id, n.id FROM ({sel}) s \
             CROSS JOIN bench_copy.tag_names n WHERE n.name IN ('{a}', '{b}');"
        )
    };
    // Each table's writes once, each in its own transaction; a design's time is the sum of
    // its two tables' (two commits instead of the floor's one: a few milliseconds).
    let mut time = |sql: String| -> anyhow::Result<Duration> {
        let t = Instant::now();
        conn.batch_execute(&format!("BEGIN; {sql} COMMIT;"))?;
        Ok(t.elapsed())
    };
    let (owners_fk, owners_bare) = (time(owners("owners_fk"))?, time(owners("owners"))?);
    let (text_fk, text_bare) = (time(text_tags("tags_fk"))?, time(text_tags("tags"))?);
    let (ids_fk, ids_bare) = (time(id_tags("tag_ids_fk"))?, time(id_tags("tag_ids"))?);
    let out = vec![
        Design { name: "as they are: foreign keys, text tags", writes: owners_fk + text_fk },
        Design { name: "without foreign keys", writes: owners_bare + text_bare },
        Design { name: "tags as integer ids", writes: owners_fk + ids_fk },
        Design { name: "both: no foreign keys, integer tags", writes: owners_bare + ids_bare },
    ];
    println!(
        "schema: co-owners {:.2} s with keys, {:.2} s without; text tags {:.2} / {:.2} s; integer tags {:.2} / {:.2} s",
        owners_fk.as_secs_f64(),
        owners_bare.as_secs_f64(),
        text_fk.as_secs_f64(),
        text_bare.as_secs_f64(),
        ids_fk.as_secs_f64(),
        ids_bare.as_secs_f64()
    );
    conn.batch_execute("DROP SCHEMA bench_copy CASCADE")?;
    Ok(out)
}
