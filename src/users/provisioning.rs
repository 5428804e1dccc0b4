//! Settings of user provisioning (SCIM): the role a provisioned user gets when the identity
//! provider names none. Never Administrator: only an Administrator makes Administrators, by
//! hand or by naming the role explicitly.

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
