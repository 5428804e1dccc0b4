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
    pub last_sign_in_at: Option<DateTime<Utc>>,
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
/// The users of `ids` that exist, in id order.
pub fn find_many(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<User>> {
    users::table.filter(users::id.eq_any(ids)).order(users::id).select(User::as_select()).load(conn)
}

/// The one email identity: two addresses are the same account's when they are equal once
/// trimmed and with ASCII letters folded to lower case. Nothing else is folded: PostgreSQL's
/// `lower()` would make `admİn@…` (U+0130) or a Kelvin sign `K` equal to ASCII letters, and a
/// provider asserting such an address would sign in as someone else.
pub fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The user whose email is `email` ([`same_email`]). The index on `lower(email)` finds the
/// candidates; only an exact match under [`same_email`] is the user.
pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
    use crate::db::lower;
    let candidates: Vec<User> =
        users::table.filter(lower(users::email).eq(lower(email.trim()))).select(User::as_select()).load(conn)?;
    Ok(candidates.into_iter().find(|u| same_email(&u.email, email)))
}

/// The (email, id) of the users whose email is one of `lowered` (lower-cased), in one query.
pub fn ids_by_email(conn: &mut PgConnection, lowered: &[&str]) -> QueryResult<Vec<(String, i64)>> {
    if lowered.is_empty() {
        return Ok(Vec::new());
    }
    users::table.filter(crate::db::lower(users::email).eq_any(lowered)).select((users::email, users::id)).load(conn)
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
    /// A fragment of the email or the name ("Grace Hop"), case-insensitive.
    pub q: Option<String>,
    pub role: Option<Role>,
    /// `active` or `deactivated` (deleted users are never listed).
    pub status: Option<String>,
    /// Whether they have confirmed two-factor sign-in.
    pub two_factor: Option<bool>,
    pub sort: UserSort,
    /// Descending (newest, Z–A, most recent sign-in first) instead of ascending.
    pub descending: bool,
}

/// The orders of the users list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UserSort {
    /// By creation (id).
    #[default]
    Created,
    Name,
    Email,
    /// By last sign-in; never signed in counts as the oldest.
    LastSignIn,
}

impl UserSort {
    pub const ALL: [UserSort; 4] = [UserSort::Created, UserSort::Name, UserSort::Email, UserSort::LastSignIn];

    pub fn key(self) -> &'static str {
        match self {
            UserSort::Created => "created",
            UserSort::Name => "name",
            UserSort::Email => "email",
            UserSort::LastSignIn => "last_sign_in",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UserSort::Created => "Created",
            UserSort::Name => "Name",
            UserSort::Email => "Email",
            UserSort::LastSignIn => "Last sign-in",
        }
    }

    pub fn parse(s: &str) -> Option<UserSort> {
        UserSort::ALL.into_iter().find(|x| x.key() == s)
    }
}

/// One page of users (deleted accounts excluded) in the filter's order, with the number of
/// users matching (the list says "1–24 of N"; a count of users costs next to nothing).
pub fn list(conn: &mut PgConnection, f: &ListFilter, page: i64, per_page: i64) -> QueryResult<(Vec<User>, i64)> {
    let filtered = || {
        let mut query = users::table.filter(users::status.ne(DELETED)).into_boxed();
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let p = crate::db::sql::contains_pattern(q);
            let full_name = users::first_name.concat(" ").concat(users::last_name);
            query = query
                .filter(users::email.ilike(p.clone()).or(full_name.ilike(p.clone())).or(users::last_name.ilike(p)));
        }
        if let Some(r) = f.role {
            query = query.filter(users::role.eq(r.as_str()));
        }
        if let Some(st) = f.status.as_deref().filter(|s| [ACTIVE, DEACTIVATED].contains(s)) {
            query = query.filter(users::status.eq(st.to_string()));
        }
        if let Some(enrolled) = f.two_factor {
            use crate::db::schema::two_factor;
            let confirmed = diesel::dsl::exists(
                two_factor::table
                    .filter(two_factor::user_id.eq(users::id))
                    .filter(two_factor::confirmed_at.is_not_null()),
            );
            query = if enrolled { query.filter(confirmed) } else { query.filter(diesel::dsl::not(confirmed)) };
        }
        query
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let query = filtered();
    // Every order ends with the id, so pages never overlap or skip.
    let query = match (f.sort, f.descending) {
        (UserSort::Created, false) => query.order(users::id.asc()),
        (UserSort::Created, true) => query.order(users::id.desc()),
        (UserSort::Name, false) => query.order((users::last_name.asc(), users::first_name.asc(), users::id.asc())),
        (UserSort::Name, true) => query.order((users::last_name.desc(), users::first_name.desc(), users::id.desc())),
        (UserSort::Email, false) => query.order((users::email.asc(), users::id.asc())),
        (UserSort::Email, true) => query.order((users::email.desc(), users::id.desc())),
        (UserSort::LastSignIn, false) => query.order((users::last_sign_in_at.asc().nulls_first(), users::id.asc())),
        (UserSort::LastSignIn, true) => query.order((users::last_sign_in_at.desc().nulls_last(), users::id.desc())),
    };
    let rows = query.offset((page.max(1) - 1) * per_page).limit(per_page).select(User::as_select()).load(conn)?;
    Ok((rows, total))
}

