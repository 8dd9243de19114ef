//! Campaign types both sides share: what the editor sends ([`CampaignDraft`], kept as typed so
//! autosave never loses a half-written field), what validation turns it into ([`ValidCampaign`]),
//! and what pages receive.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::rules::CampaignState;
use crate::money::{Currency, Money};

/// Why a campaign edit was refused. Each has one sentence per language in `campaigns::text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CampaignProblem {
    TitleLength,
    SlugFormat,
    SlugTaken,
    PitchLength,
    StoryLength,
    VideoUrl,
    TooManyTags,
    GoalAmount,
    GoalTooHigh,
    BadDate,
    EndBeforeStart,
    Duration,
    StartInPast,
    NoTiers,
    TierTitle,
    TierAmount,
    TierAboveGoal,
    TierQuantity,
    QuantityBelowClaimed,
    TierHasBackers,
    DeliveryMonth,
    StretchAmount,
    MilestonesMissing,
    MilestoneShares,
    MilestoneDue,
    FaqIncomplete,
    TermsLocked,
    NotEditable,
    NotReady,
    ReasonRequired,
    CommentLength,
    UpdateLength,
    CoverType,
    CoverSize,
}

impl CampaignProblem {
    pub fn status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            CampaignProblem::SlugTaken => S::CONFLICT,
            CampaignProblem::TermsLocked
            | CampaignProblem::NotEditable
            | CampaignProblem::NotReady
            | CampaignProblem::TierHasBackers
            | CampaignProblem::QuantityBelowClaimed => S::CONFLICT,
            CampaignProblem::CoverSize => S::PAYLOAD_TOO_LARGE,
            CampaignProblem::CoverType => S::UNSUPPORTED_MEDIA_TYPE,
            _ => S::UNPROCESSABLE_ENTITY,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    #[default]
    Course,
    Book,
    Community,
    Workshop,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Course,
        Category::Book,
        Category::Community,
        Category::Workshop,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Category::Course => "course",
            Category::Book => "book",
            Category::Community => "community",
            Category::Workshop => "workshop",
        }
    }

    pub fn parse(key: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// How money moves (see DESIGN.md, "Money and payments").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CampaignMode {
    #[default]
    AllOrNothing,
    Flexible,
    Milestone,
}

impl CampaignMode {
    pub const ALL: [CampaignMode; 3] = [
        CampaignMode::AllOrNothing,
        CampaignMode::Flexible,
        CampaignMode::Milestone,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CampaignMode::AllOrNothing => "all_or_nothing",
            CampaignMode::Flexible => "flexible",
            CampaignMode::Milestone => "milestone",
        }
    }

    pub fn parse(key: &str) -> Option<CampaignMode> {
        CampaignMode::ALL.into_iter().find(|m| m.key() == key)
    }
}

/// What a reward tier opens once the campaign succeeds (wired up by courses and communities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    #[default]
    Nothing,
    Course,
    Community,
}

impl Grant {
    pub const ALL: [Grant; 3] = [Grant::Nothing, Grant::Course, Grant::Community];

    pub fn key(self) -> &'static str {
        match self {
            Grant::Nothing => "nothing",
            Grant::Course => "course",
            Grant::Community => "community",
        }
    }

    pub fn parse(key: &str) -> Option<Grant> {
        Grant::ALL.into_iter().find(|g| g.key() == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FaqItem {
    pub question: String,
    pub answer: String,
}

/// A reward tier as the editor holds it: amounts and dates as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TierDraft {
    /// Set once stored, so edits keep the tier (and the pledges that point at it).
    pub id: Option<String>,
    pub title: String,
    pub description: String,
    pub min_amount: String,
    /// Empty: unlimited.
    pub quantity: String,
    /// `YYYY-MM`, empty when unknown.
    pub delivery: String,
    pub grants: Grant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StretchDraft {
    pub amount: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MilestoneDraft {
    /// Whole percent of the funds released at this stage.
    pub share: String,
    pub description: String,
    /// `YYYY-MM-DD`.
    pub due: String,
}

/// Everything the campaign editor edits, as typed. Autosave stores it verbatim; [`validate`]
/// decides whether it can go to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CampaignDraft {
    pub title: String,
    pub slug: String,
    pub pitch: String,
    pub story: String,
    pub video_url: String,
    pub category: Category,
    /// Comma-separated as typed.
    pub tags: String,
    pub currency: Option<Currency>,
    pub goal: String,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    pub ends_on: String,
    pub mode: CampaignMode,
    pub faq: Vec<FaqItem>,
    pub tiers: Vec<TierDraft>,
    pub stretch_goals: Vec<StretchDraft>,
    pub milestones: Vec<MilestoneDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidTier {
    pub id: Option<String>,
    pub title: String,
    pub description: String,
    pub min_amount: Money,
    pub quantity: Option<u32>,
    pub delivery: Option<String>,
    pub grants: Grant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StretchGoal {
    pub amount: Money,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub share_pct: u32,
    pub description: String,
    pub due: NaiveDate,
}

/// A draft that passed every rule: what the store writes into the campaign's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidCampaign {
    pub title: String,
    pub slug: String,
    pub pitch: String,
    pub story: String,
    pub video_url: Option<String>,
    pub category: Category,
    pub tags: Vec<String>,
    pub goal: Money,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub mode: CampaignMode,
    pub faq: Vec<FaqItem>,
    pub tiers: Vec<ValidTier>,
    pub stretch_goals: Vec<StretchGoal>,
    pub milestones: Vec<Milestone>,
}

/// The editor's view of a stored campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorData {
    pub id: String,
    pub state: CampaignState,
    pub draft: CampaignDraft,
    pub cover_url: Option<String>,
    pub reject_reason: Option<String>,
    pub fee_bps: u32,
    /// Problems that stop submission, empty when the draft is ready.
    pub problems: Vec<CampaignProblem>,
    pub updated_at: DateTime<Utc>,
}

/// What autosave answers: when it saved, and what still stands between the draft and review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveOutcome {
    pub id: String,
    pub saved_at: DateTime<Utc>,
    pub problems: Vec<CampaignProblem>,
}

/// A campaign as a card in lists (discover, home, creator's other campaigns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignCard {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub pitch: String,
    pub cover_url: Option<String>,
    pub category: Category,
    pub state: CampaignState,
    pub goal: Money,
    pub pledged: Money,
    pub backers: u64,
    pub ends_at: DateTime<Utc>,
    pub creator_name: String,
    pub creator_handle: String,
}

