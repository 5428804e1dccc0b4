//! "SSO only": an Administrator's switch that turns password sign-in off for everyone but
//! Administrators, once single sign-on is configured. Administrators always keep their
//! password (with two-factor, when they use it), so a broken identity provider never locks the
//! organisation out of its own console.

use crate::db::schema::app_settings;
use diesel::prelude::*;

const KEY: &str = "password_sign_in";
const ADMINISTRATORS_ONLY: &str = "administrators_only";

/// Whether password sign-in is limited to Administrators.
pub fn is_on(conn: &mut PgConnection) -> QueryResult<bool> {
    let v: Option<String> = app_settings::table.find(KEY).select(app_settings::value).first(conn).optional()?;
    Ok(v.as_deref() == Some(ADMINISTRATORS_ONLY))
}

pub fn set(conn: &mut PgConnection, on: bool) -> QueryResult<()> {
    if on {
        diesel::insert_into(app_settings::table)
            .values((app_settings::key.eq(KEY), app_settings::value.eq(ADMINISTRATORS_ONLY)))
            .on_conflict(app_settings::key)
            .do_update()
            .set(app_settings::value.eq(ADMINISTRATORS_ONLY))
            .execute(conn)?;
    } else {
        diesel::delete(app_settings::table.find(KEY)).execute(conn)?;
    }
    Ok(())
}

/// Active users who would lose password sign-in with "SSO only" on: everyone but Administrators.
pub fn affected(conn: &mut PgConnection) -> QueryResult<i64> {
    use crate::db::schema::users;
    users::table
        .filter(users::status.eq(crate::accounts::ACTIVE))
        .filter(users::role.ne(crate::permissions::Role::Administrator.as_str()))
        .count()
        .get_result(conn)
}
