//! Campaign server functions: the editor, review, the public page, discovery and the creator
//! dashboard. Each checks who is asking; every change goes through `rules::transition`.

use leptos::prelude::*;
use server_fn::codec::Json;

use super::model::{
    CampaignCard, CampaignDraft, CampaignPageData, DashboardData, EditorData, ReviewItem,
    SaveOutcome,
};
use super::rules::CampaignState;
use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use super::super::model::*;
    pub use super::super::rules::CampaignState;
    pub use super::super::rules::{Actor, CampaignEvent};
    pub use super::super::store::{self, CampaignRow};
    pub use crate::accounts::model::{Role, Viewer};
    pub use crate::backend::request::{check_csrf, require_role, require_viewer, respond, state};
    pub use crate::error::{AppError, AppResult, Problem};

    pub fn problem(p: CampaignProblem) -> AppError {
        AppError::Invalid(Problem::Campaign(p))
    }

    pub fn today() -> chrono::NaiveDate {
        chrono::Utc::now().date_naive()
    }

    /// The campaign, if the viewer owns it (or is an admin). Others learn nothing, not even that
    /// it exists.
    pub async fn owned(id: &str, viewer: &Viewer) -> AppResult<CampaignRow> {
        let row = store::get(&state()?.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if row.creator == viewer.id || viewer.has(Role::Admin) {
            Ok(row)
        } else {
            Err(AppError::NotFound)
        }
    }

    pub fn problems_of(draft: &CampaignDraft, state: CampaignState) -> Vec<CampaignProblem> {
        super::super::validate::validate(draft, today(), state.terms_editable())
            .err()
            .unwrap_or_default()
    }
}

/// Starts a campaign: creators only. Answers with its id (the editor's address).
#[server(endpoint = "start_campaign")]
pub async fn start_campaign(
    csrf: String,
    title: String,
    category: String,
) -> Result<String, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_role(Role::Creator).await?;
            let title = title.trim();
            if !super::validate::TITLE_CHARS.contains(&title.chars().count()) {
                return Err(problem(CampaignProblem::TitleLength));
            }
            let category = Category::parse(&category).unwrap_or_default();
            let id = store::create(&state()?.db, &viewer.id, title, category, today()).await?;
            tracing::info!(campaign = %id, creator = %viewer.id, "campaign started");
            leptos_axum::redirect(&format!("/campaigns/{id}/edit"));
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "load_editor")]
pub async fn load_editor(id: String) -> Result<EditorData, AppError> {
    use ssr::*;
    respond(
        async {
            let viewer = require_viewer().await?;
            let row = owned(&id, &viewer).await?;
            Ok(EditorData {
                problems: problems_of(&row.draft, row.state),
                cover_url: row.cover_url(),
                id: row.id,
                state: row.state,
                draft: row.draft,
                reject_reason: row.reject_reason,
                fee_bps: row.fee_bps,
                updated_at: row.updated_at,
            })
        }
        .await,
    )
}

