//! Server functions for the conversation around a campaign: creator updates (public or for
//! backers, mailed with an unsubscribe link), threaded comments, moderation and reports.

use leptos::prelude::*;

use super::model::CommentView;
use crate::error::AppError;

pub const COMMENT_MAX_CHARS: usize = 2_000;
pub const UPDATE_MAX_CHARS: usize = 20_000;
pub const COMMENT_PAGE: usize = 50;

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::api::ssr::{owned, problem};
    pub use super::super::model::{Audience, CampaignProblem};
    pub use super::super::{store, talk_store};
    pub use crate::accounts::model::Role;
    pub use crate::backend::rate_limit;
    pub use crate::backend::request::{
        check_csrf, request_lang, require_viewer, respond, state, viewer,
    };
    pub use crate::i18n::Lang;

    pub fn update_mail(
        lang: Lang,
        campaign: &str,
        title: &str,
        body: &str,
        link: &str,
        unsubscribe: &str,
    ) -> (String, String) {
        match lang {
            Lang::En => (
                format!("{campaign}: {title}"),
                format!(
                    "{title}\n\n{body}\n\nRead it on Cohort: {link}\n\n\
                     You get this because you backed {campaign}. Stop these mails: {unsubscribe}\n"
                ),
            ),
            Lang::ZhCn => (
                format!("{campaign}：{title}"),
                format!(
                    "{title}\n\n{body}\n\n在 Cohort 上阅读：{link}\n\n\
                     你收到这封邮件，是因为你支持了「{campaign}」。退订此类邮件：{unsubscribe}\n"
                ),
            ),
        }
    }
}

/// Posts an update (creator only). Backers who have not unsubscribed get it by mail, sent in the
/// background so the creator does not wait for a thousand deliveries.
#[server(endpoint = "post_update")]
pub async fn post_update(
    csrf: String,
    campaign_id: String,
    title: String,
    body: String,
    backers_only: Option<String>,
) -> Result<String, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let row = owned(&campaign_id, &viewer).await?;
            if row.creator != viewer.id {
                return Err(AppError::Forbidden);
            }
            let title = title.trim().to_string();
            let body_chars = body.trim().chars().count();
            if !(1..=120).contains(&title.chars().count())
                || !(1..=UPDATE_MAX_CHARS).contains(&body_chars)
            {
                return Err(problem(CampaignProblem::UpdateLength));
            }
            let audience = if backers_only.is_some_and(|v| !v.is_empty() && v != "false") {
                Audience::Backers
            } else {
                Audience::Public
            };
            let state = state()?;
            let html = crate::backend::markdown::render(&body);
            let id = talk_store::create_update(&state.db, &row.id, &title, &html, audience).await?;
            let recipients =
                talk_store::update_recipients(&state.db, &row.id, row.mode, audience).await?;
            let lang = request_lang();
            let base = state.settings.public_url.clone();
            let link = format!("{base}/c/{}#updates", row.slug);
            tokio::spawn(async move {
                for (_, email, token) in recipients {
                    let Ok(to) = crate::accounts::model::Email::parse(&email) else {
                        continue;
                    };
                    let unsubscribe = format!("{base}/unsubscribe/{token}");
                    let (subject, text) =
                        update_mail(lang, &row.title, &title, body.trim(), &link, &unsubscribe);
                    if let Err(e) = state.mailer.send(&to, &subject, &text).await {
                        tracing::warn!(error = %e, "update mail failed");
                    }
                }
            });
            Ok(id)
        }
        .await,
    )
}

/// The newest threads of a campaign the viewer may see.
#[server(endpoint = "list_comments")]
pub async fn list_comments(
    campaign_id: String,
    limit: Option<usize>,
) -> Result<Vec<CommentView>, AppError> {
    use ssr::*;
    respond(
        async {
            let state = state()?;
            let row = store::get(&state.db, &campaign_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let viewer = viewer().await?;
            let is_owner = viewer.as_ref().is_some_and(|v| v.id == row.creator);
            let moderator = is_owner || viewer.as_ref().is_some_and(|v| v.has(Role::Admin));
            if !row.state.is_public() && !moderator {
                return Err(AppError::NotFound);
            }
            let limit = limit.unwrap_or(COMMENT_PAGE).clamp(1, 500);
            // Visitors share one cached first page; moderators see hidden text, so never cached.
            let cacheable = !moderator && limit == COMMENT_PAGE;
            if cacheable {
                if let Some(list) = state.comments_cache.get(&row.id) {
                    return Ok(list);
                }
            }
            let list =
                talk_store::comments(&state.db, &row.id, row.mode, &row.creator, moderator, limit)
                    .await?;
            if cacheable {
                state.comments_cache.put(&row.id, list.clone());
            }
            Ok(list)
        }
        .await,
    )
}

#[server(endpoint = "post_comment")]
pub async fn post_comment(
    csrf: String,
    campaign_id: String,
    parent: Option<String>,
    body: String,
) -> Result<String, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let row = store::get(&state.db, &campaign_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if !row.state.is_public() {
                return Err(AppError::NotFound);
            }
            let body = body.trim();
            if !(1..=COMMENT_MAX_CHARS).contains(&body.chars().count()) {
                return Err(problem(CampaignProblem::CommentLength));
            }
            let parent = parent.filter(|p| !p.is_empty());
            if let Some(p) = &parent {
                // Replies attach to a top-level comment of the same campaign.
                match talk_store::comment_target(&state.db, p).await? {
                    Some((c, false)) if c == row.id => {}
                    _ => return Err(AppError::NotFound),
                }
            }
            rate_limit::hit(
                &state.db,
                &format!("comment:{}", viewer.id),
                rate_limit::COMMENT_PER_USER,
            )
            .await?;
            let id =
                talk_store::create_comment(&state.db, &row.id, &viewer.id, parent.as_deref(), body)
                    .await?;
            state.comments_cache.remove(&row.id);
            Ok(id)
        }
        .await,
    )
}

/// Hides (or shows again) a comment: the campaign's creator and admins only.
#[server(endpoint = "hide_comment")]
pub async fn hide_comment(csrf: String, comment_id: String, hidden: bool) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let (campaign, _) = talk_store::comment_target(&state.db, &comment_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let row = store::get(&state.db, &campaign)
                .await?
                .ok_or(AppError::NotFound)?;
            let admin = viewer.has(Role::Admin);
            if row.creator != viewer.id && !admin {
                return Err(AppError::Forbidden);
            }
            // What an admin took down after reports stays down until an admin shows it again.
            if !hidden && !admin && talk_store::hidden_by_moderation(&state.db, &comment_id).await?
            {
                return Err(AppError::Forbidden);
            }
            talk_store::set_hidden(&state.db, &comment_id, hidden).await?;
            state.comments_cache.remove(&row.id);
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "report_comment")]
pub async fn report_comment(
    csrf: String,
    comment_id: String,
    reason: String,
) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            talk_store::comment_target(&state.db, &comment_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let reason: String = reason.trim().chars().take(500).collect();
            talk_store::report(&state.db, &comment_id, &viewer.id, &reason).await
        }
        .await,
    )
}

/// Follows an unsubscribe link from an update mail. Answers with the campaign's title.
#[server(endpoint = "unsubscribe_updates")]
pub async fn unsubscribe_updates(token: String) -> Result<String, AppError> {
    use ssr::*;
    respond(
        async {
            talk_store::unsubscribe(&state()?.db, &token)
                .await?
                .ok_or(AppError::NotFound)
        }
        .await,
    )
}
