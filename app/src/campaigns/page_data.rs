//! Gathers the campaign page for one viewer (server only). Backers-only update bodies are
//! dropped here, before anything is serialised, so they reach neither the HTML nor the
//! hydration payload of someone who did not back the campaign.

use super::model::{Audience, CampaignPageData, CreatorCard, UpdateView};
use super::store;
use super::talk_store;
use crate::accounts::model::Role;
use crate::backend::request::{state, viewer};
use crate::error::{AppError, AppResult};

/// A referral source as counted: short, URL-safe, lowercase; anything else counts as direct.
pub fn clean_source(source: Option<String>) -> String {
    source
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| {
            (1..=40).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .unwrap_or_else(|| "direct".to_string())
}

pub async fn load(slug: &str, source: Option<String>) -> AppResult<CampaignPageData> {
    let state = state()?;
    let db = &state.db;
    let row = store::get_by_slug(db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let viewer = viewer().await?;
    let is_owner = viewer.as_ref().is_some_and(|v| v.id == row.creator);
    let is_admin = viewer.as_ref().is_some_and(|v| v.has(Role::Admin));
    if !row.state.is_public() && !is_owner && !is_admin {
        return Err(AppError::NotFound);
    }
    if row.state.is_public() && !is_owner {
        state.visits.record(&row.id, &clean_source(source));
    }
    let (viewer_is_backer, viewer_pledge_pending) = match &viewer {
        Some(v) => {
            let backer = store::is_backer(db, &v.id, &row.id, row.mode).await?;
            let counted = !backer && store::has_counted_pledge(db, &v.id, &row.id).await?;
            (backer, counted)
        }
        None => (false, false),
    };
    let may_read_backer_posts = viewer_is_backer || is_owner || is_admin;
    let updates = talk_store::updates(db, &row.id)
        .await?
        .into_iter()
        .map(|u| UpdateView {
            body_html: (u.audience == Audience::Public || may_read_backer_posts)
                .then_some(u.body_html),
            id: u.id,
            title: u.title,
            audience: u.audience,
            created_at: u.created_at,
        })
        .collect();
    let creator = crate::accounts::store::get_user(db, &row.creator)
        .await?
        .ok_or(AppError::NotFound)?;
    let other_campaigns = store::others_by(db, &row.creator, &row.id).await?;
    let tiers = store::tiers(db, &row.id).await?;
    let comment_count = talk_store::comment_count(db, &row.id).await?;
    let base = &state.settings.public_url;
    Ok(CampaignPageData {
        canonical_url: format!("{base}/c/{}", row.slug),
        og_image_url: format!(
            "{base}/c/{}/og.png?v={}",
            row.slug,
            row.updated_at.timestamp()
        ),
        cover_url: row.cover_url(),
        goal: row.goal_money(),
        pledged: row.pledged_money(),
        creator: CreatorCard {
            avatar_url: creator.avatar_url(),
            handle: creator.handle.to_string(),
            display_name: creator.display_name.to_string(),
            bio: creator.bio.to_string(),
        },
        id: row.id,
        slug: row.slug,
        title: row.title,
        pitch: row.pitch,
        story_html: row.story_html,
        video_url: row.video_url,
        category: row.category,
        tags: row.tags,
        state: row.state,
        mode: row.mode,
        backers: row.backers,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        tiers,
        stretch_goals: row.stretch_goals,
        milestones: row.milestones,
        faq: row.faq,
        updates,
        comment_count,
        other_campaigns,
        is_owner,
        viewer_is_backer,
        viewer_pledge_pending,
        viewer_signed_in: viewer.is_some(),
        viewer_can_moderate: is_owner || is_admin,
        viewer_is_admin: is_admin,
    })
}

#[cfg(test)]
mod tests {
    use super::clean_source;

    #[test]
    fn referral_sources_are_cleaned() {
        assert_eq!(clean_source(Some("Twitter".into())), "twitter");
        assert_eq!(clean_source(Some("alice_2".into())), "alice_2");
        assert_eq!(clean_source(Some("<script>".into())), "direct");
        assert_eq!(clean_source(Some("x".repeat(41))), "direct");
        assert_eq!(clean_source(None), "direct");
    }
}