/// Autosave and explicit save. The draft is always kept; when it is complete it also becomes the
/// campaign's content. After approval the terms backers rely on (goal, currency, mode, dates,
/// address) are locked.
#[server(endpoint = "save_campaign", input = Json)]
pub async fn save_campaign(
    csrf: String,
    id: String,
    draft: CampaignDraft,
) -> Result<SaveOutcome, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let row = owned(&id, &viewer).await?;
            let editable = matches!(
                row.state,
                CampaignState::Draft
                    | CampaignState::Rejected
                    | CampaignState::Scheduled
                    | CampaignState::Live
            );
            if !editable {
                return Err(problem(CampaignProblem::NotEditable));
            }
            let locked = !row.state.terms_editable();
            let result = super::validate::validate(&draft, today(), !locked);
            if locked {
                // Once approved, only a complete draft with the same terms may replace the content.
                let v = result.as_ref().map_err(|p| {
                    problem(p.first().copied().unwrap_or(CampaignProblem::NotReady))
                })?;
                let same_terms = v.goal == row.goal_money()
                    && v.mode == row.mode
                    && v.slug == row.slug
                    && store::day_start(v.starts_on) == row.starts_at
                    && store::day_start(v.ends_on) == row.ends_at;
                if !same_terms {
                    return Err(problem(CampaignProblem::TermsLocked));
                }
            }
            let state = state()?;
            let valid = match &result {
                Ok(v) => Some((v, crate::backend::markdown::render(&v.story))),
                Err(_) => None,
            };
            let search_text = match &result {
                Ok(v) => {
                    store::search_text(v, viewer.display_name.as_str(), viewer.handle.as_str())
                }
                Err(_) => String::new(),
            };
            let saved_at = store::save(
                &state.db,
                &row,
                &draft,
                valid.as_ref().map(|(v, html)| (*v, html.clone())),
                &search_text,
            )
            .await?;
            if row.state == CampaignState::Rejected {
                store::apply(
                    &state.db,
                    &row.id,
                    row.state,
                    CampaignEvent::Revise,
                    Actor::Creator,
                    Some(&viewer.id),
                    None,
                )
                .await?;
            }
            Ok(SaveOutcome {
                id: row.id,
                saved_at,
                problems: result.err().unwrap_or_default(),
            })
        }
        .await,
    )
}

/// Sends a complete draft to the review queue.
#[server(endpoint = "submit_campaign")]
pub async fn submit_campaign(csrf: String, id: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let row = owned(&id, &viewer).await?;
            if row.creator != viewer.id {
                return Err(AppError::Forbidden);
            }
            if !row.valid || !problems_of(&row.draft, row.state).is_empty() {
                return Err(problem(CampaignProblem::NotReady));
            }
            store::apply(
                &state()?.db,
                &row.id,
                row.state,
                CampaignEvent::Submit,
                Actor::Creator,
                Some(&viewer.id),
                None,
            )
            .await?
            .ok_or(AppError::Conflict)?;
            tracing::info!(campaign = %row.id, "submitted for review");
            Ok(())
        }
        .await,
    )
}

/// The creator withdraws a campaign that has not started taking money (an admin may also stop a
/// live one).
#[server(endpoint = "cancel_campaign")]
pub async fn cancel_campaign(csrf: String, id: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let row = owned(&id, &viewer).await?;
            let actor = if viewer.has(Role::Admin) {
                Actor::Admin
            } else {
                Actor::Creator
            };
            store::apply(
                &state()?.db,
                &row.id,
                row.state,
                CampaignEvent::Cancel,
                actor,
                Some(&viewer.id),
                None,
            )
            .await?
            .ok_or(AppError::Conflict)?;
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "my_campaigns")]
pub async fn my_campaigns() -> Result<Vec<CampaignCard>, AppError> {
    use ssr::*;
    respond(
        async {
            let viewer = require_viewer().await?;
            store::by_creator(&state()?.db, &viewer.id).await
        }
        .await,
    )
}

#[server(endpoint = "review_queue")]
pub async fn review_queue() -> Result<Vec<ReviewItem>, AppError> {
    use ssr::*;
    respond(
        async {
            require_role(Role::Admin).await?;
            super::review::queue(&state()?.db).await
        }
        .await,
    )
}

/// Ends a live campaign now, as if its deadline had come (admins only: a creator's request, or
/// a campaign that must stop). Settlement then runs in the background.
#[server(endpoint = "end_campaign_now")]
pub async fn end_campaign_now(csrf: String, id: String) -> Result<CampaignState, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let admin = require_role(Role::Admin).await?;
            let db = &state()?.db;
            let row = store::get(db, &id).await?.ok_or(AppError::NotFound)?;
            if row.state != CampaignState::Live {
                return Err(problem(CampaignProblem::NotReady));
            }
            let to = store::apply(
                db,
                &row.id,
                row.state,
                CampaignEvent::Deadline {
                    goal_met: row.pledged >= row.goal,
                },
                Actor::Admin,
                Some(&admin.id),
                Some("ended early by an admin"),
            )
            .await?
            .ok_or(AppError::Conflict)?;
            tracing::info!(campaign = %row.id, ?to, admin = %admin.id, "ended early");
            Ok(to)
        }
        .await,
    )
}

