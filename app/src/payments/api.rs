//! Server functions for pledging, a backer's pledges, refunds and a campaign's ledger.

use leptos::prelude::*;

use super::ledger::MoneySummary;
use super::model::{CampaignLedger, PledgeForm, PledgeList, PledgeView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::Utc;
    use serde::Deserialize;

    pub use super::super::flow::{self, Refunder};
    use super::super::ledger::MoneySummary;
    pub use super::super::model::{LedgerRow, PledgeProblem, PledgeView};
    use super::super::rules::PledgeState;
    pub use super::super::store::{self, problem, PledgeRow};
    pub use crate::accounts::model::{Role, Viewer};
    use crate::backend::db::Db;
    pub use crate::backend::rate_limit;
    pub use crate::backend::request::{check_csrf, require_viewer, respond, state, viewer};
    use crate::campaigns::model::CampaignMode;
    use crate::campaigns::rules::CampaignState;
    use crate::error::{AppError, AppResult};
    pub use crate::money::{Currency, Money};
    use crate::vars;

    /// Parses a major-unit amount typed by a person ("25", "25.50"); empty means zero.
    pub fn parse_amount(input: &str, currency: Currency) -> AppResult<i64> {
        if input.trim().is_empty() {
            return Ok(0);
        }
        Money::parse_positive(input, currency)
            .map(|m| m.minor)
            .map_err(|e| match e {
                crate::money::MoneyError::TooLarge => problem(PledgeProblem::AmountTooLarge),
                _ => problem(PledgeProblem::AmountTooSmall),
            })
    }

    /// The pledge of `id` if `viewer` may act on it as its backer.
    pub async fn own_pledge(db: &Db, id: &str, viewer: &Viewer) -> AppResult<PledgeRow> {
        let p = store::get(db, id).await?.ok_or(AppError::NotFound)?;
        if p.backer != viewer.id {
            return Err(AppError::NotFound);
        }
        Ok(p)
    }

    #[derive(Deserialize)]
    struct ViewRow {
        #[serde(flatten)]
        p: PledgeRow,
        campaign_title: String,
        campaign_slug: String,
        campaign_state: CampaignState,
        campaign_ends_at: chrono::DateTime<Utc>,
        campaign_mode: CampaignMode,
        tier_title: Option<String>,
    }

    const VIEW_EXTRA: &str = "campaign.title AS campaign_title, campaign.slug AS campaign_slug, \
        campaign.state AS campaign_state, campaign.ends_at AS campaign_ends_at, \
        campaign.mode AS campaign_mode, tier.title AS tier_title";

    /// `refund_period`: how long after paying a backer may refund (`StripeSettings::refund_period`,
    /// the one reading of `COHORT_REFUND_WINDOW` every refund check uses).
    fn view(r: ViewRow, refund_period: chrono::Duration) -> PledgeView {
        let live = r.campaign_state == CampaignState::Live;
        let p = r.p;
        PledgeView {
            can_cancel: live
                && matches!(
                    p.state,
                    PledgeState::PendingCheckout | PledgeState::Authorized
                ),
            can_change: live && p.state == PledgeState::Authorized,
            can_refund: p.state == PledgeState::Paid
                && r.campaign_mode != CampaignMode::AllOrNothing
                && p.paid_at.is_some_and(|at| Utc::now() - at <= refund_period),
            charge_later: p.checkout_mode == "setup",
            id: p.id,
            campaign_id: p.campaign,
            campaign_title: r.campaign_title,
            campaign_slug: r.campaign_slug,
            campaign_state: r.campaign_state,
            campaign_ends_at: r.campaign_ends_at,
            tier_title: r.tier_title,
            amount: p.amount,
            currency: p.currency,
            state: p.state,
            paid: p.paid,
            refunded: p.refunded,
            paid_at: p.paid_at,
            failure: p.failure,
            next_attempt_at: p.next_attempt_at,
            checkout_url: (p.state == PledgeState::PendingCheckout)
                .then_some(p.checkout_url)
                .flatten(),
            created_at: p.created_at,
        }
    }

    /// `window`: (rows to skip, rows to return); without it the newest 200.
    pub async fn views(
        db: &Db,
        filter: &str,
        vars: serde_json::Value,
        window: Option<(u32, u32)>,
        refund_period: chrono::Duration,
    ) -> AppResult<Vec<PledgeView>> {
        let (start, limit) = window.unwrap_or((0, 200));
        let rows: Vec<ViewRow> = db
            .rows(
                &format!(
                    "SELECT {}, {VIEW_EXTRA} FROM pledge WHERE {filter} \
                     ORDER BY created_at DESC LIMIT {limit} START {start}",
                    store::PLEDGE_FIELDS
                ),
                vars,
            )
            .await?;
        Ok(rows.into_iter().map(|r| view(r, refund_period)).collect())
    }

    /// Whose ledger entries to read: a campaign's, or a course's sales.
    #[derive(Clone, Copy)]
    pub enum LedgerOwner {
        Campaign,
        Course,
    }

    /// The owner's ledger entries, newest first (at most `limit` when given).
    pub async fn ledger_rows(
        db: &Db,
        owner: LedgerOwner,
        id: &str,
        limit: Option<usize>,
    ) -> AppResult<Vec<LedgerRow>> {
        let field = match owner {
            LedgerOwner::Campaign => "campaign",
            LedgerOwner::Course => "course",
        };
        let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
        Ok(db
            .rows(
                &format!(
                    "SELECT at, kind, memo, source, legs FROM ledger_tx \
                     WHERE {field} = type::record('{field}', $id) ORDER BY at DESC{limit}"
                ),
                vars!("id" => id),
            )
            .await?)
    }

    /// The owner's totals over every ledger entry (not only the rows a page shows).
    pub async fn ledger_summary(db: &Db, owner: LedgerOwner, id: &str) -> AppResult<MoneySummary> {
        #[derive(serde::Deserialize)]
        struct KindLegs {
            kind: super::super::ledger::TxKind,
            legs: Vec<super::super::ledger::Leg>,
        }
        let field = match owner {
            LedgerOwner::Campaign => "campaign",
            LedgerOwner::Course => "course",
        };
        let rows: Vec<KindLegs> = db
            .rows(
                &format!(
                    "SELECT kind, legs FROM ledger_tx WHERE {field} = type::record('{field}', $id)"
                ),
                vars!("id" => id),
            )
            .await?;
        let mut s = MoneySummary::default();
        for r in rows {
            s.add(r.kind, &r.legs);
        }
        Ok(s)
    }

    pub fn summarize(rows: &[LedgerRow]) -> MoneySummary {
        let mut s = MoneySummary::default();
        for r in rows {
            s.add(r.kind, &r.legs);
        }
        s
    }

    /// Who may refund `p`: its backer (self-service), the campaign's creator, an admin.
    pub async fn refunder(db: &Db, p: &PledgeRow, viewer: &Viewer) -> AppResult<Refunder> {
        if viewer.has(Role::Admin) {
            return Ok(Refunder::Admin);
        }
        let terms = store::terms(db, &p.campaign)
            .await?
            .ok_or(AppError::NotFound)?;
        if terms.creator == viewer.id {
            Ok(Refunder::Creator)
        } else if p.backer == viewer.id {
            Ok(Refunder::Backer)
        } else {
            Err(AppError::NotFound)
        }
    }
}