impl CampaignCard {
    pub fn percent(&self) -> u32 {
        percent(self.pledged, self.goal)
    }
}

pub fn percent(pledged: Money, goal: Money) -> u32 {
    if goal.minor <= 0 {
        return 0;
    }
    ((pledged.minor.max(0) as i128 * 100) / goal.minor as i128).min(u32::MAX as i128) as u32
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub min_amount: Money,
    pub quantity: Option<u32>,
    pub claimed: u32,
    pub delivery: Option<String>,
    pub grants: Grant,
}

impl TierView {
    pub fn left(&self) -> Option<u32> {
        self.quantity.map(|q| q.saturating_sub(self.claimed))
    }
    pub fn sold_out(&self) -> bool {
        self.left() == Some(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Public,
    Backers,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateView {
    pub id: String,
    pub title: String,
    /// Sanitised HTML rendered on the server. `None` when the viewer may not read it (a
    /// backers-only update seen by someone else): the body never leaves the server then.
    pub body_html: Option<String>,
    pub audience: Audience,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatorCard {
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
}

/// Everything the campaign page shows, already filtered for the viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignPageData {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub pitch: String,
    pub story_html: String,
    pub cover_url: Option<String>,
    pub video_url: Option<String>,
    pub category: Category,
    pub tags: Vec<String>,
    pub state: CampaignState,
    pub mode: CampaignMode,
    pub goal: Money,
    pub pledged: Money,
    pub backers: u64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub tiers: Vec<TierView>,
    pub stretch_goals: Vec<StretchGoal>,
    pub milestones: Vec<Milestone>,
    pub faq: Vec<FaqItem>,
    pub updates: Vec<UpdateView>,
    pub comment_count: u64,
    pub creator: CreatorCard,
    pub other_campaigns: Vec<CampaignCard>,
    /// The viewer owns it (shows the edit and dashboard links).
    pub is_owner: bool,
    /// A backer by `payments::rules::is_backer`: reads backers-only updates.
    pub viewer_is_backer: bool,
    /// A pledge that counts but is not (yet) money: an all-or-nothing saved card.
    #[serde(default)]
    pub viewer_pledge_pending: bool,
    pub viewer_signed_in: bool,
    /// The creator or an admin: may hide comments.
    pub viewer_can_moderate: bool,
    /// Admins may end a live campaign early (its deadline then applies at once).
    pub viewer_is_admin: bool,
    /// Absolute URLs for share tags.
    pub canonical_url: String,
    pub og_image_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentView {
    pub id: String,
    pub parent: Option<String>,
    pub author_handle: String,
    pub author_name: String,
    pub body: String,
    pub is_backer: bool,
    pub is_creator: bool,
    pub hidden: bool,
    pub created_at: DateTime<Utc>,
}

/// A campaign waiting for review, with what the platform noticed about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub card: CampaignCard,
    pub submitted_at: Option<DateTime<Utc>>,
    pub risks: Vec<RiskSignal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RiskSignal {
    NewAccount { days: i64 },
    UnverifiedEmail,
    GoalAboveMedian { ratio_x10: i64 },
    DuplicateText { of_slug: String },
    BadLink { domain: String },
}

/// What the creator dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardData {
    pub card: CampaignCard,
    pub starts_at: DateTime<Utc>,
    /// Cumulative pledged (minor units) at the end of each day since launch.
    pub daily_totals: Vec<i64>,
    pub duration_days: u32,
    pub tiers: Vec<TierView>,
    pub tier_backers: Vec<(String, u64)>,
    pub referrals: Vec<ReferralStat>,
    pub visits: u64,
    pub comments: u64,
    pub forecast: Option<super::forecast::Forecast>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralStat {
    pub source: String,
    pub visits: u64,
    pub pledges: u64,
}

/// A search or discovery listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    EndingSoon,
    Newest,
    MostFunded,
}

impl Sort {
    pub const ALL: [Sort; 4] = [
        Sort::Relevance,
        Sort::EndingSoon,
        Sort::Newest,
        Sort::MostFunded,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::EndingSoon => "ending_soon",
            Sort::Newest => "newest",
            Sort::MostFunded => "most_funded",
        }
    }
    pub fn parse(key: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.key() == key)
    }
}
