//! Settlement: what happens to pledges once a campaign has ended. Runs as a background pass on
//! every instance; a lease per campaign keeps two instances off the same campaign, and every
//! charge carries the idempotency key `pledge-<id>-charge-<attempt>`, so a pass killed half-way
//! is finished by the next one without charging anybody twice or missing anybody.
//!
//! - succeeded, all-or-nothing: charge every saved card off-session; a decline is retried on the
//!   schedule in `COHORT_CHARGE_RETRIES` (the backer is mailed a card-update link), then dropped.
//! - succeeded, flexible or milestone: money was taken at checkout; nothing to charge.
//! - failed or cancelled: open pledges are cancelled and their backers told; nobody is charged.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::flow;
use super::mails::{self, Kind};
use super::rules::{PledgeEvent, PledgeState};
use super::store::{self, CampaignTerms, Move, PledgeRow};
use super::stripe::PayError;
use crate::backend::AppState;
use crate::campaigns::rules::{Actor, CampaignEvent, CampaignState};
use crate::error::AppResult;
use crate::vars;

/// Pledges handled per campaign per pass (the next pass continues).
const BATCH: usize = 500;
/// Charges in flight at once per campaign.
const PARALLEL: usize = 8;
const LEASE_SECS: i64 = 120;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub charged: usize,
    pub declined: usize,
    pub dropped: usize,
    pub cancelled: usize,
    pub settled: usize,
    /// Milestone stages released or failed.
    pub stages: usize,
}

/// One pass over every campaign with settlement work. `holder` names this instance.
pub async fn pass(state: &AppState, holder: &str, now: DateTime<Utc>) -> AppResult<Report> {
    let mut report = Report::default();
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    let ids: Vec<Id> = state
        .db
        .rows(
            "SELECT record::id(id) AS id FROM campaign WHERE state IN ['succeeded', 'settling'] \
             OR (state IN ['failed', 'cancelled'] AND pledges_closed = false)",
            vars!(),
        )
        .await?;
    for Id { id } in ids {
        let lease = format!("settle:{id}");
        if !store::take_lease(
            &state.db,
            &lease,
            holder,
            now + Duration::seconds(LEASE_SECS),
        )
        .await?
        {
            continue;
        }
        let result = campaign(state, &id, now, &mut report).await;
        store::drop_lease(&state.db, &lease, holder).await?;
        result?;
    }
    if store::take_lease(
        &state.db,
        "milestones",
        holder,
        now + Duration::seconds(LEASE_SECS),
    )
    .await?
    {
        let decided = super::milestones::ssr::decide_due(state, now).await;
        store::drop_lease(&state.db, "milestones", holder).await?;
        report.stages = decided?;
    }
    Ok(report)
}

async fn campaign(
    state: &AppState,
    id: &str,
    now: DateTime<Utc>,
    report: &mut Report,
) -> AppResult<()> {
    let Some(terms) = store::terms(&state.db, id).await? else {
        return Ok(());
    };
    match terms.state {
        CampaignState::Failed | CampaignState::Cancelled => {
            close_unfunded(state, &terms, report).await
        }
        CampaignState::Succeeded => {
            crate::campaigns::store::apply(
                &state.db,
                id,
                CampaignState::Succeeded,
                CampaignEvent::BeginSettlement,
                Actor::System,
                None,
                None,
            )
            .await?;
            charge_due(state, &terms, now, report).await
        }
        CampaignState::Settling => charge_due(state, &terms, now, report).await,
        _ => Ok(()),
    }
}

/// Cancels every open pledge of a campaign that will not be funded; a milestone campaign's
/// money (taken at checkout and held) goes back in full.
async fn close_unfunded(
    state: &AppState,
    terms: &CampaignTerms,
    report: &mut Report,
) -> AppResult<()> {
    if terms.mode == crate::campaigns::model::CampaignMode::Milestone {
        for p in store::of_campaign(&state.db, &terms.id, &[PledgeState::Paid], 100_000).await? {
            if p.refunded < p.paid {
                flow::refund(state, &p, None, flow::Refunder::Admin).await?;
                report.cancelled += 1;
            }
        }
    }
    loop {
        let open = store::of_campaign(
            &state.db,
            &terms.id,
            &[
                PledgeState::Authorized,
                PledgeState::Retrying,
                PledgeState::PendingCheckout,
            ],
            BATCH,
        )
        .await?;
        if open.is_empty() {
            break;
        }
        for p in open {
            let was_authorized = p.state == PledgeState::Authorized;
            if p.state == PledgeState::PendingCheckout {
                // Let Checkout finish or expire on its own; a card saved afterwards is
                // released by the webhook (see `flow::after_card_saved`).
                flow::cancel(state, &p).await.ok();
                continue;
            }
            if store::apply(&state.db, &p.id, p.state, Move::new(PledgeEvent::Cancel))
                .await?
                .is_some()
            {
                report.cancelled += 1;
                if was_authorized {
                    mails::send(state, &p, terms, Kind::GoalMissed).await;
                }
            }
        }
    }
    state
        .db
        .run(
            "UPDATE type::record('campaign', $c) SET pledges_closed = true",
            vars!("c" => &terms.id),
        )
        .await?;
    Ok(())
}

