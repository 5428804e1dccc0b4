// @generated automatically by Diesel CLI.

diesel::table! {
    access_group_grants_all (id) {
        id -> Int8,
        group_id -> Int8,
        user_id -> Nullable<Int8>,
        team_id -> Nullable<Int8>,
        level -> Text,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    access_groups (id) {
        id -> Int8,
        name -> Text,
        description -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    access_review_items (id) {
        id -> Int8,
        review_id -> Int8,
        reviewer_id -> Nullable<Int8>,
        user_id -> Nullable<Int8>,
        holder -> Text,
        kind -> Text,
        ref_id -> Nullable<Int8>,
        ref_key -> Text,
        what -> Text,
        reach -> Nullable<Int8>,
        used -> Bool,
        decision -> Nullable<Text>,
        comment -> Text,
        decided_by -> Nullable<Int8>,
        decided_at -> Nullable<Timestamptz>,
        by_policy -> Bool,
        gone -> Bool,
    }
}

diesel::table! {
    access_reviews (id) {
        id -> Int8,
        name -> Text,
        scope -> Text,
        scope_value -> Text,
        reviewers -> Text,
        reviewer_id -> Nullable<Int8>,
        deadline -> Timestamptz,
        unanswered -> Text,
        every_months -> Nullable<Int4>,
        used_since -> Timestamptz,
        started_by -> Nullable<Int8>,
        started_at -> Timestamptz,
        reminded_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        follows -> Nullable<Int8>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        name -> Text,
        token_hash -> Text,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        scopes -> Array<Text>,
    }
}

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Int8>,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Text>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        ip -> Nullable<Text>,
        via -> Nullable<Text>,
    }
}

