//! The SurrealDB handle. Rows cross the boundary as JSON and are decoded with serde, so model
//! types stay plain serde types that the browser build can share.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use surrealdb::engine::any::Any;
use surrealdb::Surreal;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Surreal(#[from] surrealdb::Error),
    #[error("decoding a database row: {0}")]
    Decode(#[from] serde_json::Error),
}

impl DbError {
    /// Another transaction wrote the same records first; running again may succeed.
    pub fn is_conflict(&self) -> bool {
        self.to_string().to_lowercase().contains("conflict")
    }

    /// True when a unique index refused the write; `index` names which one.
    pub fn is_unique_violation(&self, index: &str) -> bool {
        let msg = self.to_string();
        msg.contains(index) && (msg.contains("already contains") || msg.contains("unique"))
    }
}

/// Cheap to clone. The SDK's own `Surreal::clone` opens a new engine-side session each time
/// (and closes it on drop, through a queue): cloned per request, sessions piled up faster than
/// the engine dropped them (measured: +5.5 KB RSS per request, stalls of a minute under load).
/// One shared handle keeps one session, with namespace and database chosen once.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Surreal<Any>>,
}

impl Db {
    pub async fn connect(url: &str, user: Option<&str>, pass: Option<&str>) -> Result<Db, DbError> {
        let url = if url == "memory" { "mem://" } else { url };
        let inner = surrealdb::engine::any::connect(url).await?;
        if let (Some(username), Some(password)) = (user, pass) {
            inner
                .signin(surrealdb::opt::auth::Root {
                    username: username.to_string(),
                    password: password.to_string(),
                })
                .await?;
        }
        inner.use_ns("cohort").use_db("cohort").await?;
        Ok(Db {
            inner: Arc::new(inner),
        })
    }

    /// Runs `sql` with `vars` bound and decodes the rows of its last statement.
    #[tracing::instrument(level = "debug", skip(self, vars), err)]
    pub async fn rows<T: DeserializeOwned>(
        &self,
        sql: &str,
        vars: serde_json::Value,
    ) -> Result<Vec<T>, DbError> {
        let mut res = checked(self.inner.query(sql).bind(vars).await?)?;
        let last = res.num_statements().saturating_sub(1);
        let rows: Vec<serde_json::Value> = res.take(last)?;
        Ok(serde_json::from_value(serde_json::Value::Array(rows))?)
    }

    /// Like [`Db::rows`] for a transaction that other writers may touch at the same moment
    /// (shared counters): a write conflict is retried with a growing, jittered wait, so the
    /// caller only sees one when it persists.
    pub async fn rows_retrying<T: DeserializeOwned>(
        &self,
        sql: &str,
        vars: serde_json::Value,
    ) -> Result<Vec<T>, DbError> {
        let mut wait = 2u64;
        let mut tries = 0;
        loop {
            match self.rows(sql, vars.clone()).await {
                Err(e) if e.is_conflict() && tries < 12 => {
                    tries += 1;
                    let jitter = rand::random::<u64>() % wait;
                    tokio::time::sleep(std::time::Duration::from_millis(wait + jitter)).await;
                    wait = (wait * 2).min(250);
                }
                other => return other,
            }
        }
    }

    /// The first row of the last statement, if any.
    pub async fn row<T: DeserializeOwned>(
        &self,
        sql: &str,
        vars: serde_json::Value,
    ) -> Result<Option<T>, DbError> {
        Ok(self.rows(sql, vars).await?.into_iter().next())
    }

    /// Runs statements for their effect only.
    #[tracing::instrument(level = "debug", skip(self, vars), err)]
    pub async fn run(&self, sql: &str, vars: serde_json::Value) -> Result<(), DbError> {
        checked(self.inner.query(sql).bind(vars).await?)?;
        Ok(())
    }

    /// Cheap round trip for `/healthz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.inner.query("RETURN 1").await?.check()?;
        Ok(())
    }
}

/// The response, or its root error: in a failed transaction every statement reports "not
/// executed due to a failed transaction", and the one that actually failed (the `THROW`, the
/// index violation) is what callers match on.
fn checked(mut res: surrealdb::IndexedResults) -> Result<surrealdb::IndexedResults, DbError> {
    let mut errors: Vec<(usize, surrealdb::Error)> = res.take_errors().into_iter().collect();
    if errors.is_empty() {
        return Ok(res);
    }
    errors.sort_by_key(|(i, _)| *i);
    let root = errors
        .iter()
        .position(|(_, e)| !e.to_string().contains("due to a failed transaction"))
        .unwrap_or(0);
    Err(DbError::Surreal(errors.swap_remove(root).1))
}

/// Builds a bind object: `vars!{ "id" => id, "n" => 3 }`.
#[macro_export]
macro_rules! vars {
    () => { serde_json::json!({}) };
    ($($k:literal => $v:expr),+ $(,)?) => { serde_json::json!({ $($k: $v),+ }) };
}