async fn charge_due(
    state: &AppState,
    terms: &CampaignTerms,
    now: DateTime<Utc>,
    report: &mut Report,
) -> AppResult<()> {
    loop {
        let due: Vec<PledgeRow> = store::of_campaign(
            &state.db,
            &terms.id,
            &[
                PledgeState::Authorized,
                PledgeState::Charging,
                PledgeState::Retrying,
            ],
            BATCH,
        )
        .await?
        .into_iter()
        .filter(|p| p.state != PledgeState::Retrying || p.next_attempt_at.is_none_or(|t| t <= now))
        .collect();
        if due.is_empty() {
            break;
        }
        let outcomes = futures::future::join_all(due.chunks(PARALLEL).map(|chunk| async move {
            let mut out = Vec::new();
            for p in chunk {
                out.push(charge(state, terms, p, now).await);
            }
            out
        }))
        .await;
        let mut progressed = false;
        for o in outcomes.into_iter().flatten() {
            match o? {
                Outcome::Charged => report.charged += 1,
                Outcome::Declined => report.declined += 1,
                Outcome::Dropped => report.dropped += 1,
                Outcome::Unchanged => continue,
            }
            progressed = true;
        }
        if !progressed {
            // Stripe is unavailable or another writer holds these pledges: try next pass.
            return Ok(());
        }
    }
    let still_open: Vec<serde_json::Value> = state
        .db
        .rows(
            "SELECT id FROM pledge WHERE campaign = type::record('campaign', $c) \
             AND state IN ['authorized', 'charging', 'retrying'] LIMIT 1",
            vars!("c" => &terms.id),
        )
        .await?;
    if still_open.is_empty()
        && crate::campaigns::store::apply(
            &state.db,
            &terms.id,
            CampaignState::Settling,
            CampaignEvent::FinishSettlement,
            Actor::System,
            None,
            None,
        )
        .await?
        .is_some()
    {
        report.settled += 1;
        tracing::info!(campaign = %terms.id, "campaign settled");
    }
    Ok(())
}

enum Outcome {
    Charged,
    Declined,
    Dropped,
    Unchanged,
}

/// One charge attempt. A pledge found in `charging` was left there by a pass that stopped
/// mid-way: the same attempt is made again with the same idempotency key, and Stripe answers
/// with the first attempt's result instead of charging again.
async fn charge(
    state: &AppState,
    terms: &CampaignTerms,
    p: &PledgeRow,
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let p = if p.state == PledgeState::Charging {
        p.clone()
    } else {
        let started = store::apply(
            &state.db,
            &p.id,
            p.state,
            Move::new(PledgeEvent::StartCharge)
                .patch(serde_json::json!({ "attempts": p.attempts + 1 })),
        )
        .await?;
        match started {
            Some(p) => p,
            None => return Ok(Outcome::Unchanged),
        }
    };
    let (Some(customer), Some(card)) = (&p.customer, &p.payment_method) else {
        tracing::warn!(pledge = %p.id, "pledge without a saved card");
        return decline(state, terms, &p, now, "no saved card".into(), None).await;
    };
    let result = state
        .payments
        .charge_saved_card(
            &format!("pledge-{}-charge-{}", p.id, p.attempts),
            customer,
            card,
            p.amount,
            p.currency,
            HashMap::from([
                ("pledge".to_string(), p.id.clone()),
                ("attempt".to_string(), p.attempts.to_string()),
            ]),
        )
        .await;
    match result {
        Ok(facts) if facts.succeeded => {
            flow::record_paid(state, &p, &facts).await?;
            Ok(Outcome::Charged)
        }
        Ok(facts) => {
            let why = facts
                .failure
                .map(|(_, m)| m)
                .unwrap_or_else(|| "the charge did not complete".into());
            decline(state, terms, &p, now, why, Some(facts.id)).await
        }
        Err(PayError::Declined {
            message,
            payment_intent,
            ..
        }) => decline(state, terms, &p, now, message, payment_intent).await,
        Err(e) => {
            tracing::warn!(pledge = %p.id, error = %e, "charge attempt failed; retried next pass");
            Ok(Outcome::Unchanged)
        }
    }
}

async fn decline(
    state: &AppState,
    terms: &CampaignTerms,
    p: &PledgeRow,
    now: DateTime<Utc>,
    why: String,
    intent: Option<String>,
) -> AppResult<Outcome> {
    let schedule = &state.settings.stripe.retry_schedule;
    // Attempt n (1-based) is followed by wait n; after the last wait's attempt, drop.
    let last = p.attempts as usize > schedule.len();
    let mut m = Move::new(PledgeEvent::ChargeDeclined { last })
        .patch(serde_json::json!({ "failure": why, "payment_intent": intent }));
    if !last {
        let wait = schedule[(p.attempts as usize).saturating_sub(1)];
        m.next_attempt_at = Some(now + Duration::from_std(wait).unwrap_or(Duration::days(1)));
    }
    let Some(after) = store::apply(&state.db, &p.id, PledgeState::Charging, m).await? else {
        return Ok(Outcome::Unchanged);
    };
    if last {
        mails::send(state, &after, terms, Kind::Dropped).await;
        Ok(Outcome::Dropped)
    } else {
        mails::send(state, &after, terms, Kind::ChargeFailed).await;
        Ok(Outcome::Declined)
    }
}