/// The pledge page's data: tiers, terms and the viewer's open pledge.
#[server(endpoint = "pledge_form")]
pub async fn load_pledge_form(slug: String) -> Result<PledgeForm, AppError> {
    use ssr::*;
    respond(
        async {
            let state = state()?;
            let row = crate::campaigns::store::get_by_slug(&state.db, &slug)
                .await?
                .filter(|r| r.state.is_public())
                .ok_or(AppError::NotFound)?;
            let viewer = viewer().await?;
            let current = match &viewer {
                Some(v) => match store::open_of(&state.db, &v.id, &row.id).await? {
                    Some(p) => views(
                        &state.db,
                        "id = type::record('pledge', $id)",
                        crate::vars!("id" => p.id),
                        None,
                        state.settings.stripe.refund_period(),
                    )
                    .await?
                    .into_iter()
                    .next(),
                    None => None,
                },
                None => None,
            };
            Ok(PledgeForm {
                courses: crate::courses::store::published_for_campaign(&state.db, &row.id).await?,
                tiers: crate::campaigns::store::tiers(&state.db, &row.id).await?,
                own: viewer.as_ref().is_some_and(|v| v.id == row.creator),
                signed_in: viewer.is_some(),
                accepts: row.state.accepts_pledges(),
                charge_later: row.mode == crate::campaigns::model::CampaignMode::AllOrNothing,
                campaign_id: row.id,
                title: row.title,
                slug: row.slug,
                currency: row.currency,
                ends_at: row.ends_at,
                current,
            })
        }
        .await,
    )
}

