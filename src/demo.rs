//! Demo data for `--demo`: one user per role and a contact base that exercises every rule.

use crate::permissions::Role;
use crate::users::model::{self, NewUser};
use diesel::prelude::*;

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "custodian-demo-2026";

/// (email, first name, last name, role) of the demo users.
pub const DEMO_USERS: &[(&str, &str, &str, Role)] = &[
    ("admin@example.com", "Ada", "Admin", Role::Administrator),
    ("manager@example.com", "Max", "Manager", Role::Manager),
    ("marketer@example.com", "Mia", "Marketer", Role::Marketer),
    ("sales@example.com", "Sam", "Sales", Role::Salesperson),
    ("operator@example.com", "Olga", "Operator", Role::SendingOperator),
    ("user@example.com", "Uma", "User", Role::User),
];

/// Seeds the demo organisation once (does nothing when admin@example.com exists).
pub fn seed(conn: &mut PgConnection) -> anyhow::Result<()> {
    if model::find_by_email(conn, DEMO_USERS[0].0)?.is_some() {
        tracing::info!("demo data already present");
        return Ok(());
    }
    let hash = crate::auth::password::hash(DEMO_PASSWORD)?;
    conn.transaction(|c| -> anyhow::Result<()> {
        for (email, first, last, role) in DEMO_USERS {
            model::create(
                c,
                &NewUser { email, first_name: first, last_name: last, phone: None, password_hash: &hash, role: role.as_str() },
            )?;
        }
        Ok(())
    })?;
    tracing::info!("demo data seeded; every demo login uses the password {DEMO_PASSWORD}");
    Ok(())
}
