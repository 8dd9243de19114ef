//! Payment types both sides share.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ledger::{Leg, MoneySummary, TxKind};
use super::rules::PledgeState;
use crate::money::Currency;

/// Why a pledge, change or refund was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PledgeProblem {
    /// Below the tier's price (or below the smallest pledge without a tier).
    AmountTooSmall,
    AmountTooLarge,
    WrongCurrency,
    SoldOut,
    NoSuchTier,
    CampaignNotLive,
    OwnCampaign,
    /// The backer already has an open pledge here; change it instead.
    AlreadyBacking,
    /// The pledge is not in a state that allows this (e.g. cancelling a charged pledge).
    NotNow,
    RefundWindowClosed,
    RefundTooLarge,
    /// A bulk action needs its confirmation box ticked.
    NotConfirmed,
    /// A milestone marked delivered needs a note (1–2,000 characters) for the backers.
    NoteMissing,
    /// Survey questions: one to ten, each up to 300 characters.
    SurveyInvalid,
    /// Backers have answered: the questions stay as they were.
    SurveyLocked,
    AnswerTooLong,
    /// Stripe (or the simulator) could not be reached; nothing was charged.
    PaymentsUnavailable,
    /// Checkout took the money before the cancel arrived: the pledge is paid (refund instead).
    AlreadyPaid,
    /// Stripe refused the refund (the reason is on the admins' payment checks page).
    RefundRefused,
}

impl PledgeProblem {
    pub fn status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            PledgeProblem::SoldOut
            | PledgeProblem::AlreadyBacking
            | PledgeProblem::NotNow
            | PledgeProblem::CampaignNotLive
            | PledgeProblem::RefundWindowClosed
            | PledgeProblem::AlreadyPaid
            | PledgeProblem::SurveyLocked => S::CONFLICT,
            PledgeProblem::RefundRefused => S::BAD_GATEWAY,
            PledgeProblem::OwnCampaign => S::FORBIDDEN,
            PledgeProblem::PaymentsUnavailable => S::SERVICE_UNAVAILABLE,
            _ => S::UNPROCESSABLE_ENTITY,
        }
    }
}

/// The smallest pledge without a reward, in minor units (one unit of the currency).
pub fn min_pledge(currency: Currency) -> i64 {
    10_i64.pow(currency.exponent())
}

/// One page of a backer's pledges, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PledgeList {
    pub items: Vec<PledgeView>,
    /// 1-based.
    pub page: u32,
    pub has_more: bool,
}

/// A pledge as its backer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PledgeView {
    pub id: String,
    pub campaign_id: String,
    pub campaign_title: String,
    pub campaign_slug: String,
    pub campaign_state: crate::campaigns::rules::CampaignState,
    pub campaign_ends_at: DateTime<Utc>,
    pub tier_title: Option<String>,
    pub amount: i64,
    pub currency: Currency,
    pub state: PledgeState,
    /// `true` when the card is charged at the deadline (all-or-nothing).
    pub charge_later: bool,
    pub paid: i64,
    pub refunded: i64,
    pub paid_at: Option<DateTime<Utc>>,
    pub failure: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub checkout_url: Option<String>,
    pub created_at: DateTime<Utc>,
    /// What the backer may do now.
    pub can_cancel: bool,
    pub can_change: bool,
    pub can_refund: bool,
}

/// One ledger transaction for the creator's ledger page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerRow {
    pub at: DateTime<Utc>,
    pub kind: TxKind,
    pub memo: String,
    pub source: String,
    pub legs: Vec<Leg>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignLedger {
    pub campaign_id: String,
    pub title: String,
    pub slug: String,
    pub currency: Currency,
    pub summary: MoneySummary,
    pub rows: Vec<LedgerRow>,
    /// Pledges per state, for the creator's overview.
    pub states: Vec<(PledgeState, u64, i64)>,
}

/// What the pledge page needs: the campaign's terms and its tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PledgeForm {
    pub campaign_id: String,
    pub title: String,
    pub slug: String,
    pub currency: Currency,
    pub charge_later: bool,
    pub ends_at: DateTime<Utc>,
    pub accepts: bool,
    pub own: bool,
    pub signed_in: bool,
    pub tiers: Vec<crate::campaigns::model::TierView>,
    /// The viewer's open pledge here, if any (the page then offers a change).
    pub current: Option<PledgeView>,
    /// Published courses of this campaign, (title, slug): each tier says whether it opens them
    /// (its grant), and a pledge without a reward opens none.
    #[serde(default)]
    pub courses: Vec<(String, String)>,
}
