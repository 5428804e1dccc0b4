//! The user record (the `users` table) and its queries. It sits below `access`, which reads it
//! to decide, and below the `users` domain module, which manages accounts (wizard, lifecycle).

use crate::db::schema::users;
use crate::permissions::Role;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

/// A user as most screens need it (the avatar bytes are loaded only where shown).
#[derive(Queryable, Selectable, Identifiable, Debug, Clone, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub status: String,
    pub disable_export: bool,
    pub only_owned: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const ACTIVE: &str = "active";
pub const DEACTIVATED: &str = "deactivated";
pub const DELETED: &str = "deleted";

impl User {
    /// "First Last", or the email when no name was given.
    pub fn display_name(&self) -> String {
        let n = format!("{} {}", self.first_name.trim(), self.last_name.trim());
        let n = n.trim();
        if n.is_empty() {
            self.email.clone()
        } else {
            n.to_string()
        }
    }

    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::User)
    }

    pub fn is_active(&self) -> bool {
        self.status == ACTIVE
    }

    /// What the audit log keeps of a user (never the password hash).
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Finds a user by email, case-insensitively.
pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
    use crate::db::lower;
    users::table.filter(lower(users::email).eq(lower(email.trim()))).select(User::as_select()).first(conn).optional()
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<User>> {
    users::table.find(id).select(User::as_select()).first(conn).optional()
}

/// Whether any user exists (first start shows the setup link when none does).
pub fn any_exist(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
}

/// Fields of a new user.
#[derive(Insertable, Debug)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub phone: Option<&'a str>,
    pub password_hash: &'a str,
    pub role: &'a str,
}

/// Inserts a user holding their role's system preset.
pub fn create(conn: &mut PgConnection, new: &NewUser) -> QueryResult<User> {
    let user: User = diesel::insert_into(users::table).values(new).returning(User::as_returning()).get_result(conn)?;
    let role: Role = new.role.parse().unwrap_or(Role::User);
    crate::permissions::store::hold_system_preset(conn, user.id, role)?;
    Ok(user)
}

/// Filters of the users list.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Email fragment, case-insensitive.
    pub q: Option<String>,
    pub role: Option<Role>,
}

/// One page of users (deleted accounts excluded), newest first, plus whether more follow.
pub fn list(conn: &mut PgConnection, f: &ListFilter, page: i64, per_page: i64) -> QueryResult<(Vec<User>, bool)> {
    let mut query = users::table.filter(users::status.ne(DELETED)).into_boxed();
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(users::email.ilike(crate::db::sql::contains_pattern(q)));
    }
    if let Some(r) = f.role {
        query = query.filter(users::role.eq(r.as_str()));
    }
    let mut rows: Vec<User> = query
        .order(users::id.desc())
        .offset((page.max(1) - 1) * per_page)
        .limit(per_page + 1)
        .select(User::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}
