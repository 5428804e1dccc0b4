//! An actix-session store backed by the `sessions` table.
//!
//! The cookie carries a random key; the table keeps its SHA-256, the state and the expiry.
//! Deleting a row (or all rows of a user) signs that browser out at once. Rows also carry
//! the signed-in user's id so every session of a user can be ended together.

use crate::db::schema::sessions;
use crate::db::Db;
use crate::error::AppError;
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The session-state key under which the signed-in user's id is kept.
pub const USER_ID_KEY: &str = "uid";

type State = HashMap<String, String>;

/// How often, at most, a session's idle expiry is written back.
const EXTEND_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone)]
pub struct PgSessionStore {
    db: Db,
    /// When this process last extended each session (row id): a request within
    /// [`EXTEND_EVERY`] of that costs no database round trip.
    extended: std::sync::Arc<std::sync::Mutex<HashMap<String, std::time::Instant>>>,
}

impl PgSessionStore {
    pub fn new(db: Db) -> Self {
        PgSessionStore { db, extended: Default::default() }
    }

    /// Whether `id` needs its expiry written now; if so, records that it is being written.
    fn due(&self, id: &str) -> bool {
        let now = std::time::Instant::now();
        let mut map = self.extended.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(id).is_some_and(|t| now.duration_since(*t) < EXTEND_EVERY) {
            return false;
        }
        if map.len() > 10_000 {
            map.retain(|_, t| now.duration_since(*t) < EXTEND_EVERY);
        }
        map.insert(id.to_string(), now);
        true
    }
}

fn row_id(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn expiry(ttl: &Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

/// The user id in a session state (values are JSON-encoded by actix-session).
fn user_of(state: &State) -> Option<i64> {
    state.get(USER_ID_KEY).and_then(|v| serde_json::from_str(v).ok())
}

fn encode(state: &State) -> anyhow::Result<String> {
    Ok(serde_json::to_string(state)?)
}

fn to_anyhow(e: AppError) -> anyhow::Error {
    anyhow::anyhow!(e.to_string())
}

impl SessionStore for PgSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id = row_id(key.as_ref());
        let row: Option<String> = self
            .db
            .run(move |c| {
                Ok(sessions::table
                    .filter(sessions::id.eq(id))
                    .filter(sessions::expires_at.gt(Utc::now()))
                    .select(sessions::state)
                    .first(c)
                    .optional()?)
            })
            .await
            .map_err(|e| LoadError::Other(to_anyhow(e)))?;
        match row {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s).map(Some).map_err(|e| LoadError::Deserialization(e.into())),
        }
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = Alphanumeric.sample_string(&mut rand::thread_rng(), 64);
        let id = row_id(&key);
        let body = encode(&state).map_err(SaveError::Serialization)?;
        let user = user_of(&state);
        let expires = expiry(ttl);
        self.db
            .run(move |c| {
                diesel::insert_into(sessions::table)
                    .values((
                        sessions::id.eq(id),
                        sessions::user_id.eq(user),
                        sessions::state.eq(body),
                        sessions::expires_at.eq(expires),
                    ))
                    .execute(c)?;
                Ok(())
            })
            .await
            .map_err(|e| SaveError::Other(to_anyhow(e)))?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(&self, key: SessionKey, state: State, ttl: &Duration) -> Result<SessionKey, UpdateError> {
        let id = row_id(key.as_ref());
        let body = encode(&state).map_err(UpdateError::Serialization)?;
        let user = user_of(&state);
        let expires = expiry(ttl);
        let updated = self
            .db
            .run(move |c| {
                Ok(diesel::update(sessions::table.filter(sessions::id.eq(id)))
                    .set((sessions::user_id.eq(user), sessions::state.eq(body), sessions::expires_at.eq(expires)))
                    .execute(c)?)
            })
            .await
            .map_err(|e| UpdateError::Other(to_anyhow(e)))?;
        if updated == 0 {
            // The row was deleted meanwhile (signed out elsewhere): start a fresh session
            // rather than resurrect the old one.
            return self.save(without_user(state), ttl).await.map_err(|e| match e {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            });
        }
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let id = row_id(key.as_ref());
        if !self.due(&id) {
            return Ok(());
        }
        let expires = expiry(ttl);
        // Idle expiry is extended on each request, but written at most once a minute.
        let stale_before = expires - chrono::Duration::seconds(60);
        self.db
            .run(move |c| {
                diesel::update(
                    sessions::table.filter(sessions::id.eq(id)).filter(sessions::expires_at.lt(stale_before)),
                )
                .set(sessions::expires_at.eq(expires))
                .execute(c)?;
                Ok(())
            })
            .await
            .map_err(to_anyhow)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = row_id(key.as_ref());
        self.db
            .run(move |c| {
                diesel::delete(sessions::table.filter(sessions::id.eq(id))).execute(c)?;
                Ok(())
            })
            .await
            .map_err(to_anyhow)
    }
}

fn without_user(mut state: State) -> State {
    state.remove(USER_ID_KEY);
    state
}

/// Ends every session of a user (deactivation, deletion, password change by an admin).
pub fn end_sessions_of(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

/// How many sessions of a user are live (not expired).
pub fn live_sessions_of(conn: &mut PgConnection, user_id: i64) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(Utc::now()))
        .count()
        .get_result(conn)
}

/// Removes expired rows; called now and then so the table does not grow without bound.
pub fn purge_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.lt(Utc::now()))).execute(conn)
}