diesel::table! {
    automation_rules (id) {
        id -> Int8,
        owner_id -> Int8,
        name -> Text,
        trigger -> Text,
        trigger_tag -> Nullable<Text>,
        has_tag -> Nullable<Text>,
        category -> Nullable<Text>,
        no_main_owner -> Bool,
        action -> Text,
        action_user_id -> Nullable<Int8>,
        action_read_only -> Bool,
        action_tag -> Nullable<Text>,
        action_group_id -> Nullable<Int8>,
        enabled -> Bool,
        shared -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    bulk_run_changes (id) {
        id -> Int8,
        run_id -> Int8,
        seq -> Int4,
        kind -> Text,
        user_id -> Nullable<Int8>,
        read_only -> Nullable<Bool>,
        tag -> Nullable<Text>,
        group_id -> Nullable<Int8>,
        after_user_id -> Nullable<Int8>,
        contact_ids -> Array<Nullable<Int8>>,
        lo -> Int8,
        hi -> Int8,
    }
}

diesel::table! {
    bulk_run_progress (run_id) {
        run_id -> Int8,
        step -> Text,
        processed -> Int8,
        total -> Int8,
        waiting_for -> Nullable<Int8>,
        backend_pid -> Int4,
        backend_start -> Timestamptz,
        started_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    bulk_runs (id) {
        id -> Int8,
        token -> Text,
        user_id -> Int8,
        spec -> Jsonb,
        matched -> Array<Int8>,
        editable_count -> Int8,
        editable_hash -> Int8,
        created_at -> Timestamptz,
        executed_at -> Nullable<Timestamptz>,
        status -> Text,
        queued_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        report -> Nullable<Jsonb>,
        error -> Nullable<Text>,
        ip -> Nullable<Text>,
        preview -> Nullable<Jsonb>,
        source -> Nullable<Jsonb>,
        notify_ids -> Nullable<Array<Nullable<Int8>>>,
    }
}

diesel::table! {
    contact_access_groups (contact_id, group_id) {
        contact_id -> Int8,
        group_id -> Int8,
    }
}

diesel::table! {
    contact_owners_all (contact_id, user_id) {
        contact_id -> Int8,
        user_id -> Int8,
        read_only -> Bool,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    contact_tags (contact_id, tag) {
        contact_id -> Int8,
        tag -> Text,
        lent -> Bool,
    }
}

diesel::table! {
    contacts (id) {
        id -> Int8,
        email -> Nullable<Text>,
        first_name -> Text,
        last_name -> Text,
        phone -> Nullable<Text>,
        company -> Text,
        category -> Nullable<Text>,
        main_owner_id -> Nullable<Int8>,
        confidential -> Bool,
        version -> Int4,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        search -> Nullable<Text>,
    }
}

diesel::table! {
    end_notices (kind, key, ends_at) {
        kind -> Text,
        key -> Text,
        ends_at -> Timestamptz,
    }
}

diesel::table! {
    forms (id) {
        id -> Int8,
        name -> Text,
        public_key -> Text,
        tags -> Array<Text>,
        group_ids -> Array<Int8>,
        main_owner_id -> Nullable<Int8>,
        enabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        update_existing -> Bool,
        saved_by -> Nullable<Int8>,
    }
}

diesel::table! {
    import_chunks (job_id, seq) {
        job_id -> Int8,
        seq -> Int4,
        data -> Bytea,
    }
}

diesel::table! {
    import_jobs (id) {
        id -> Int8,
        user_id -> Int8,
        file_name -> Text,
        delimiter -> Text,
        headers -> Jsonb,
        options -> Nullable<Jsonb>,
        status -> Text,
        total -> Int8,
        processed -> Int8,
        created -> Int8,
        updated -> Int8,
        skipped -> Int8,
        rejected -> Int8,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    import_rejects (job_id, row_no) {
        job_id -> Int8,
        row_no -> Int8,
        reason -> Text,
        email -> Text,
    }
}

diesel::table! {
    jobs (id) {
        id -> Int8,
        kind -> Text,
        subject_id -> Int8,
        attempts -> Int4,
        run_after -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    login_attempts (key) {
        key -> Text,
        failures -> Int4,
        last_failure -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    message_templates (id) {
        id -> Int8,
        owner_id -> Int8,
        name -> Text,
        channel -> Text,
        subject -> Nullable<Text>,
        body -> Text,
        shared -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        user_id -> Int8,
        contact_id -> Nullable<Int8>,
        message -> Text,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> Int8,
        batch_id -> Int8,
        contact_id -> Nullable<Int8>,
        channel -> Text,
        to_address -> Text,
        subject -> Nullable<Text>,
        body -> Text,
        status -> Text,
        error -> Nullable<Text>,
        created_by -> Int8,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        claimed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    preset_permissions (preset_id, perm_key) {
        preset_id -> Int8,
        perm_key -> Text,
    }
}

diesel::table! {
    presets (id) {
        id -> Int8,
        name -> Text,
        system_role -> Nullable<Text>,
        created_by -> Nullable<Int8>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Int8,
        user_id -> Int8,
        code_hash -> Text,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    segments (id) {
        id -> Int8,
        name -> Text,
        tags -> Array<Text>,
        category -> Nullable<Text>,
        email_domain -> Nullable<Text>,
        group_id -> Int8,
        keep_applying -> Bool,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        saved_by -> Nullable<Int8>,
    }
}

diesel::table! {
    send_batches (id) {
        id -> Int8,
        created_by -> Int8,
        channel -> Text,
        template_id -> Nullable<Int8>,
        audience -> Jsonb,
        recipients -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Nullable<Int8>,
        state -> Text,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    setup_tokens (token_hash) {
        token_hash -> Text,
        created_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    team_members_all (team_id, user_id) {
        team_id -> Int8,
        user_id -> Int8,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    teams (id) {
        id -> Int8,
        name -> Text,
        manager_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    two_factor (user_id) {
        user_id -> Int8,
        secret -> Text,
        confirmed_at -> Nullable<Timestamptz>,
        last_step -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    two_factor_roles (role) {
        role -> Text,
    }
}

diesel::table! {
    user_overrides_all (user_id, perm_key) {
        user_id -> Int8,
        perm_key -> Text,
        granted -> Bool,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    user_presets_all (user_id, preset_id) {
        user_id -> Int8,
        preset_id -> Int8,
        ends_at -> Nullable<Timestamptz>,
        ends_set_by -> Nullable<Int8>,
    }
}

diesel::table! {
    user_wizards (id) {
        id -> Text,
        owner_id -> Int8,
        target_id -> Nullable<Int8>,
        state -> Jsonb,
        avatar -> Nullable<Bytea>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        first_name -> Text,
        last_name -> Text,
        phone -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        status -> Text,
        avatar -> Nullable<Bytea>,
        disable_export -> Bool,
        only_owned -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        external_id -> Nullable<Text>,
        last_sign_in_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(access_group_grants_all -> access_groups (group_id));
diesel::joinable!(access_group_grants_all -> teams (team_id));
diesel::joinable!(access_review_items -> access_reviews (review_id));
diesel::joinable!(api_tokens -> users (created_by));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(automation_rules -> access_groups (action_group_id));
diesel::joinable!(bulk_run_changes -> bulk_runs (run_id));
diesel::joinable!(bulk_run_progress -> bulk_runs (run_id));
diesel::joinable!(bulk_runs -> users (user_id));
diesel::joinable!(contact_access_groups -> access_groups (group_id));
diesel::joinable!(contact_access_groups -> contacts (contact_id));
diesel::joinable!(contact_owners_all -> contacts (contact_id));
diesel::joinable!(contact_tags -> contacts (contact_id));
diesel::joinable!(import_chunks -> import_jobs (job_id));
diesel::joinable!(import_jobs -> users (user_id));
diesel::joinable!(import_rejects -> import_jobs (job_id));
diesel::joinable!(message_templates -> users (owner_id));
diesel::joinable!(notifications -> contacts (contact_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(outbox_messages -> contacts (contact_id));
diesel::joinable!(outbox_messages -> send_batches (batch_id));
diesel::joinable!(outbox_messages -> users (created_by));
diesel::joinable!(preset_permissions -> presets (preset_id));
diesel::joinable!(presets -> users (created_by));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(segments -> access_groups (group_id));
diesel::joinable!(send_batches -> message_templates (template_id));
diesel::joinable!(send_batches -> users (created_by));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(team_members_all -> teams (team_id));
diesel::joinable!(teams -> users (manager_id));
diesel::joinable!(two_factor -> users (user_id));
diesel::joinable!(user_presets_all -> presets (preset_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_group_grants_all,
    access_groups,
    access_review_items,
    access_reviews,
    api_tokens,
    app_settings,
    audit_log,
    automation_rules,
    bulk_run_changes,
    bulk_run_progress,
    bulk_runs,
    contact_access_groups,
    contact_owners_all,
    contact_tags,
    contacts,
    end_notices,
    forms,
    import_chunks,
    import_jobs,
    import_rejects,
    jobs,
    login_attempts,
    message_templates,
    notifications,
    outbox_messages,
    preset_permissions,
    presets,
    recovery_codes,
    segments,
    send_batches,
    sessions,
    setup_tokens,
    team_members_all,
    teams,
    two_factor,
    two_factor_roles,
    user_overrides_all,
    user_presets_all,
    user_wizards,
    users,
);
