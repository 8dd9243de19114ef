//! The moderation queue (`/admin/reports`): open reports on comments and reviews, grouped by
//! item, and the two ways an admin closes them — hide the content, or dismiss the reports.
//! Types and server functions here; pure rules in `rules`, queries in `store` (server only),
//! the page in `page`, its sentences in `text`. See docs/campaigns.md, "Moderation".

pub mod page;
pub mod rules;
pub mod text;

#[cfg(feature = "ssr")]
pub mod store;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What kind of content a report points at (the table its target lives in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportedKind {
    /// A comment on a campaign page.
    Comment,
    /// A learner's review of a course.
    Review,
}

impl ReportedKind {
    pub fn table(self) -> &'static str {
        match self {
            ReportedKind::Comment => "comment",
            ReportedKind::Review => "review",
        }
    }

    pub fn from_table(table: &str) -> Option<ReportedKind> {
        match table {
            "comment" => Some(ReportedKind::Comment),
            "review" => Some(ReportedKind::Review),
            _ => None,
        }
    }
}

/// One reason people gave, and how many gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u32,
}

/// What was reported, as the queue shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedContent {
    /// A short plain-text excerpt (see [`rules::excerpt`]).
    pub excerpt: String,
    /// A review's stars.
    pub rating: Option<u8>,
    pub author_name: String,
    pub author_handle: String,
    /// The campaign or course the content lives on, and its page.
    pub place_title: String,
    pub place_url: String,
    pub hidden: bool,
}

/// One reported item with its open reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedItem {
    pub kind: ReportedKind,
    pub id: String,
    /// `None` when the content no longer exists (its reports can still be dismissed).
    pub content: Option<ReportedContent>,
    /// How many people reported it (open reports only).
    pub reports: u32,
    pub reasons: Vec<ReasonCount>,
    pub first_reported: DateTime<Utc>,
}

/// Items with open reports, first reported longest ago first (admins only).
#[server(endpoint = "report_queue")]
pub async fn report_queue() -> Result<Vec<ReportedItem>, AppError> {
    use crate::accounts::model::Role;
    use crate::backend::request::{require_role, respond, state};
    respond(
        async {
            require_role(Role::Admin).await?;
            store::queue(&state()?.db).await
        }
        .await,
    )
}

/// Hides a reported comment or review the way its creator or an admin would from its page,
/// then resolves every open report on it. Answers with how many reports it resolved.
#[server(endpoint = "hide_reported")]
pub async fn hide_reported(csrf: String, kind: String, id: String) -> Result<u32, AppError> {
    use crate::backend::request::respond;
    respond(ssr::resolve(&csrf, &kind, &id, store::Outcome::Hidden).await)
}

/// Resolves every open report on an item and keeps the content as it is.
#[server(endpoint = "dismiss_reports")]
pub async fn dismiss_reports(csrf: String, kind: String, id: String) -> Result<u32, AppError> {
    use crate::backend::request::respond;
    respond(ssr::resolve(&csrf, &kind, &id, store::Outcome::Dismissed).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{store, ReportedKind};
    use crate::accounts::model::Role;
    use crate::backend::request::{check_csrf, require_role, state};
    use crate::error::{AppError, AppResult};

    /// The one path both actions take: token, admin, an item that exists and still has open
    /// reports (else nothing changes), then the content hidden if asked, then the reports.
    pub async fn resolve(
        csrf: &str,
        kind: &str,
        id: &str,
        outcome: store::Outcome,
    ) -> AppResult<u32> {
        check_csrf(csrf).await?;
        let admin = require_role(Role::Admin).await?;
        let state = state()?;
        let kind = ReportedKind::from_table(kind).ok_or(AppError::NotFound)?;
        if id.is_empty() || id.len() > 64 || !store::exists(&state.db, kind, id).await? {
            return Err(AppError::NotFound);
        }
        // Another admin may have acted first; say so rather than act twice.
        if store::open_count(&state.db, kind, id).await? == 0 {
            return Err(AppError::Conflict);
        }
        if outcome == store::Outcome::Hidden {
            // Hide first: should resolving fail, the reports stay open and can be acted on again.
            store::hide(&state, kind, id).await?;
        }
        let resolved = store::resolve(&state.db, kind, id, &admin.id, outcome).await?;
        tracing::info!(?kind, id, ?outcome, resolved, admin = %admin.id, "reports resolved");
        Ok(resolved)
    }
}
