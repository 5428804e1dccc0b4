//! One submission of a public form, by anyone on the internet: admitted under two rate limits
//! (per address, per form), checked by the contact's field rules, then written as a new or
//! matched contact. Nobody signs in, so nothing here may widen access beyond what the form's
//! saver could give by hand ([`apply`]).

use super::Form;
use crate::audit;
use crate::contacts::events::Event;
use crate::db::views::form_hits;
use crate::events;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use serde::Deserialize;

/// Submissions accepted per client address per minute.
pub const PER_MINUTE: i64 = 10;
/// Submissions one form accepts per minute from all addresses together: a flood from many
/// addresses fills neither the contact base nor the database.
pub const PER_FORM_MINUTE: i64 = 300;

#[derive(Deserialize, Default, Clone)]
pub struct Submission {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone: String,
    /// The honeypot: hidden from people, filled by bots.
    #[serde(default)]
    pub website: String,
}

/// How a submission ended.
pub enum Outcome {
    Accepted,
    /// A field to correct, and what is wrong with it.
    Refused(&'static str, &'static str),
    NoSuchForm,
    TooMany,
}

/// Takes one submission to form `key` from address `ip` (`None` as the body: it could not be
/// read as a form). Call it in one transaction: admission, the contact and its audit entry
/// commit together.
pub fn submit(
    c: &mut PgConnection,
    key: &str,
    ip: &str,
    body: Option<&Submission>,
) -> QueryResult<(Option<Form>, Outcome)> {
    let Some(form) = super::by_key(c, key)?.filter(|f| f.enabled) else {
        return Ok((None, Outcome::NoSuchForm));
    };
    let outcome = if !admit(c, ip, form.id)? {
        Outcome::TooMany
    } else {
        match body {
            None => Outcome::Refused("email", "send the fields as a form"),
            // A filled honeypot is a bot: answer as if all went well, store nothing.
            Some(s) if !s.website.trim().is_empty() => {
                tracing::info!(form = form.id, "form honeypot filled; submission dropped");
                Outcome::Accepted
            }
            Some(s) => match check(s) {
                Some((field, message)) => Outcome::Refused(field, message),
                None => {
                    apply(c, &form, s, Some(ip.to_string()))?;
                    Outcome::Accepted
                }
            },
        }
    };
    Ok((Some(form), outcome))
}

/// The first rule the submission breaks, as (field, message): an email is required here, then
/// the contact's own field rules (`contacts::model::field_problems`).
fn check(s: &Submission) -> Option<(&'static str, &'static str)> {
    use crate::contacts::model::FieldProblem;
    if s.email.trim().is_empty() {
        return Some(("email", "email is required"));
    }
    let fields = crate::contacts::Fields {
        email: s.email.clone(),
        first_name: s.first_name.clone(),
        last_name: s.last_name.clone(),
        phone: s.phone.clone(),
        ..Default::default()
    };
    crate::contacts::model::field_problems(&fields).first().map(|p| match p {
        FieldProblem::BadEmail(_) => ("email", "email is not a valid address"),
        FieldProblem::BadPhone(_, why) => ("phone", *why),
        FieldProblem::NoNameNorEmail => ("email", "email is required"),
        FieldProblem::TooLong { .. } => ("first_name", "a field is too long"),
    })
}

/// Counts this submission against its address and its form; `false` when either is over its
/// limit (a refused submission is not counted). A transaction lock per key makes the count and
/// the insert one step, so simultaneous submissions cannot all slip under the limit.
fn admit(c: &mut PgConnection, ip: &str, form_id: i64) -> QueryResult<bool> {
    let since = Utc::now() - Duration::minutes(1);
    // Always the address before the form: every submission takes the locks in one order.
    let keys = [(format!("ip:{ip}"), PER_MINUTE), (format!("form:{form_id}"), PER_FORM_MINUTE)];
    for (key, limit) in &keys {
        crate::db::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<Text, _>(format!("form_hits:{key}"))
            .execute(c)?;
        diesel::delete(form_hits::table.filter(form_hits::key.eq(key)).filter(form_hits::at.lt(since))).execute(c)?;
        let recent: i64 = form_hits::table.filter(form_hits::key.eq(key)).count().get_result(c)?;
        if recent >= *limit {
            return Ok(false);
        }
    }
    let now = Utc::now();
    let rows: Vec<_> = keys.iter().map(|(k, _)| (form_hits::key.eq(k.clone()), form_hits::at.eq(now))).collect();
    diesel::insert_into(form_hits::table).values(&rows).execute(c)?;
    Ok(true)
}