/// Starts a pledge (or changes the viewer's saved one) and answers with where to go next:
/// Stripe Checkout for a new pledge, the pledge page after a change.
#[server(endpoint = "start_pledge")]
pub async fn start_pledge(
    csrf: String,
    campaign_id: String,
    tier_id: Option<String>,
    amount: String,
    addon: Option<String>,
    reference: Option<String>,
) -> Result<String, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            rate_limit::hit(
                &state.db,
                &format!("pledge:{}", viewer.id),
                rate_limit::PLEDGE_PER_USER,
            )
            .await?;
            let terms = store::terms(&state.db, &campaign_id)
                .await?
                .filter(|t| t.state.is_public())
                .ok_or(AppError::NotFound)?;
            if terms.creator == viewer.id {
                return Err(problem(PledgeProblem::OwnCampaign));
            }
            if !terms.state.accepts_pledges() {
                return Err(problem(PledgeProblem::CampaignNotLive));
            }
            let tier_id = tier_id.filter(|t| !t.is_empty());
            let base = parse_amount(&amount, terms.currency)?;
            let addon = parse_amount(addon.as_deref().unwrap_or(""), terms.currency)?;
            let minimum = match &tier_id {
                Some(t) => {
                    let tiers = crate::campaigns::store::tiers(&state.db, &terms.id).await?;
                    let tier = tiers
                        .iter()
                        .find(|x| &x.id == t)
                        .ok_or(problem(PledgeProblem::NoSuchTier))?;
                    if tier.sold_out() {
                        return Err(problem(PledgeProblem::SoldOut));
                    }
                    tier.min_amount.minor
                }
                None => super::model::min_pledge(terms.currency),
            };
            if base < minimum {
                return Err(problem(PledgeProblem::AmountTooSmall));
            }
            if base + addon > terms.currency.sane_max_minor() {
                return Err(problem(PledgeProblem::AmountTooLarge));
            }
            if let Some(open) = store::open_of(&state.db, &viewer.id, &terms.id).await? {
                if open.state != super::rules::PledgeState::Authorized {
                    return Err(problem(PledgeProblem::AlreadyBacking));
                }
                if !store::change_authorized(&state.db, &open, tier_id.as_deref(), base, addon)
                    .await?
                {
                    return Err(AppError::Conflict);
                }
                return Ok(format!("/pledges/{}", open.id));
            }
            let reference = reference
                .filter(|r| !r.is_empty() && r.len() <= 40)
                .filter(|r| {
                    r.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                });
            let (_, url) = flow::begin(
                &state,
                flow::PledgeRequest {
                    terms: &terms,
                    backer: &viewer.id,
                    tier: tier_id.as_deref(),
                    base,
                    addon,
                    reference: reference.as_deref(),
                },
            )
            .await?;
            Ok(url)
        }
        .await,
    )
}

/// One of the viewer's pledges (the thank-you page polls it until the webhook confirms).
#[server(endpoint = "pledge_status")]
pub async fn pledge_status(pledge_id: String) -> Result<PledgeView, AppError> {
    use ssr::*;
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            views(
                &state.db,
                "id = type::record('pledge', $id) AND backer = type::record('user', $u)",
                crate::vars!("id" => pledge_id, "u" => viewer.id),
                None,
                state.settings.stripe.refund_period(),
            )
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)
        }
        .await,
    )
}

/// How many pledges "My pledges" shows at once (a phone screen or two).
pub const PLEDGES_PER_PAGE: u32 = 10;

/// The signed-in backer's pledges, newest first, one page at a time, narrowed by `show`
/// (a `PledgeFilter` name; anything else lists all).
#[server(endpoint = "my_pledges")]
pub async fn my_pledges(page: u32, show: String) -> Result<PledgeList, AppError> {
    use ssr::*;
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let page = page.clamp(1, 10_000);
            let states: Vec<&str> = super::rules::PledgeFilter::parse(&show)
                .states()
                .iter()
                .map(|s| s.as_str())
                .collect();
            // One row past the page says whether an older page exists.
            let mut items = views(
                &state.db,
                "backer = type::record('user', $u) AND state IN $states",
                crate::vars!("u" => viewer.id, "states" => states),
                Some(((page - 1) * PLEDGES_PER_PAGE, PLEDGES_PER_PAGE + 1)),
                state.settings.stripe.refund_period(),
            )
            .await?;
            let has_more = items.len() > PLEDGES_PER_PAGE as usize;
            items.truncate(PLEDGES_PER_PAGE as usize);
            Ok(PledgeList {
                items,
                page,
                has_more,
            })
        }
        .await,
    )
}

