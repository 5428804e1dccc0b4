//! Settings of user provisioning (SCIM): the role a provisioned user gets when the identity
//! provider names none (never Administrator: only an Administrator makes Administrators, by
//! hand or by naming the role explicitly), and the successor of users it deletes.

use crate::db::schema::app_settings;
use crate::permissions::Role;
use diesel::prelude::*;

const KEY: &str = "scim_default_role";

pub fn default_role(conn: &mut PgConnection) -> QueryResult<Role> {
    let v: Option<String> = app_settings::table.find(KEY).select(app_settings::value).first(conn).optional()?;
    Ok(v.and_then(|r| r.parse().ok()).filter(|r| *r != Role::Administrator).unwrap_or(Role::User))
}

/// Sets the default role; `false` (nothing written) for Administrator.
pub fn set_default_role(conn: &mut PgConnection, role: Role) -> QueryResult<bool> {
    if role == Role::Administrator {
        return Ok(false);
    }
    diesel::insert_into(app_settings::table)
        .values((app_settings::key.eq(KEY), app_settings::value.eq(role.as_str())))
        .on_conflict(app_settings::key)
        .do_update()
        .set(app_settings::value.eq(role.as_str()))
        .execute(conn)?;
    Ok(true)
}

const SUCCESSOR: &str = "scim_delete_successor";

/// Who receives what a user owns when the identity provider deletes them: the user an
/// Administrator configured, while that user is active. `None`: a SCIM DELETE deactivates.
pub fn delete_successor(conn: &mut PgConnection) -> QueryResult<Option<crate::accounts::User>> {
    let v: Option<String> = app_settings::table.find(SUCCESSOR).select(app_settings::value).first(conn).optional()?;
    let Some(id) = v.and_then(|v| v.parse::<i64>().ok()) else { return Ok(None) };
    Ok(crate::accounts::find(conn, id)?.filter(crate::accounts::User::is_active))
}

/// Sets (or, with `None`, clears) the successor of users the identity provider deletes.
pub fn set_delete_successor(conn: &mut PgConnection, user_id: Option<i64>) -> QueryResult<()> {
    match user_id {
        Some(id) => diesel::insert_into(app_settings::table)
            .values((app_settings::key.eq(SUCCESSOR), app_settings::value.eq(id.to_string())))
            .on_conflict(app_settings::key)
            .do_update()
            .set(app_settings::value.eq(id.to_string()))
            .execute(conn)?,
        None => diesel::delete(app_settings::table.find(SUCCESSOR)).execute(conn)?,
    };
    Ok(())
}

/// Creates the account of someone an identity provider vouches for (single sign-on's
/// just-in-time creation), with `role` (never Administrator), through the same validation as
/// the wizard: an email typed exactly (no surrounding spaces), valid and at most 254
/// characters, names of at most 100. Audited as made by single sign-on. The field errors say
/// what the provider sent wrong.
pub fn create_signed_on(
    conn: &mut PgConnection,
    email: &str,
    first_name: &str,
    last_name: &str,
    role: Role,
    ip: Option<String>,
) -> QueryResult<Result<crate::accounts::User, crate::validation::FieldErrors>> {
    use super::validate;
    let mut errors = crate::validation::FieldErrors::default();
    if email != email.trim() || email.chars().count() > 254 {
        errors.add("email", "The email must be an address alone, of at most 254 characters.");
    }
    validate::email(email, &mut errors);
    validate::name("first_name", first_name, &mut errors);
    validate::name("last_name", last_name, &mut errors);
    if role == Role::Administrator {
        errors.add("role", "Single sign-on never creates an Administrator.");
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let unusable =
        crate::auth::password::unusable_hash().map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
    let new = crate::accounts::NewUser {
        email,
        first_name: first_name.trim(),
        last_name: last_name.trim(),
        phone: None,
        password_hash: &unusable,
        role: role.as_str(),
    };
    // In a savepoint: an address another account holds in another case (the unique index folds
    // more than `accounts::same_email`) is a refusal, not a failed transaction.
    let user = match conn.transaction(|c| crate::accounts::create(c, &new)) {
        Ok(u) => u,
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            errors.add("email", "Another account already has this email.");
            return Ok(Err(errors));
        }
        Err(e) => return Err(e),
    };
    crate::audit::Entry::new(None, "user.create", "user", user.id)
        .after(serde_json::json!({ "via": "single sign-on", "email": email, "role": role.as_str() }))
        .ip(ip)
        .record(conn)?;
    Ok(Ok(user))
}
