//! Disputes (chargebacks), applied from Stripe's `charge.dispute.*` events (server only). The
//! event only names the dispute: it is fetched back, then its payment intent, which says what
//! was paid (a course order or a pledge). Each step is a compare-and-set in one transaction with
//! its ledger entry (`dispute:{dp}` and `dispute_won:{dp}` are recorded once), so a duplicated,
//! late or reordered event converges on the same state and never moves money twice.

use super::flow::{record_paid, unavailable};
use super::ledger::{
    dispute_legs, dispute_won_legs, milestone_dispute_legs, milestone_dispute_won_legs, Leg, TxKind,
};
use super::mails::{self, Kind};
use super::rules::{PledgeEvent, PledgeState};
use super::store::{self, LedgerEntry, Move, PledgeRow};
use super::stripe::{DisputeFacts, DisputeStatus};
use crate::backend::AppState;
use crate::campaigns::model::CampaignMode;
use crate::error::{AppError, AppResult};
use crate::vars;

/// Brings whatever dispute `id` is about up to date with Stripe.
pub async fn sync_dispute(state: &AppState, id: &str) -> AppResult<()> {
    let d = state.payments.dispute(id).await.map_err(unavailable)?;
    if d.status == DisputeStatus::NoFunds {
        tracing::info!(
            dispute = id,
            "an inquiry without withdrawn funds; nothing to do"
        );
        return Ok(());
    }
    let Some(pi) = d.payment_intent.clone() else {
        tracing::info!(dispute = id, "dispute without a payment intent; ignored");
        return Ok(());
    };
    let facts = state.payments.intent(&pi).await.map_err(unavailable)?;
    if facts.metadata.contains_key("order") {
        return crate::courses::disputes::sync(state, &facts, &d).await;
    }
    let Some(pledge_id) = facts.metadata.get("pledge") else {
        return Ok(());
    };
    let Some(mut p) = store::get(&state.db, pledge_id).await? else {
        tracing::info!(dispute = id, "dispute for an unknown pledge; ignored");
        return Ok(());
    };
    // The payment's own events may not have arrived yet: the dispute proves it succeeded.
    if facts.succeeded
        && matches!(
            p.state,
            PledgeState::PendingCheckout | PledgeState::Charging
        )
    {
        record_paid(state, &p, &facts).await?;
        p = reload(state, &p.id).await?;
    }
    if p.payment_intent.as_deref() != Some(pi.as_str()) {
        tracing::info!(dispute = id, pledge = %p.id, "dispute on another charge; ignored");
        return Ok(());
    }
    apply(state, p, &d).await
}

async fn reload(state: &AppState, id: &str) -> AppResult<PledgeRow> {
    store::get(&state.db, id).await?.ok_or(AppError::NotFound)
}

/// Opens the dispute on a paid pledge if that has not happened yet, then applies its outcome.
async fn apply(state: &AppState, mut p: PledgeRow, d: &DisputeFacts) -> AppResult<()> {
    let terms = store::terms(&state.db, &p.campaign)
        .await?
        .ok_or(AppError::NotFound)?;
    let escrow = terms.mode == CampaignMode::Milestone;
    let this_dispute = p.dispute.as_deref() == Some(d.id.as_str());
    if p.state == PledgeState::Paid && !this_dispute {
        let legs = if escrow {
            // Stages may have been released: the escrow gives only what it still holds.
            let (held, _) = super::milestones::ssr::escrow(state, &p.campaign).await?;
            milestone_dispute_legs(&p.campaign, p.paid, p.platform_fee, d.amount, d.fee, held)
        } else {
            dispute_legs(&p.campaign, p.paid, p.platform_fee, d.amount, d.fee, false)
        };
        let m = Move::new(PledgeEvent::DisputeOpened)
            .patch(serde_json::json!({ "dispute": d.id, "disputed": d.amount }))
            .ledger(LedgerEntry {
                kind: TxKind::Dispute,
                source: format!("dispute:{}", d.id),
                memo: format!("pledge {} (disputed)", p.id),
                legs,
            });
        match store::apply(&state.db, &p.id, p.state, m).await? {
            Some(after) => {
                tracing::info!(pledge = %p.id, dispute = %d.id, "pledge disputed");
                mails::send(state, &after, &terms, Kind::Disputed).await;
                p = after;
            }
            None => p = reload(state, &p.id).await?,
        }
    }
    if p.state != PledgeState::Disputed || p.dispute.as_deref() != Some(d.id.as_str()) {
        return Ok(());
    }
    let (event, kind, ledger) = match d.status {
        DisputeStatus::Won => {
            let legs = if escrow {
                // Back to wherever the opening took it from (escrow, creator's share).
                let opened = opening_legs(state, &d.id).await?;
                milestone_dispute_won_legs(&p.campaign, &opened, d.fee, d.fee_returned)
            } else {
                dispute_won_legs(
                    &p.campaign,
                    p.paid,
                    p.platform_fee,
                    p.disputed,
                    d.fee_returned,
                    false,
                )
            };
            (
                PledgeEvent::DisputeWon,
                Kind::DisputeWon,
                Some(LedgerEntry {
                    kind: TxKind::DisputeWon,
                    source: format!("dispute_won:{}", d.id),
                    memo: format!("pledge {} (dispute won)", p.id),
                    legs,
                }),
            )
        }
        DisputeStatus::Lost => (PledgeEvent::DisputeLost, Kind::DisputeLost, None),
        DisputeStatus::Open | DisputeStatus::NoFunds => return Ok(()),
    };
    let mut m = Move::new(event);
    if let Some(entry) = ledger {
        m = m.ledger(entry).patch(serde_json::json!({ "disputed": 0 }));
    }
    if let Some(after) = store::apply(&state.db, &p.id, p.state, m).await? {
        tracing::info!(pledge = %p.id, dispute = %d.id, state = after.state.as_str(), "dispute closed");
        mails::send(state, &after, &terms, kind).await;
    }
    Ok(())
}

/// The legs recorded when dispute `id` opened.
async fn opening_legs(state: &AppState, id: &str) -> AppResult<Vec<Leg>> {
    state
        .db
        .row::<Vec<Leg>>(
            "SELECT VALUE legs FROM ledger_tx WHERE source = $s",
            vars!("s" => format!("dispute:{id}")),
        )
        .await?
        .ok_or(AppError::NotFound)
}