#[server(endpoint = "cancel_pledge")]
pub async fn cancel_pledge(csrf: String, pledge_id: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let p = own_pledge(&state.db, &pledge_id, &viewer).await?;
            let terms = store::terms(&state.db, &p.campaign)
                .await?
                .ok_or(AppError::NotFound)?;
            // Once the end has passed the total is the deadline's to judge: no more changes.
            if !terms.state.accepts_pledges() || terms.ends_at <= chrono::Utc::now() {
                return Err(problem(PledgeProblem::NotNow));
            }
            if !matches!(
                p.state,
                super::rules::PledgeState::PendingCheckout | super::rules::PledgeState::Authorized
            ) {
                return Err(problem(PledgeProblem::NotNow));
            }
            flow::cancel(&state, &p).await
        }
        .await,
    )
}

/// Refunds a paid pledge: all of it when `amount` is empty. Backers may refund their own
/// flexible pledges within the refund window; creators and admins any paid pledge.
#[server(endpoint = "refund_pledge")]
pub async fn refund_pledge(
    csrf: String,
    pledge_id: String,
    amount: Option<String>,
) -> Result<PledgeView, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let p = store::get(&state.db, &pledge_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let by = refunder(&state.db, &p, &viewer).await?;
            let amount = match amount.filter(|a| !a.trim().is_empty()) {
                Some(a) if by != Refunder::Backer => Some(parse_amount(&a, p.currency)?),
                Some(_) => return Err(problem(PledgeProblem::NotNow)),
                None => None,
            };
            let after = flow::refund(&state, &p, amount, by).await?;
            views(
                &state.db,
                "id = type::record('pledge', $id)",
                crate::vars!("id" => after.id),
                None,
                state.settings.stripe.refund_period(),
            )
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)
        }
        .await,
    )
}

/// Opens Checkout to save a new card for a pledge whose charge failed.
#[server(endpoint = "update_card")]
pub async fn update_card(csrf: String, pledge_id: String) -> Result<String, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let p = own_pledge(&state.db, &pledge_id, &viewer).await?;
            if p.state != super::rules::PledgeState::Retrying {
                return Err(problem(PledgeProblem::NotNow));
            }
            flow::update_card(&state, &p).await
        }
        .await,
    )
}

/// The whole ledger of a campaign, for its creator and admins.
#[server(endpoint = "campaign_ledger")]
pub async fn load_ledger(campaign_id: String) -> Result<CampaignLedger, AppError> {
    use ssr::*;
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let terms = store::terms(&state.db, &campaign_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if terms.creator != viewer.id && !viewer.has(Role::Admin) {
                return Err(AppError::NotFound);
            }
            let rows = ledger_rows(&state.db, LedgerOwner::Campaign, &terms.id, None).await?;
            #[derive(serde::Deserialize)]
            struct Count {
                state: super::rules::PledgeState,
                n: u64,
                total: i64,
            }
            let counts: Vec<Count> = state
                .db
                .rows(
                    "SELECT state, count() AS n, math::sum(amount) AS total FROM pledge \
                     WHERE campaign = type::record('campaign', $c) GROUP BY state",
                    crate::vars!("c" => &terms.id),
                )
                .await?;
            Ok(CampaignLedger {
                summary: summarize(&rows),
                campaign_id: terms.id,
                title: terms.title,
                slug: terms.slug,
                currency: terms.currency,
                rows,
                states: counts
                    .into_iter()
                    .map(|c| (c.state, c.n, c.total))
                    .collect(),
            })
        }
        .await,
    )
}

/// Where a public campaign's money went (totals only), for everyone.
#[server(endpoint = "money_summary")]
pub async fn load_money_summary(campaign_id: String) -> Result<MoneySummary, AppError> {
    use ssr::*;
    respond(
        async {
            let state = state()?;
            let terms = store::terms(&state.db, &campaign_id)
                .await?
                .filter(|t| t.state.is_public())
                .ok_or(AppError::NotFound)?;
            Ok(summarize(
                &ledger_rows(&state.db, LedgerOwner::Campaign, &terms.id, None).await?,
            ))
        }
        .await,
    )
}
