//! Report queries (server only): open reports, the content they point at, and resolving them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::rules::{self, OpenReport, EXCERPT_CHARS};
use super::{ReportedContent, ReportedItem, ReportedKind};
use crate::backend::db::Db;
use crate::backend::AppState;
use crate::error::{AppError, AppResult};
use crate::vars;

/// Items the queue shows at once; the oldest come first, the rest wait their turn.
pub const QUEUE_ITEMS: usize = 200;
/// Open reports read per pass (far more than a working queue holds).
const OPEN_REPORTS: usize = 5_000;

/// How an admin closed an item's reports (stored on each report as `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Hidden,
    Dismissed,
}

pub async fn open_reports(db: &Db) -> AppResult<Vec<OpenReport>> {
    #[derive(Deserialize)]
    struct Row {
        kind: String,
        target: String,
        reason: String,
        created_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = db
        .rows(
            &format!(
                "SELECT record::tb(target) AS kind, <string> record::id(target) AS target, reason,
                    created_at
                 FROM report WHERE resolved = false ORDER BY created_at LIMIT {OPEN_REPORTS}"
            ),
            vars!(),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match ReportedKind::from_table(&r.kind) {
            Some(kind) => Some(OpenReport {
                kind,
                target: r.target,
                reason: r.reason,
                created_at: r.created_at,
            }),
            None => {
                tracing::warn!(table = %r.kind, "a report on content the queue does not know");
                None
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct ContentRow {
    id: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    rating: Option<u8>,
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    author_handle: Option<String>,
    #[serde(default)]
    place_title: Option<String>,
    #[serde(default)]
    place_slug: Option<String>,
}

/// The content behind `ids` of one kind, by id (missing ids no longer exist).
async fn contents(
    db: &Db,
    kind: ReportedKind,
    ids: &[&str],
) -> AppResult<HashMap<String, ReportedContent>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (fields, prefix) = match kind {
        ReportedKind::Comment => (
            "body, hidden, author.display_name AS author_name, author.handle AS author_handle,
             campaign.title AS place_title, campaign.slug AS place_slug",
            "/c/",
        ),
        ReportedKind::Review => (
            "body, hidden, rating, user.display_name AS author_name, user.handle AS author_handle,
             course.title AS place_title, course.slug AS place_slug",
            "/courses/",
        ),
    };
    let rows: Vec<ContentRow> = db
        .rows(
            &format!(
                // The table name comes from the enum, never from input.
                "LET $recs = $ids.map(|$i| type::record('{table}', $i));
                 SELECT <string> record::id(id) AS id, {fields} FROM $recs",
                table = kind.table(),
            ),
            vars!("ids" => ids),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let content = ReportedContent {
                excerpt: rules::excerpt(&r.body, EXCERPT_CHARS),
                rating: r.rating,
                author_name: r.author_name.unwrap_or_default(),
                author_handle: r.author_handle.unwrap_or_default(),
                place_title: r.place_title.unwrap_or_default(),
                place_url: r
                    .place_slug
                    .map(|s| format!("{prefix}{s}"))
                    .unwrap_or_default(),
                hidden: r.hidden,
            };
            (r.id, content)
        })
        .collect())
}

/// The queue: open reports grouped by item, oldest first, with what each item is.
pub async fn queue(db: &Db) -> AppResult<Vec<ReportedItem>> {
    let mut groups = rules::group(open_reports(db).await?);
    groups.truncate(QUEUE_ITEMS);
    let ids_of = |kind: ReportedKind| -> Vec<&str> {
        groups
            .iter()
            .filter(|g| g.kind == kind)
            .map(|g| g.target.as_str())
            .collect()
    };
    let comments = contents(db, ReportedKind::Comment, &ids_of(ReportedKind::Comment)).await?;
    let reviews = contents(db, ReportedKind::Review, &ids_of(ReportedKind::Review)).await?;
    Ok(groups
        .into_iter()
        .map(|g| {
            let known = match g.kind {
                ReportedKind::Comment => &comments,
                ReportedKind::Review => &reviews,
            };
            ReportedItem {
                kind: g.kind,
                content: known.get(&g.target).cloned(),
                id: g.target,
                reports: g.reports,
                reasons: g.reasons,
                first_reported: g.first_reported,
            }
        })
        .collect())
}

pub async fn exists(db: &Db, kind: ReportedKind, id: &str) -> AppResult<bool> {
    let found: Option<String> = db
        .row(
            "SELECT VALUE <string> record::id(id) FROM type::record($tb, $id)",
            vars!("tb" => kind.table(), "id" => id),
        )
        .await?;
    Ok(found.is_some())
}

pub async fn open_count(db: &Db, kind: ReportedKind, id: &str) -> AppResult<u64> {
    let n: Option<u64> = db
        .row(
            "RETURN count((SELECT VALUE id FROM report
                WHERE target = type::record($tb, $id) AND resolved = false))",
            vars!("tb" => kind.table(), "id" => id),
        )
        .await?;
    Ok(n.unwrap_or(0))
}

/// Hides the content through the same store calls its page's moderators use.
pub async fn hide(state: &AppState, kind: ReportedKind, id: &str) -> AppResult<()> {
    match kind {
        ReportedKind::Comment => {
            let (campaign, _) = crate::campaigns::talk_store::comment_target(&state.db, id)
                .await?
                .ok_or(AppError::NotFound)?;
            crate::campaigns::talk_store::set_hidden(&state.db, id, true).await?;
            // Visitors read a cached first page of comments; it must not keep the hidden text.
            state.comments_cache.remove(&campaign);
            Ok(())
        }
        ReportedKind::Review => crate::courses::store::hide_review(&state.db, id).await,
    }
}

/// Resolves every open report on the item, recording who and how. Answers how many.
pub async fn resolve(
    db: &Db,
    kind: ReportedKind,
    id: &str,
    admin: &str,
    outcome: Outcome,
) -> AppResult<u32> {
    let ids: Vec<String> = db
        .rows(
            "UPDATE report SET resolved = true, resolved_by = type::record('user', $admin),
                resolved_at = time::now(), outcome = $outcome
             WHERE target = type::record($tb, $id) AND resolved = false
             RETURN VALUE <string> record::id(id)",
            vars!("tb" => kind.table(), "id" => id, "admin" => admin, "outcome" => outcome),
        )
        .await?;
    Ok(u32::try_from(ids.len()).unwrap_or(u32::MAX))
}
