//! Fixed-window rate limits kept in the database, so every app instance sees the same counts.

use super::db::Db;
use crate::error::AppError;
use crate::vars;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window_secs: i64,
}

/// Wrong passwords for one account from one address, as a staircase that backs off: 5 in a
/// quarter hour, 10 in an hour, 20 in a day. Counted per (account, address) so that someone
/// else's guessing never locks the owner out; the per-address limit below caps spraying.
pub const LOGIN_PER_ACCOUNT_IP: [Limit; 3] = [
    Limit {
        max: 5,
        window_secs: 15 * 60,
    },
    Limit {
        max: 10,
        window_secs: 60 * 60,
    },
    Limit {
        max: 20,
        window_secs: 24 * 60 * 60,
    },
];
pub const LOGIN_PER_IP: Limit = Limit {
    max: 50,
    window_secs: 15 * 60,
};
pub const SIGNUP_PER_IP: Limit = Limit {
    max: 50,
    window_secs: 60 * 60,
};
pub const RESET_PER_EMAIL: Limit = Limit {
    max: 3,
    window_secs: 60 * 60,
};
pub const RESET_PER_IP: Limit = Limit {
    max: 20,
    window_secs: 60 * 60,
};
pub const COMMENT_PER_USER: Limit = Limit {
    max: 20,
    window_secs: 10 * 60,
};
/// Pledges started (or changed) per backer: generous for people, tight for card testers.
pub const PLEDGE_PER_USER: Limit = Limit {
    max: 30,
    window_secs: 60 * 60,
};
pub const UPLOAD_PER_USER: Limit = Limit {
    max: 30,
    window_secs: 60 * 60,
};

#[derive(serde::Deserialize)]
struct Row {
    hits: u32,
}

fn window(limit: Limit) -> (i64, i64) {
    let now = chrono::Utc::now().timestamp();
    let index = now / limit.window_secs;
    let ends = (index + 1) * limit.window_secs;
    (index, ends)
}

fn record_key(key: &str, index: i64) -> String {
    format!("{key}|{index}")
}

/// Fails with `RateLimited` once `key` has used up its window, without counting this call.
pub async fn check(db: &Db, key: &str, limit: Limit) -> Result<(), AppError> {
    let (index, ends) = window(limit);
    let row: Option<Row> = db
        .row(
            "SELECT hits FROM type::record('rate_limit', $id)",
            vars!("id" => record_key(key, index)),
        )
        .await
        .map_err(internal)?;
    match row {
        Some(r) if r.hits >= limit.max => Err(retry_after(ends)),
        _ => Ok(()),
    }
}

/// Counts one use of `key`; fails with `RateLimited` if that use is over the limit.
pub async fn hit(db: &Db, key: &str, limit: Limit) -> Result<(), AppError> {
    let (index, ends) = window(limit);
    let row: Option<Row> = db
        .row(
            "UPSERT type::record('rate_limit', $id) SET hits = (hits ?? 0) + 1, window_ends = $ends RETURN hits",
            vars!("id" => record_key(key, index), "ends" => ends),
        )
        .await
        .map_err(internal)?;
    match row {
        Some(r) if r.hits > limit.max => Err(retry_after(ends)),
        _ => Ok(()),
    }
}

/// Drops windows that have closed.
pub async fn sweep(db: &Db) -> Result<(), AppError> {
    db.run(
        "DELETE rate_limit WHERE window_ends < $now",
        vars!("now" => chrono::Utc::now().timestamp()),
    )
    .await
    .map_err(internal)
}

fn retry_after(ends: i64) -> AppError {
    let secs = (ends - chrono::Utc::now().timestamp()).max(1) as u64;
    AppError::RateLimited {
        retry_after_secs: secs,
    }
}

fn internal(e: super::db::DbError) -> AppError {
    tracing::error!(error = %e, "rate limit store failed");
    AppError::Internal
}
