//! Team records and their queries.

use crate::accounts::{self as users_model, User};
use crate::db::schema::{team_members, teams, users};
use crate::validation::FieldErrors;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Deserialize;

/// A team as the list shows it.
#[derive(QueryableByName, Debug)]
pub struct TeamRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub manager_email: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub members: i64,
}

/// Every team with its manager's email and member count, in one query.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<TeamRow>> {
    diesel::sql_query(
        "SELECT t.id, t.name, u.email AS manager_email, \
                (SELECT count(*) FROM team_members m WHERE m.team_id = t.id) AS members \
         FROM teams t LEFT JOIN users u ON u.id = t.manager_id \
         ORDER BY lower(t.name)",
    )
    .load(conn)
}

/// A team record.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub manager_id: Option<i64>,
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Team> {
    teams::table.find(id).select(Team::as_select()).first(conn)
}

/// The members of a team, by email.
pub fn members(conn: &mut PgConnection, team_id: i64) -> QueryResult<Vec<User>> {
    team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq(team_id))
        .order(users::email)
        .select(User::as_select())
        .load(conn)
}

/// (group id, group name, level) of every access group granted to a team.
pub fn granted_groups(conn: &mut PgConnection, team_id: i64) -> QueryResult<Vec<(i64, String, String)>> {
    use crate::db::schema::{access_group_grants, access_groups};
    access_group_grants::table
        .inner_join(access_groups::table)
        .filter(access_group_grants::team_id.eq(team_id))
        .order(access_groups::name)
        .select((access_groups::id, access_groups::name, access_group_grants::level))
        .load(conn)
}

/// The team as the audit log keeps it.
pub fn audit_json(conn: &mut PgConnection, team: &Team) -> QueryResult<serde_json::Value> {
    let manager_email: Option<String> = match team.manager_id {
        Some(id) => users::table.find(id).select(users::email).first(conn).optional()?,
        None => None,
    };
    Ok(serde_json::json!({
        "id": team.id,
        "name": team.name,
        "manager_id": team.manager_id,
        "manager_email": manager_email,
    }))
}

/// The team form (create and edit).
#[derive(Deserialize, Default, Debug, Clone)]
pub struct TeamForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub manager_email: String,
}

/// A checked team form.
pub struct ValidTeam {
    pub name: String,
    pub manager_id: Option<i64>,
}

/// An active user by email, or the message to show beside the field.
pub fn active_user_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Result<User, &'static str>> {
    if email.trim().is_empty() {
        return Ok(Err("Enter an email address."));
    }
    Ok(match users_model::find_by_email(conn, email)? {
        Some(u) if u.is_active() => Ok(u),
        Some(_) => Err("This user is not active."),
        None => Err("No user has this email."),
    })
}

impl TeamForm {
    /// Checks the form: a name unique case-insensitively (other than team `except`) and, when
    /// given, a manager who is an active user.
    pub fn validate(
        &self,
        conn: &mut PgConnection,
        except: Option<i64>,
    ) -> QueryResult<Result<ValidTeam, FieldErrors>> {
        let mut errors = FieldErrors::default();
        let name = self.name.trim();
        crate::validation::unique_name(name, 100, "Another team already has this name.", &mut errors, |name| {
            let mut q = teams::table.filter(crate::db::lower(teams::name).eq(crate::db::lower(name))).into_boxed();
            if let Some(id) = except {
                q = q.filter(teams::id.ne(id));
            }
            Ok(q.select(teams::id).first::<i64>(conn).optional()?.is_some())
        })?;
        let mut manager_id = None;
        if !self.manager_email.trim().is_empty() {
            match active_user_by_email(conn, &self.manager_email)? {
                Ok(u) => manager_id = Some(u.id),
                Err(msg) => errors.add("manager_email", msg),
            }
        }
        Ok(if errors.is_empty() { Ok(ValidTeam { name: name.to_string(), manager_id }) } else { Err(errors) })
    }
}

/// Runs `write` in a savepoint. A unique-name violation (two people saving the same name at
/// once, both past the check) becomes the field error `message` on "name" instead of a 500.
pub fn unique_name<T>(
    c: &mut PgConnection,
    message: &str,
    write: impl FnOnce(&mut PgConnection) -> QueryResult<T>,
) -> QueryResult<Result<T, FieldErrors>> {
    use diesel::result::{DatabaseErrorKind, Error};
    match c.transaction(write) {
        Ok(v) => Ok(Ok(v)),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            let mut errors = FieldErrors::default();
            errors.add("name", message);
            Ok(Err(errors))
        }
        Err(e) => Err(e),
    }
}
