// Diesel table definitions, kept in step with migrations/ by hand (no diesel CLI needed to build).

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
    preset_permissions (preset_id, perm_key) {
        preset_id -> Int8,
        perm_key -> Text,
    }
}

diesel::table! {
    user_presets (user_id, preset_id) {
        user_id -> Int8,
        preset_id -> Int8,
    }
}

diesel::table! {
    user_overrides (user_id, perm_key) {
        user_id -> Int8,
        perm_key -> Text,
        granted -> Bool,
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
    login_attempts (key) {
        key -> Text,
        failures -> Int4,
        last_failure -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
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
    }
}

diesel::joinable!(preset_permissions -> presets (preset_id));
diesel::joinable!(user_presets -> presets (preset_id));
diesel::joinable!(user_presets -> users (user_id));
diesel::joinable!(user_overrides -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    presets,
    preset_permissions,
    user_presets,
    user_overrides,
    sessions,
    login_attempts,
    setup_tokens,
    app_settings,
    audit_log,
);