/// Approves (scheduled, or live at once when its start date has come) or rejects with a reason
/// the creator sees.
#[server(endpoint = "review_campaign")]
pub async fn review_campaign(
    csrf: String,
    id: String,
    approve: bool,
    reason: Option<String>,
) -> Result<CampaignState, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let admin = require_role(Role::Admin).await?;
            let db = &state()?.db;
            let row = store::get(db, &id).await?.ok_or(AppError::NotFound)?;
            if row.state != CampaignState::InReview {
                return Err(problem(CampaignProblem::NotReady));
            }
            let reason = reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty());
            if !approve && reason.is_none() {
                return Err(problem(CampaignProblem::ReasonRequired));
            }
            let event = if approve {
                CampaignEvent::Approve
            } else {
                CampaignEvent::Reject
            };
            let to = store::apply(
                db,
                &row.id,
                row.state,
                event,
                Actor::Admin,
                Some(&admin.id),
                reason.as_deref(),
            )
            .await?
            .ok_or(AppError::Conflict)?;
            tracing::info!(campaign = %row.id, ?to, admin = %admin.id, "reviewed");
            if to == CampaignState::Scheduled && row.starts_at <= chrono::Utc::now() {
                return Ok(store::apply(
                    db,
                    &row.id,
                    to,
                    CampaignEvent::Launch,
                    Actor::System,
                    None,
                    None,
                )
                .await?
                .unwrap_or(to));
            }
            Ok(to)
        }
        .await,
    )
}

/// The public campaign page. Drafts and campaigns in review are shown only to their creator
/// and admins (that is the preview). `source` is the `?ref=` of a shared link.
#[server(endpoint = "campaign_page")]
pub async fn campaign_page(
    slug: String,
    source: Option<String>,
) -> Result<CampaignPageData, AppError> {
    use ssr::*;
    respond(super::page_data::load(&slug, source).await)
}

#[server(endpoint = "discover")]
pub async fn discover(
    q: String,
    category: Option<String>,
    sort: Option<String>,
) -> Result<Vec<CampaignCard>, AppError> {
    use ssr::*;
    respond(
        async {
            let category = category.as_deref().and_then(Category::parse);
            let sort = sort.as_deref().and_then(Sort::parse).unwrap_or_default();
            let q = crate::campaigns::fuzzy::bounded_query(&q)?;
            if !q.is_empty() {
                crate::backend::request::spend_search_budget().await?;
            }
            store::search(&state()?.db, q, category, sort, 48).await
        }
        .await,
    )
}

#[server(endpoint = "campaign_dashboard")]
pub async fn campaign_dashboard(id: String) -> Result<DashboardData, AppError> {
    use ssr::*;
    respond(
        async {
            let viewer = require_viewer().await?;
            let row = owned(&id, &viewer).await?;
            super::dashboard::load(&state()?.db, row).await
        }
        .await,
    )
}

/// The live numbers of a public campaign, polled by its page so progress moves while it is open.
#[server(endpoint = "campaign_progress")]
pub async fn campaign_progress(id: String) -> Result<(crate::money::Money, u64), AppError> {
    use ssr::*;
    respond(
        async {
            let row = store::get(&state()?.db, &id)
                .await?
                .ok_or(AppError::NotFound)?;
            if !row.state.is_public() {
                return Err(AppError::NotFound);
            }
            Ok((row.pledged_money(), row.backers))
        }
        .await,
    )
}
