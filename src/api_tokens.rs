//! Bearer tokens of the authorization API (SPEC 7).
//!
//! A token is random text shown once when it is created; the database keeps only its SHA-256
//! (hex), so a leaked table does not leak working tokens.
//!
//! Tokens are made and revoked by Administrators ([`issue`], [`withdraw`]: SPEC 7), and a token
//! carries its creator's authority as it is at each call: [`authenticate`] refuses the token of
//! a creator who is no longer an active Administrator holding `administration.settings`.

use crate::db::schema::{api_tokens, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// Every token starts with this, so a token found in a log or a repository is recognisable.
pub const PREFIX: &str = "cst_";

/// What a token may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The authorization API: `/api/v1/*` and AuthZEN's `/access/v1/*`.
    Authorization,
    /// User provisioning: SCIM 2.0 at `/scim/v2`.
    Scim,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Authorization, Scope::Scim];

    /// The value stored in `api_tokens.scopes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Authorization => "authorization",
            Scope::Scim => "scim",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Authorization => "Authorization API (/api/v1, AuthZEN)",
            Scope::Scim => "User provisioning (SCIM)",
        }
    }
}

/// A token as the list screen shows it.
#[derive(Queryable, Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created_by_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
}

impl TokenRow {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    /// What the audit log keeps of a token (never the token or its hash).
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({ "id": self.id, "name": self.name, "scopes": self.scopes, "revoked_at": self.revoked_at })
    }
}

/// The SHA-256 (hex) of a token: what is stored and looked up.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random token.
fn generate() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    format!("{PREFIX}{}", Alphanumeric.sample_string(&mut rand::thread_rng(), 40))
}

/// Every token, newest first, with the email of its creator (one query).
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<TokenRow>> {
    api_tokens::table
        .left_join(users::table)
        .order(api_tokens::id.desc())
        .select((
            api_tokens::id,
            api_tokens::name,
            users::email.nullable(),
            api_tokens::created_at,
            api_tokens::revoked_at,
            api_tokens::last_used_at,
            api_tokens::scopes,
        ))
        .load(conn)
}

/// One token by id.
pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<TokenRow> {
    api_tokens::table
        .left_join(users::table)
        .filter(api_tokens::id.eq(id))
        .select((
            api_tokens::id,
            api_tokens::name,
            users::email.nullable(),
            api_tokens::created_at,
            api_tokens::revoked_at,
            api_tokens::last_used_at,
            api_tokens::scopes,
        ))
        .first(conn)
}

/// Makes a token for `scopes` (at least one) as `who`, audited: only an Administrator may
/// (`access::authority::security`). Returns its id and the token itself (the only time it
/// exists in clear).
pub fn issue(
    conn: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    name: &str,
    scopes: &[Scope],
) -> Result<(i64, String), crate::access::Denied> {
    crate::access::authority::security(who)?;
    let (id, token) = create(conn, name, actor.id, scopes)?;
    let row = find(conn, id)?;
    crate::audit::Entry::by(actor, "api_token.create", "api_token", id).after(row.audit_json()).record(conn)?;
    Ok((id, token))
}

/// Revokes a token as `who`, audited (only an Administrator may). Returns its name.
pub fn withdraw(
    conn: &mut PgConnection,
    actor: &crate::audit::Actor,
    who: &crate::access::Subject,
    id: i64,
) -> Result<String, crate::access::Denied> {
    crate::access::authority::security(who)?;
    let before = find(conn, id)?;
    if revoke(conn, id)? {
        let after = find(conn, id)?;
        crate::audit::Entry::by(actor, "api_token.revoke", "api_token", id)
            .before(before.audit_json())
            .after(after.audit_json())
            .record(conn)?;
    }
    Ok(before.name)
}

/// Stores a new token for `scopes` with no check of who makes it: [`issue`] is the change;
/// this is its write, and how the tests and the benchmark set a token up.
pub fn create(conn: &mut PgConnection, name: &str, created_by: i64, scopes: &[Scope]) -> QueryResult<(i64, String)> {
    let token = generate();
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let id = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(hash(&token)),
            api_tokens::created_by.eq(created_by),
            api_tokens::scopes.eq(scopes),
        ))
        .returning(api_tokens::id)
        .get_result(conn)?;
    Ok((id, token))
}

/// Revokes a token; returns false when it was already revoked.
fn revoke(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    let n = diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)).filter(api_tokens::revoked_at.is_null()))
        .set(api_tokens::revoked_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(n == 1)
}

/// A live token, as a call presents it.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub id: i64,
    pub name: String,
    /// The Administrator who created it: a provisioning call acts with their authority.
    pub created_by: Option<i64>,
    pub scopes: Vec<String>,
}

impl Authenticated {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s == scope.as_str())
    }
}

/// Why a token presented by a call is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No such token, or revoked (401).
    Unknown,
    /// Its creator is gone, deactivated, or no longer holds what tokens need (403): a token
    /// never outlives its creator's authority.
    Creator(String),
}

/// The live (not revoked) token `token` whose creator, as they stand now, may still hold tokens
/// (`access::authority::security`). Records its use, at most once a minute per token so that
/// a busy integration does not write on every call.
pub fn authenticate(conn: &mut PgConnection, token: &str) -> QueryResult<Result<Authenticated, Refused>> {
    let Some(t) = find_live(conn, token)? else { return Ok(Err(Refused::Unknown)) };
    let creator = match t.created_by {
        Some(id) => crate::access::facts::subject(conn, id)?,
        None => None,
    };
    let Some(creator) = creator else { return Ok(Err(Refused::Creator("the token's creator is gone".into()))) };
    if let Err(e) = crate::access::authority::security(&creator) {
        return Ok(Err(Refused::Creator(format!("the token's creator may no longer hold tokens: {e}"))));
    }
    Ok(Ok(t))
}

fn find_live(conn: &mut PgConnection, token: &str) -> QueryResult<Option<Authenticated>> {
    // id, name, created_by, scopes, last_used_at
    type Row = (i64, String, Option<i64>, Vec<String>, Option<DateTime<Utc>>);
    let found: Option<Row> = api_tokens::table
        .filter(api_tokens::token_hash.eq(hash(token)))
        .filter(api_tokens::revoked_at.is_null())
        .select((
            api_tokens::id,
            api_tokens::name,
            api_tokens::created_by,
            api_tokens::scopes,
            api_tokens::last_used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, name, created_by, scopes, last_used)) = found else { return Ok(None) };
    let now = Utc::now();
    if last_used.is_none_or(|t| t < now - chrono::Duration::minutes(1)) {
        diesel::update(api_tokens::table.find(id)).set(api_tokens::last_used_at.eq(now)).execute(conn)?;
    }
    Ok(Some(Authenticated { id, name, created_by, scopes }))
}
