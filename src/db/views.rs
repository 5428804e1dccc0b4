//! Table definitions `diesel print-schema` cannot write (so `schema.rs` stays generated):
//! the two views of migration 000060_access_facts, and `form_hits`, which has no primary key
//! (diesel requires one; `(key, at)` stands in for it here).

use super::schema::users;

diesel::table! {
    /// View: a user's side of the access rules, beyond their own row.
    subject_facts (id) {
        id -> Int8,
        preset_keys -> Array<Text>,
        granted -> Array<Text>,
        revoked -> Array<Text>,
        teams -> Array<Int8>,
    }
}

diesel::table! {
    /// View: a contact's side of the access rules; the three lists are JSON arrays of rows.
    contact_facts (id) {
        id -> Int8,
        main_owner_id -> Nullable<Int8>,
        confidential -> Bool,
        co_owners -> Text,
        owner_teams -> Text,
        grants -> Text,
    }
}

diesel::table! {
    form_hits (key, at) {
        key -> Text,
        at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(users, subject_facts);
