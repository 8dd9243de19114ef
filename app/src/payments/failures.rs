//! Settlement failures, one per campaign or milestone stage: why the last attempt failed and
//! when the next one is due (backing off from 30 s to an hour). A failure stays on its own
//! campaign or stage, shown to admins on `/admin/payments`, and never holds up the others.

use chrono::{DateTime, Duration, Utc};

use crate::backend::db::Db;
use crate::error::AppResult;
use crate::vars;

/// Why settling a campaign or a stage failed this time, in words for an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl From<crate::error::AppError> for Failure {
    fn from(e: crate::error::AppError) -> Failure {
        Failure(e.to_string())
    }
}

impl From<crate::backend::db::DbError> for Failure {
    fn from(e: crate::backend::db::DbError) -> Failure {
        Failure(e.to_string())
    }
}

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff(attempts: u32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    Duration::seconds(secs.min(3600))
}

/// The record's id: `[campaign, stage]`, with -1 for the campaign itself.
fn key(stage: Option<usize>) -> i64 {
    stage.map(|s| s as i64).unwrap_or(-1)
}

/// True while the last failure's wait has not run out (the pass leaves it alone).
pub async fn backing_off(
    db: &Db,
    campaign: &str,
    stage: Option<usize>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let next: Option<DateTime<Utc>> = db
        .row(
            "SELECT VALUE next_at FROM type::record('settle_failure', [$c, $s])",
            vars!("c" => campaign, "s" => key(stage)),
        )
        .await?;
    Ok(next.is_some_and(|at| at > now))
}

/// Records a failure: the attempt is counted in the database and the next one scheduled.
pub async fn record(
    db: &Db,
    campaign: &str,
    stage: Option<usize>,
    why: &Failure,
    now: DateTime<Utc>,
) -> AppResult<()> {
    tracing::warn!(campaign, ?stage, reason = %why.0, "settlement failed; retried later");
    let attempts: Option<u32> = db
        .row(
            "UPSERT type::record('settle_failure', [$c, $s]) SET
                campaign = type::record('campaign', $c), stage = $stage ?? NONE, reason = $why,
                attempts = (attempts ?? 0) + 1, next_at = <datetime>$now, at = time::now()
             RETURN VALUE attempts",
            vars!("c" => campaign, "s" => key(stage), "stage" => stage, "why" => &why.0,
                "now" => now),
        )
        .await?;
    let next = now + backoff(attempts.unwrap_or(1));
    db.run(
        "UPDATE type::record('settle_failure', [$c, $s]) SET next_at = <datetime>$next",
        vars!("c" => campaign, "s" => key(stage), "next" => next),
    )
    .await?;
    Ok(())
}

/// The campaign or stage settled: its failure (if any) goes.
pub async fn clear(db: &Db, campaign: &str, stage: Option<usize>) -> AppResult<()> {
    db.run(
        "DELETE type::record('settle_failure', [$c, $s])",
        vars!("c" => campaign, "s" => key(stage)),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_half_a_minute_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(8), Duration::seconds(3600));
        assert_eq!(backoff(1000), Duration::seconds(3600));
    }
}
