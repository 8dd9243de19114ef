//! tower-sessions' store backed by SurrealDB: sessions survive restarts and are shared by every
//! app instance. The signed-in user is copied out of the record so that a password reset can end
//! all of that user's sessions at once. Records are keyed by the SHA-256 of the session id (the
//! cookie's value), so a leaked database or backup holds no cookie that signs anyone in.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

use super::db::Db;
use super::security::token_hash;
use crate::vars;

pub const USER_KEY: &str = "user_id";

#[derive(Clone)]
pub struct SurrealSessionStore {
    db: Db,
}

impl std::fmt::Debug for SurrealSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SurrealSessionStore")
    }
}

impl SurrealSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(serde::Deserialize)]
struct Row {
    record: String,
}

/// The record key for a session id: never the id itself.
pub fn session_key(id: &Id) -> String {
    token_hash(&id.to_string())
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for SurrealSessionStore {
    /// `CREATE` fails if the id exists, so a (vanishingly unlikely) collision draws a new id
    /// instead of overwriting someone else's session.
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            let json = serde_json::to_string(&*record).map_err(|e| Error::Encode(e.to_string()))?;
            let user = record
                .data
                .get(USER_KEY)
                .and_then(|v| v.as_str())
                .map(str::to_string);
            let created = self
                .db
                .run(
                    "CREATE type::record('session', $id) SET record = $record, user = $user ?? NONE, expires_unix = $exp",
                    vars!("id" => session_key(&record.id), "record" => json, "user" => user,
                          "exp" => record.expiry_date.unix_timestamp()),
                )
                .await;
            match created {
                Ok(()) => return Ok(()),
                Err(e) if e.to_string().contains("already exists") => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let json = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        let user = record
            .data
            .get(USER_KEY)
            .and_then(|v| v.as_str())
            .map(str::to_string);
        self.db
            .run(
                "UPSERT type::record('session', $id) SET record = $record, user = $user ?? NONE, expires_unix = $exp",
                vars!("id" => session_key(&record.id), "record" => json, "user" => user,
                      "exp" => record.expiry_date.unix_timestamp()),
            )
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row: Option<Row> = self
            .db
            .row(
                "SELECT record FROM type::record('session', $id) WHERE expires_unix > $now",
                vars!("id" => session_key(id), "now" => chrono::Utc::now().timestamp()),
            )
            .await
            .map_err(backend)?;
        row.map(|r| serde_json::from_str(&r.record).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.db
            .run(
                "DELETE type::record('session', $id)",
                vars!("id" => session_key(id)),
            )
            .await
            .map_err(backend)
    }
}

/// Ends every session of `user_id` (after a password reset).
pub async fn delete_user_sessions(
    db: &Db,
    user_id: &str,
) -> std::result::Result<(), super::db::DbError> {
    db.run(
        "DELETE session WHERE user = $user",
        vars!("user" => user_id),
    )
    .await
}

/// Drops expired sessions.
pub async fn sweep(db: &Db) -> std::result::Result<(), super::db::DbError> {
    db.run(
        "DELETE session WHERE expires_unix < $now",
        vars!("now" => chrono::Utc::now().timestamp()),
    )
    .await
}
