//! Versioned schema migrations, applied in order at start-up. Each statement is written to be
//! safe to run twice (`IF NOT EXISTS`), and a version is recorded only after it succeeds, so a
//! crash mid-way or two instances starting together cannot leave the schema half-applied.

use super::db::{Db, DbError};
use crate::vars;

/// `(version, name, SurrealQL)`. Never edit a shipped migration; add a new one.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "accounts",
        include_str!("migrations/0001_accounts.surql"),
    ),
    (
        2,
        "identities",
        include_str!("migrations/0002_identities.surql"),
    ),
    (
        3,
        "campaigns",
        include_str!("migrations/0003_campaigns.surql"),
    ),
    (
        4,
        "payments",
        include_str!("migrations/0004_payments.surql"),
    ),
    (5, "courses", include_str!("migrations/0005_courses.surql")),
    (
        7,
        "course_assessment",
        include_str!("migrations/0007_course_assessment.surql"),
    ),
    (
        8,
        "moderation",
        include_str!("migrations/0008_moderation.surql"),
    ),
    (
        9,
        "disputes",
        include_str!("migrations/0009_disputes.surql"),
    ),
    (
        10,
        "payment_checks",
        include_str!("migrations/0010_payment_checks.surql"),
    ),
    (
        11,
        "money_flows",
        include_str!("migrations/0011_money_flows.surql"),
    ),
    (12, "access", include_str!("migrations/0012_access.surql")),
];

#[derive(serde::Deserialize)]
struct Applied {
    version: u32,
}

/// Applies every migration not yet recorded. Returns the versions it applied.
pub async fn migrate(db: &Db) -> Result<Vec<u32>, DbError> {
    db.run(
        "DEFINE TABLE IF NOT EXISTS migration SCHEMAFULL;
         DEFINE FIELD IF NOT EXISTS version ON migration TYPE int;
         DEFINE FIELD IF NOT EXISTS name ON migration TYPE string;
         DEFINE FIELD IF NOT EXISTS applied_at ON migration TYPE datetime DEFAULT time::now();
         DEFINE INDEX IF NOT EXISTS migration_version ON migration FIELDS version UNIQUE;",
        vars!(),
    )
    .await?;
    let applied: Vec<Applied> = db.rows("SELECT version FROM migration", vars!()).await?;
    let mut done = Vec::new();
    for (version, name, sql) in MIGRATIONS {
        if applied.iter().any(|a| a.version == *version) {
            continue;
        }
        tracing::info!(version, name, "applying migration");
        db.run(sql, vars!()).await?;
        let record = db
            .run(
                "CREATE migration SET version = $v, name = $n",
                vars!("v" => version, "n" => name),
            )
            .await;
        match record {
            Ok(()) => done.push(*version),
            // Another instance recorded it first; the statements were idempotent.
            Err(e) if e.is_unique_violation("migration_version") => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
