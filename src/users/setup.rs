//! The first Administrator: on a first start with no users, start-up prints a one-time link;
//! following it creates the first account, as an Administrator. The link stops working once
//! it is used or once any user exists, so it can never add a second Administrator.

use crate::accounts::{self, NewUser};
use crate::audit;
use crate::db::schema::setup_tokens;
use crate::permissions::Role;
use chrono::Utc;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a setup token when no user exists yet; returns it so start-up can print the link.
pub fn issue_token_if_no_users(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    if accounts::any_exist(conn)? {
        return Ok(None);
    }
    use rand::distributions::{Alphanumeric, DistString};
    let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 40);
    diesel::insert_into(setup_tokens::table).values(setup_tokens::token_hash.eq(token_hash(&token))).execute(conn)?;
    Ok(Some(token))
}

/// A token is usable while unused and while there are still no users.
pub fn usable(conn: &mut PgConnection, token: &str) -> QueryResult<bool> {
    let unused = setup_tokens::table
        .filter(setup_tokens::token_hash.eq(token_hash(token)))
        .filter(setup_tokens::used_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    Ok(unused && !accounts::any_exist(conn)?)
}

/// The first Administrator's details, checked by the caller.
pub struct First<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: &'a str,
}

/// Uses `token` to create the first Administrator; `None` when the token is not (or no longer)
/// usable. Call it in one transaction: the token is spent by a conditional update, so two
/// submissions of one link create one account.
pub fn create_first_administrator(conn: &mut PgConnection, token: &str, first: &First) -> QueryResult<Option<i64>> {
    if accounts::any_exist(conn)? {
        return Ok(None);
    }
    let spent = diesel::update(
        setup_tokens::table
            .filter(setup_tokens::token_hash.eq(token_hash(token)))
            .filter(setup_tokens::used_at.is_null()),
    )
    .set(setup_tokens::used_at.eq(Utc::now()))
    .execute(conn)?;
    if spent == 0 {
        return Ok(None);
    }
    let user = accounts::create(
        conn,
        &NewUser {
            email: first.email.trim(),
            first_name: first.first_name.trim(),
            last_name: first.last_name.trim(),
            phone: None,
            password_hash: first.password_hash,
            role: Role::Administrator.as_str(),
        },
    )?;
    audit::Entry::new(Some(user.id), "user.create", "user", user.id).after(user.audit_json()).record(conn)?;
    Ok(Some(user.id))
}
