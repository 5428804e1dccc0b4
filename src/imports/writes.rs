//! The set-based writes of one import batch: new contacts in one INSERT, existing ones in one
//! UPDATE, and one notification statement for the owners of what changed.

use super::rows::Good;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text};

/// Tells the owners (other than the importer) of updated contacts, in one statement: as on
/// the card, owners hear when someone else changes their contact.
pub(super) fn notify_owners(c: &mut PgConnection, importer: i64, updated: &[i64]) -> QueryResult<usize> {
    if updated.is_empty() {
        return Ok(0);
    }
    crate::db::query(
        "INSERT INTO notifications (user_id, contact_id, message) \
         SELECT o.user_id, o.contact_id, u.email || ' updated “' || \
                coalesce(nullif(trim(ct.first_name || ' ' || ct.last_name), ''), ct.email, 'contact #' || ct.id) || '” by CSV import' \
         FROM (SELECT id AS contact_id, main_owner_id AS user_id FROM contacts WHERE id = ANY($1) AND main_owner_id IS NOT NULL \
               UNION SELECT contact_id, user_id FROM contact_owners WHERE contact_id = ANY($1)) o \
         JOIN contacts ct ON ct.id = o.contact_id JOIN users u ON u.id = $2 \
         WHERE o.user_id <> $2",
    )
    .bind::<Array<BigInt>, _>(updated)
    .bind::<BigInt, _>(importer)
    .execute(c)
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// One multi-row INSERT of new contacts; ids are drawn first so each row's tags follow it.
pub(super) fn insert_new(c: &mut PgConnection, creator: i64, owner: i64, new: &[Good]) -> QueryResult<Vec<i64>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<i64> = crate::db::query("SELECT nextval('contacts_id_seq') AS id FROM generate_series(1, $1)")
        .bind::<BigInt, _>(new.len() as i64)
        .load::<Id>(c)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let col = |f: fn(&Good) -> &str| new.iter().map(|g| f(g).trim().to_string()).collect::<Vec<String>>();
    let ocol = |f: fn(&Good) -> &str| new.iter().map(|g| opt(f(g))).collect::<Vec<Option<String>>>();
    crate::db::query(
        "INSERT INTO contacts (id, email, first_name, last_name, phone, company, category, main_owner_id, created_by) \
         SELECT v.id, v.email, v.first_name, v.last_name, v.phone, v.company, v.category, $8, $9 \
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) \
           AS v(id, email, first_name, last_name, phone, company, category)",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Nullable<Text>>, _>(ocol(|g| &g.fields.email))
    .bind::<Array<Text>, _>(col(|g| &g.fields.first_name))
    .bind::<Array<Text>, _>(col(|g| &g.fields.last_name))
    .bind::<Array<Nullable<Text>>, _>(ocol(|g| &g.fields.phone))
    .bind::<Array<Text>, _>(col(|g| &g.fields.company))
    .bind::<Array<Nullable<Text>>, _>(ocol(|g| &g.fields.category))
    .bind::<BigInt, _>(owner)
    .bind::<BigInt, _>(creator)
    .execute(c)?;
    Ok(ids)
}

/// One UPDATE … FROM unnest for existing contacts: non-empty values replace the stored ones
/// (an empty or unmapped cell keeps what is there); a contact without main owner gets the
/// import's. Returns the ids.
pub(super) fn update_existing(c: &mut PgConnection, owner: Option<i64>, upd: &[(i64, Good)]) -> QueryResult<Vec<i64>> {
    if upd.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = upd.iter().map(|(id, _)| *id).collect();
    let col = |f: fn(&Good) -> &str| upd.iter().map(|(_, g)| f(g).trim().to_string()).collect::<Vec<String>>();
    crate::db::query(
        "UPDATE contacts c SET \
           first_name = coalesce(nullif(v.first_name, ''), c.first_name), \
           last_name = coalesce(nullif(v.last_name, ''), c.last_name), \
           phone = coalesce(nullif(v.phone, ''), c.phone), \
           company = coalesce(nullif(v.company, ''), c.company), \
           category = coalesce(nullif(v.category, ''), c.category), \
           main_owner_id = coalesce(c.main_owner_id, $7), \
           version = c.version + 1, updated_at = now() \
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
           AS v(id, first_name, last_name, phone, company, category) \
         WHERE c.id = v.id",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Text>, _>(col(|g| &g.fields.first_name))
    .bind::<Array<Text>, _>(col(|g| &g.fields.last_name))
    .bind::<Array<Text>, _>(col(|g| &g.fields.phone))
    .bind::<Array<Text>, _>(col(|g| &g.fields.company))
    .bind::<Array<Text>, _>(col(|g| &g.fields.category))
    .bind::<diesel::sql_types::Nullable<BigInt>, _>(owner)
    .execute(c)?;
    Ok(ids)
}