/// An active user by email, or the message to show beside the field.
pub fn active_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Result<User, &'static str>> {
    if email.trim().is_empty() {
        return Ok(Err("Enter an email address."));
    }
    Ok(match find_by_email(conn, email)? {
        Some(u) if u.is_active() => Ok(u),
        Some(_) => Err("This user is not active."),
        None => Err("No user has this email."),
    })
}

/// An active user by id, or what is wrong with them.
pub fn active_by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Result<User, &'static str>> {
    Ok(match find(conn, id)? {
        Some(u) if u.is_active() => Ok(u),
        Some(_) => Err("This user is not active."),
        None => Err("No such user."),
    })
}

/// Up to `limit` active users whose email or name contains `q` (case-insensitively), those
/// whose email starts with it first: the matches of a user picker. A thousand users are a
/// scan of a thousand short rows; no index is needed at that size.
pub fn pick(conn: &mut PgConnection, q: &str, limit: i64) -> QueryResult<Vec<User>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let q = q.trim();
    let pattern = crate::db::sql::contains_pattern(q);
    let full_name = sql::<Text>("(first_name || ' ' || last_name)");
    users::table
        .filter(users::status.eq(ACTIVE))
        .filter(users::email.ilike(&pattern).or(full_name.ilike(&pattern)))
        .order((
            sql::<Bool>("NOT (lower(email) LIKE ")
                .bind::<Text, _>(crate::db::sql::starts_with_pattern(&q.to_lowercase()))
                .sql(")"),
            users::email,
        ))
        .limit(limit)
        .select(User::as_select())
        .load(conn)
}

/// Records a completed sign-in.
pub fn record_sign_in(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::update(users::table.find(id)).set(users::last_sign_in_at.eq(Utc::now())).execute(conn).map(|_| ())
}

/// The stored avatar of user `id` (`None`: no such user; `Some(None)`: no picture).
pub fn avatar(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Option<Vec<u8>>>> {
    users::table.find(id).select(users::avatar).first(conn).optional()
}

/// The users who are not deleted, by id, each with the identity provider's id (`externalId`):
/// the directory as provisioning reads it.
pub fn directory(conn: &mut PgConnection, only: Option<i64>) -> QueryResult<Vec<(User, Option<String>)>> {
    let mut q = users::table
        .filter(users::status.ne(DELETED))
        .order(users::id)
        .select((User::as_select(), users::external_id))
        .into_boxed();
    if let Some(id) = only {
        q = q.filter(users::id.eq(id));
    }
    q.load(conn)
}

/// Sets the identity provider's id of a user; `Ok(false)` when another user has it. In a
/// savepoint, so the caller's transaction stays usable after a refusal.
pub fn set_external_id(conn: &mut PgConnection, id: i64, external_id: Option<&str>) -> QueryResult<bool> {
    use diesel::result::{DatabaseErrorKind, Error};
    match conn.transaction(|c| diesel::update(users::table.find(id)).set(users::external_id.eq(external_id)).execute(c))
    {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}