#[derive(QueryableByName)]
struct Upserted {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Bool)]
    inserted: bool,
}

/// Creates or updates the contact by email (case-insensitive) in one statement, so two
/// simultaneous submissions never create two contacts; then tags, groups, events and audit.
///
/// Anonymous input never widens access: unless the form is configured to update existing
/// contacts, a submission that matches one only fills its empty fields — its non-empty fields,
/// tags, access groups and owners stay as they are — and its owners are told.
fn apply(c: &mut PgConnection, f: &Form, s: &Submission, ip: Option<String>) -> QueryResult<i64> {
    use crate::access::{facts, ops, rules, Operation};
    // The form changes who has access (groups, main owner) with its saver's authority: on a new
    // contact if they hold contacts.assign, on an existing one only where they could assign it
    // by hand.
    let saver = match f.saved_by {
        Some(id) => facts::subject(c, id)?.filter(|s| s.active),
        None => None,
    };
    let assigns_new = saver.as_ref().is_some_and(|s| ops::permits_at_all(s, Operation::Assign).is_ok());
    let up: Upserted = crate::db::query(
        "INSERT INTO contacts (email, first_name, last_name, phone, main_owner_id) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT ((lower(email))) WHERE email IS NOT NULL DO UPDATE SET \
           first_name = CASE WHEN $6 THEN coalesce(nullif(EXCLUDED.first_name, ''), contacts.first_name) \
                             ELSE coalesce(nullif(contacts.first_name, ''), EXCLUDED.first_name) END, \
           last_name = CASE WHEN $6 THEN coalesce(nullif(EXCLUDED.last_name, ''), contacts.last_name) \
                            ELSE coalesce(nullif(contacts.last_name, ''), EXCLUDED.last_name) END, \
           phone = CASE WHEN $6 THEN coalesce(EXCLUDED.phone, contacts.phone) \
                        ELSE coalesce(nullif(contacts.phone, ''), EXCLUDED.phone) END, \
           version = contacts.version + 1, updated_at = now() \
         RETURNING id, (xmax = 0) AS inserted",
    )
    .bind::<Text, _>(s.email.trim())
    .bind::<Text, _>(s.first_name.trim())
    .bind::<Text, _>(s.last_name.trim())
    .bind::<Nullable<Text>, _>(crate::contacts::model::phone(&s.phone))
    .bind::<Nullable<BigInt>, _>(f.main_owner_id.filter(|_| assigns_new))
    .bind::<Bool, _>(f.update_existing)
    .get_result(c)?;
    let labels = up.inserted || f.update_existing;
    let may_assign = if up.inserted {
        assigns_new
    } else {
        match (&saver, f.update_existing) {
            (Some(sv), true) => facts::contact(c, up.id)?
                .is_some_and(|cf| ops::permits(sv, &rules::decide(sv, &cf), Operation::Assign).is_ok()),
            _ => false,
        }
    };
    if labels {
        crate::contacts::model::add_tags(c, up.id, &f.tags)?;
    }
    if may_assign && !f.group_ids.is_empty() {
        crate::db::query(
            "INSERT INTO contact_access_groups (contact_id, group_id) SELECT $1, g FROM unnest($2::bigint[]) g ON CONFLICT DO NOTHING",
        )
        .bind::<BigInt, _>(up.id)
        .bind::<Array<BigInt>, _>(&f.group_ids)
        .execute(c)?;
    }
    if may_assign && !up.inserted {
        // An existing contact without a main owner gets the form's.
        crate::contacts::owners::fill_main_owner(c, up.id, f.main_owner_id)?;
    }
    if !up.inserted {
        let name = crate::contacts::model::find(c, up.id)?.display_name();
        let what = if f.update_existing { "updated" } else { "matched (only its empty fields were filled)" };
        // No user acted: every owner is told.
        crate::notifications::notify_owners(
            c,
            up.id,
            0,
            &format!("Public form \u{201c}{}\u{201d} {what} \u{201c}{name}\u{201d}", f.name),
        )?;
    }
    // Nobody signed in acted; the rules the submission fires carry the form's saver's authority.
    events::after_on_behalf(c, None, f.saved_by, &Event::FormSubmitted(f.id), &[up.id])?;
    audit::Entry::new(None, "form.submit", "contact", up.id)
        .after(serde_json::json!({
            "form_id": f.id,
            "form": f.name,
            "created": up.inserted,
            "updated_existing": !up.inserted && f.update_existing,
        }))
        .ip(ip)
        .record(c)?;
    Ok(up.id)
}
