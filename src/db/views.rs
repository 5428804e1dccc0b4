//! Table definitions `diesel print-schema` cannot write (so `schema.rs` stays generated):
//! the views — the access facts of migration 000060, and the assignments in force of migration
//! 000320 (a preset held, an override, a co-ownership, a team membership, a grant: each view
//! shows its `_all` table's rows that have not ended) — and `form_hits`, which has no primary
//! key (diesel requires one; `(key, at)` stands in for it here).
//!
//! The views of migration 000320 are `SELECT *` of their table, which PostgreSQL expands when
//! the view is made: a column added to one of those tables later must be added to its view
//! (made again) and here.

use super::schema::*;

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

diesel::table! {
    /// View: the presets users hold now (`user_presets_all` without the ended rows).
    user_presets (user_id, preset_id) {
        user_id -> Int8,
        preset_id -> Int8,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    /// View: the per-user overrides in force (`user_overrides_all` without the ended rows).
    user_overrides (user_id, perm_key) {
        user_id -> Int8,
        perm_key -> Text,
        granted -> Bool,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    /// View: the co-owners now (`contact_owners_all` without the ended rows).
    contact_owners (contact_id, user_id) {
        contact_id -> Int8,
        user_id -> Int8,
        read_only -> Bool,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    /// View: the team members now (`team_members_all` without the ended rows).
    team_members (team_id, user_id) {
        team_id -> Int8,
        user_id -> Int8,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    /// View: the access-group grants in force (`access_group_grants_all` without the ended rows).
    access_group_grants (id) {
        id -> Int8,
        group_id -> Int8,
        user_id -> Nullable<Int8>,
        team_id -> Nullable<Int8>,
        level -> Text,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::joinable!(access_group_grants -> access_groups (group_id));
diesel::joinable!(access_group_grants -> teams (team_id));
diesel::joinable!(access_group_grants -> users (user_id));
diesel::joinable!(contact_owners -> contacts (contact_id));
diesel::joinable!(contact_owners -> users (user_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(user_overrides -> users (user_id));
diesel::joinable!(user_presets -> presets (preset_id));
diesel::joinable!(user_presets -> users (user_id));

/// Lets a view appear in one query with each of the given tables (diesel's own macro, given a
/// longer list, would also pair the tables with each other, which `schema.rs` already does).
macro_rules! beside {
    ($view:ident: $($table:ident),+ $(,)?) => {
        $(diesel::allow_tables_to_appear_in_same_query!($view, $table);)+
    };
}

beside!(access_group_grants: contact_owners, team_members, user_overrides, user_presets, access_group_grants_all, access_groups, api_tokens, app_settings, audit_log, automation_rules, bulk_run_changes, bulk_run_progress, bulk_runs, contact_access_groups, contact_facts, contact_owners_all, contact_tags, contacts, form_hits, forms, import_chunks, import_jobs, import_rejects, jobs, login_attempts, message_templates, notifications, outbox_messages, preset_permissions, presets, recovery_codes, segments, send_batches, sessions, setup_tokens, subject_facts, team_members_all, teams, two_factor, two_factor_roles, user_overrides_all, user_presets_all, user_wizards, users);
beside!(contact_owners: team_members, user_overrides, user_presets, access_group_grants_all, access_groups, api_tokens, app_settings, audit_log, automation_rules, bulk_run_changes, bulk_run_progress, bulk_runs, contact_access_groups, contact_facts, contact_owners_all, contact_tags, contacts, form_hits, forms, import_chunks, import_jobs, import_rejects, jobs, login_attempts, message_templates, notifications, outbox_messages, preset_permissions, presets, recovery_codes, segments, send_batches, sessions, setup_tokens, subject_facts, team_members_all, teams, two_factor, two_factor_roles, user_overrides_all, user_presets_all, user_wizards, users);
beside!(team_members: user_overrides, user_presets, access_group_grants_all, access_groups, api_tokens, app_settings, audit_log, automation_rules, bulk_run_changes, bulk_run_progress, bulk_runs, contact_access_groups, contact_facts, contact_owners_all, contact_tags, contacts, form_hits, forms, import_chunks, import_jobs, import_rejects, jobs, login_attempts, message_templates, notifications, outbox_messages, preset_permissions, presets, recovery_codes, segments, send_batches, sessions, setup_tokens, subject_facts, team_members_all, teams, two_factor, two_factor_roles, user_overrides_all, user_presets_all, user_wizards, users);
beside!(user_overrides: user_presets, access_group_grants_all, access_groups, api_tokens, app_settings, audit_log, automation_rules, bulk_run_changes, bulk_run_progress, bulk_runs, contact_access_groups, contact_facts, contact_owners_all, contact_tags, contacts, form_hits, forms, import_chunks, import_jobs, import_rejects, jobs, login_attempts, message_templates, notifications, outbox_messages, preset_permissions, presets, recovery_codes, segments, send_batches, sessions, setup_tokens, subject_facts, team_members_all, teams, two_factor, two_factor_roles, user_overrides_all, user_presets_all, user_wizards, users);
beside!(user_presets: access_group_grants_all, access_groups, api_tokens, app_settings, audit_log, automation_rules, bulk_run_changes, bulk_run_progress, bulk_runs, contact_access_groups, contact_facts, contact_owners_all, contact_tags, contacts, form_hits, forms, import_chunks, import_jobs, import_rejects, jobs, login_attempts, message_templates, notifications, outbox_messages, preset_permissions, presets, recovery_codes, segments, send_batches, sessions, setup_tokens, subject_facts, team_members_all, teams, two_factor, two_factor_roles, user_overrides_all, user_presets_all, user_wizards, users);
beside!(subject_facts: users);
