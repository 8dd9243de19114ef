//! The pledge flow on the server: opening a Checkout session, applying what Stripe reports
//! (webhooks), and refunds. Stripe is the source of truth: a webhook only says "look at this
//! object", and we fetch the object back before changing anything, so duplicated or reordered
//! events converge on the same state.

use std::collections::HashMap;

use chrono::{Duration, Utc};

use super::ledger::{charge_legs, TxKind};
use super::model::PledgeProblem;
use super::rules::{PledgeEvent, PledgeState};
use super::store::{self, problem, LedgerEntry, Move, NewPledge, PledgeRow};
use super::stripe::{CheckoutMode, CheckoutRequest, IntentFacts, PayError};
use crate::backend::AppState;
use crate::campaigns::model::CampaignMode;
use crate::campaigns::rules::CampaignState;
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::vars;

pub fn new_pledge_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub(crate) fn unavailable(e: PayError) -> AppError {
    tracing::warn!(error = %e, "payment call failed");
    match e {
        PayError::Refused(_) => AppError::Internal,
        PayError::Missing(_) => AppError::NotFound,
        _ => problem(PledgeProblem::PaymentsUnavailable),
    }
}

/// The backer's Stripe customer, created once.
pub(crate) async fn customer_of(state: &AppState, user: &str) -> AppResult<String> {
    #[derive(serde::Deserialize)]
    struct Row {
        stripe_customer: Option<String>,
        email: String,
        display_name: String,
    }
    let row: Row = state
        .db
        .row(
            "SELECT stripe_customer, email, display_name FROM type::record('user', $u)",
            vars!("u" => user),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(c) = row.stripe_customer {
        return Ok(c);
    }
    let id = state
        .payments
        .create_customer(user, &row.email, &row.display_name)
        .await
        .map_err(unavailable)?;
    state
        .db
        .run(
            "UPDATE type::record('user', $u) SET stripe_customer = $c",
            vars!("u" => user, "c" => &id),
        )
        .await?;
    Ok(id)
}

pub struct PledgeRequest<'a> {
    pub terms: &'a store::CampaignTerms,
    pub backer: &'a str,
    pub tier: Option<&'a str>,
    pub base: i64,
    pub addon: i64,
    pub reference: Option<&'a str>,
}

/// Reserves the place and opens Checkout. Returns the pledge id and the URL to send the backer
/// to. If Stripe cannot be reached the reservation is released and nothing is left behind.
pub async fn begin(state: &AppState, r: PledgeRequest<'_>) -> AppResult<(String, String)> {
    let id = new_pledge_id();
    let setup = r.terms.mode == CampaignMode::AllOrNothing;
    store::open(
        &state.db,
        NewPledge {
            id: &id,
            campaign: &r.terms.id,
            backer: r.backer,
            tier: r.tier,
            base_amount: r.base,
            addon: r.addon,
            currency: r.terms.currency,
            setup,
            reference: r.reference,
        },
    )
    .await?;
    match open_checkout(state, &id, r.backer, r.terms, r.base + r.addon, setup).await {
        Ok(url) => Ok((id, url)),
        Err(e) => {
            store::apply(
                &state.db,
                &id,
                PledgeState::PendingCheckout,
                Move::new(PledgeEvent::Cancel),
            )
            .await?;
            Err(e)
        }
    }
}

async fn open_checkout(
    state: &AppState,
    id: &str,
    backer: &str,
    terms: &store::CampaignTerms,
    amount: i64,
    setup: bool,
) -> AppResult<String> {
    let customer = customer_of(state, backer).await?;
    let base = &state.settings.public_url;
    let (session, url) = state
        .payments
        .create_checkout(CheckoutRequest {
            key: format!("checkout-{id}"),
            mode: if setup {
                CheckoutMode::Setup
            } else {
                CheckoutMode::Payment
            },
            customer: &customer,
            currency: terms.currency,
            amount,
            product: &terms.title,
            success_url: format!("{base}/pledges/{id}"),
            cancel_url: format!("{base}/c/{}/pledge?cancelled={id}", terms.slug),
            // Stripe's shortest allowed lifetime is 30 minutes.
            expires_at: (Utc::now() + Duration::minutes(31)).timestamp(),
            metadata: HashMap::from([
                ("pledge".to_string(), id.to_string()),
                ("campaign".to_string(), terms.id.clone()),
            ]),
        })
        .await
        .map_err(unavailable)?;
    store::set_checkout(&state.db, id, &customer, &session, &url).await?;
    Ok(url)
}

/// A new Checkout session (setup mode) for a pledge whose charge failed: the backer saves
/// another card and the next attempt uses it at once.
pub async fn update_card(state: &AppState, p: &PledgeRow) -> AppResult<String> {
    let terms = store::terms(&state.db, &p.campaign)
        .await?
        .ok_or(AppError::NotFound)?;
    let customer = match &p.customer {
        Some(c) => c.clone(),
        None => customer_of(state, &p.backer).await?,
    };
    let base = &state.settings.public_url;
    let (session, url) = state
        .payments
        .create_checkout(CheckoutRequest {
            key: format!("card-{}-{}", p.id, p.attempts),
            mode: CheckoutMode::Setup,
            customer: &customer,
            currency: terms.currency,
            amount: p.amount,
            product: &terms.title,
            success_url: format!("{base}/pledges/{}", p.id),
            cancel_url: format!("{base}/pledges"),
            expires_at: (Utc::now() + Duration::minutes(31)).timestamp(),
            metadata: HashMap::from([
                ("pledge".to_string(), p.id.clone()),
                ("purpose".to_string(), "update_card".to_string()),
            ]),
        })
        .await
        .map_err(unavailable)?;
    state
        .db
        .run(
            "UPDATE type::record('pledge', $id) SET checkout_session = $s, checkout_url = $u",
            vars!("id" => &p.id, "s" => session, "u" => url.clone()),
        )
        .await?;
    Ok(url)
}

/// What a webhook event asks us to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Session(String),
    Intent(String),
    /// A dispute (chargeback) opened, changed or closed.
    Dispute(String),
    Ignored,
}

pub fn subject_of(event_type: &str, object_id: &str) -> Subject {
    match event_type {
        "checkout.session.completed"
        | "checkout.session.expired"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed" => Subject::Session(object_id.to_string()),
        "payment_intent.succeeded" | "payment_intent.payment_failed" => {
            Subject::Intent(object_id.to_string())
        }
        "charge.dispute.created"
        | "charge.dispute.updated"
        | "charge.dispute.closed"
        | "charge.dispute.funds_withdrawn"
        | "charge.dispute.funds_reinstated" => Subject::Dispute(object_id.to_string()),
        _ => Subject::Ignored,
    }
}

/// Brings the pledge behind Checkout session `id` up to date with Stripe.
pub async fn sync_session(state: &AppState, id: &str) -> AppResult<()> {
    let s = state.payments.session(id).await.map_err(unavailable)?;
    if s.metadata.contains_key("order") {
        return crate::courses::purchase::sync_session(state, &s).await;
    }
    let Some(pledge_id) = s.metadata.get("pledge") else {
        tracing::info!(session = id, "session without a pledge; ignored");
        return Ok(());
    };
    let Some(p) = store::get(&state.db, pledge_id).await? else {
        tracing::info!(session = id, "session for an unknown pledge; ignored");
        return Ok(());
    };
    if s.metadata.get("purpose").map(String::as_str) == Some("update_card") {
        if s.complete {
            if let Some(si) = &s.setup_intent {
                if let Some(pm) = state.payments.saved_card(si).await.map_err(unavailable)? {
                    // The next settlement pass retries with the new card straight away.
                    state
                        .db
                        .run(
                            "UPDATE type::record('pledge', $id) SET payment_method = $pm, \
                             next_attempt_at = time::now() WHERE state = 'retrying'",
                            vars!("id" => &p.id, "pm" => pm),
                        )
                        .await?;
                }
            }
        }
        return Ok(());
    }
    if p.state != PledgeState::PendingCheckout || p.checkout_session.as_deref() != Some(id) {
        // A payment this pledge no longer waits for is looked at (and refunded) by intent.
        if let (true, Some(pi)) = (s.complete, &s.payment_intent) {
            sync_intent(state, pi).await?;
        }
        return Ok(());
    }
    if s.expired {
        store::apply(
            &state.db,
            &p.id,
            p.state,
            Move::new(PledgeEvent::CheckoutExpired),
        )
        .await?;
        return Ok(());
    }
    if !s.complete {
        return Ok(());
    }
    if s.setup {
        let Some(si) = &s.setup_intent else {
            return Ok(());
        };
        let Some(pm) = state.payments.saved_card(si).await.map_err(unavailable)? else {
            return Ok(());
        };
        let moved = store::apply(
            &state.db,
            &p.id,
            p.state,
            Move::new(PledgeEvent::CardSaved).patch(serde_json::json!({ "payment_method": pm })),
        )
        .await?;
        if let Some(p) = moved {
            after_card_saved(state, &p).await?;
        }
    } else if let Some(pi) = &s.payment_intent {
        sync_intent(state, pi).await?;
    }
    Ok(())
}

/// A card saved for a campaign that closed meanwhile is released at once; otherwise the backer
/// gets a confirmation.
async fn after_card_saved(state: &AppState, p: &PledgeRow) -> AppResult<()> {
    let terms = store::terms(&state.db, &p.campaign).await?;
    if let Some(t) = terms {
        if matches!(t.state, CampaignState::Failed | CampaignState::Cancelled) {
            store::apply(&state.db, &p.id, p.state, Move::new(PledgeEvent::Cancel)).await?;
            return Ok(());
        }
        super::mails::send(state, p, &t, super::mails::Kind::Authorized).await;
    }
    Ok(())
}

/// Brings the pledge behind PaymentIntent `id` up to date with Stripe.
pub async fn sync_intent(state: &AppState, id: &str) -> AppResult<()> {
    let facts = state.payments.intent(id).await.map_err(unavailable)?;
    if facts.metadata.contains_key("order") {
        return crate::courses::purchase::sync_intent(state, &facts).await;
    }
    let Some(pledge_id) = facts.metadata.get("pledge").cloned() else {
        return Ok(());
    };
    let Some(p) = store::get(&state.db, &pledge_id).await? else {
        tracing::info!(intent = id, "intent for an unknown pledge; ignored");
        return Ok(());
    };
    if !facts.succeeded {
        return Ok(());
    }
    let mut p = p;
    if matches!(
        p.state,
        PledgeState::PendingCheckout | PledgeState::Charging
    ) {
        if record_paid(state, &p, &facts).await?.is_some() {
            return Ok(());
        }
        // Lost a race (a cancel, or a duplicate that recorded it): look again.
        p = store::get(&state.db, &p.id)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    if is_stray(&p, &facts.id) {
        super::stray::refund(state, &facts, &format!("pledge {}", p.id), p.currency).await?;
    }
    Ok(())
}

/// Money arrived: the pledge is paid and the ledger records the charge, in one transaction.
pub async fn record_paid(
    state: &AppState,
    p: &PledgeRow,
    facts: &IntentFacts,
) -> AppResult<Option<PledgeRow>> {
    // Only the payment this pledge asked for counts (see `verify`).
    if !super::verify::pledge_payment(state, p, facts).await? {
        return Ok(None);
    }
    let terms = store::terms(&state.db, &p.campaign)
        .await?
        .ok_or(AppError::NotFound)?;
    let amount = facts.amount_received;
    let platform_fee = Money::new(amount, terms.currency).fee(terms.fee_bps).minor;
    let escrow = terms.mode == CampaignMode::Milestone;
    let moved = store::apply(
        &state.db,
        &p.id,
        p.state,
        Move::new(PledgeEvent::Paid)
            .patch(serde_json::json!({
                "payment_intent": facts.id,
                "paid": amount,
                "platform_fee": platform_fee,
                "stripe_fee": facts.fee,
            }))
            .ledger(LedgerEntry {
                kind: TxKind::Charge,
                source: format!("charge:{}", facts.id),
                memo: format!("pledge {}", p.id),
                legs: charge_legs(&p.campaign, amount, platform_fee, facts.fee, escrow),
            }),
    )
    .await?;
    if let Some(paid) = &moved {
        super::mails::send(state, paid, &terms, super::mails::Kind::Receipt).await;
    }
    Ok(moved)
}

/// Who asks for a refund decides what is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refunder {
    /// The backer, within the refund window, for pledges charged at once.
    Backer,
    Creator,
    Admin,
}

/// Refunds `amount` (all that remains when `None`) of a paid pledge through Stripe, then
/// records it. The refund is reserved in the database first (`claims`), so refunds racing
/// each other never refund more than the ledger records; the idempotency key names the claim.
pub async fn refund(
    state: &AppState,
    p: &PledgeRow,
    amount: Option<i64>,
    by: Refunder,
) -> AppResult<PledgeRow> {
    if p.state != PledgeState::Paid {
        return Err(problem(PledgeProblem::NotNow));
    }
    let remaining = p.paid - p.refunded - p.refund_reserved;
    let amount = amount.unwrap_or(remaining);
    if amount <= 0 || amount > remaining {
        return Err(problem(PledgeProblem::RefundTooLarge));
    }
    let terms = store::terms(&state.db, &p.campaign)
        .await?
        .ok_or(AppError::NotFound)?;
    if by == Refunder::Backer {
        let window = state.settings.stripe.refund_period();
        let in_window = p.paid_at.is_some_and(|at| Utc::now() - at <= window);
        // All-or-nothing pledges are charged at the end, for a reward the creator now owes;
        // they are refunded by the creator or an admin.
        if terms.mode == CampaignMode::AllOrNothing || !in_window {
            return Err(problem(PledgeProblem::RefundWindowClosed));
        }
    }
    let claim = super::claims::reserve(
        &state.db,
        &super::claims::new_id(),
        &p.id,
        amount,
        super::claims::Purpose::Refund,
        &format!("pledge {} ({by:?})", p.id),
    )
    .await?;
    let after = super::claims::finish(state, &claim).await?;
    super::mails::send(state, &after, &terms, super::mails::Kind::Refunded(amount)).await;
    Ok(after)
}

/// Cancels an open pledge. An unfinished Checkout is first looked up in Stripe: still open, it
/// is expired so it cannot complete later; already completed, what it did is applied first (a
/// saved card is then released, a payment refuses the cancel: the pledge is paid). When Stripe
/// cannot be asked, nothing is cancelled. A saved card is simply never charged.
pub async fn cancel(state: &AppState, p: &PledgeRow) -> AppResult<()> {
    let mut p = p.clone();
    if p.state == PledgeState::PendingCheckout {
        if let Some(s) = p.checkout_session.clone() {
            settle_checkout(state, &s).await?;
            p = store::get(&state.db, &p.id)
                .await?
                .ok_or(AppError::NotFound)?;
        }
    }
    match p.state {
        PledgeState::PendingCheckout | PledgeState::Authorized | PledgeState::Retrying => {}
        PledgeState::Cancelled | PledgeState::Expired => return Ok(()),
        PledgeState::Paid => return Err(problem(PledgeProblem::AlreadyPaid)),
        _ => return Err(problem(PledgeProblem::NotNow)),
    }
    if store::apply(&state.db, &p.id, p.state, Move::new(PledgeEvent::Cancel))
        .await?
        .is_some()
    {
        return Ok(());
    }
    // Moved meanwhile (the session's own expiry webhook, say): done if it ended anyway.
    match store::get(&state.db, &p.id).await?.map(|p| p.state) {
        Some(PledgeState::Cancelled | PledgeState::Expired) => Ok(()),
        Some(PledgeState::Paid) => Err(problem(PledgeProblem::AlreadyPaid)),
        _ => Err(AppError::Conflict),
    }
}

/// Makes Checkout session `id` final before its pledge is cancelled: an open session is
/// expired; one that completed (or expired) is applied now rather than by its webhook later.
async fn settle_checkout(state: &AppState, id: &str) -> AppResult<()> {
    let s = state.payments.session(id).await.map_err(unavailable)?;
    if !s.complete && !s.expired {
        match state.payments.expire_session(id).await {
            Ok(()) => return Ok(()),
            // It completed between our look and the expiry: apply what it did.
            Err(e) => tracing::info!(session = id, error = %e, "expiring the session failed"),
        }
    }
    sync_session(state, id).await
}

/// A payment that succeeded for a pledge which no longer waits for it (cancelled, expired,
/// dropped, or already paid by another payment) is money nobody will ever record.
fn is_stray(p: &PledgeRow, intent: &str) -> bool {
    match p.state {
        PledgeState::PendingCheckout
        | PledgeState::Charging
        | PledgeState::Authorized
        | PledgeState::Retrying => false,
        PledgeState::Cancelled | PledgeState::Expired | PledgeState::Dropped => true,
        _ => p.payment_intent.as_deref() != Some(intent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dispute_event_names_the_dispute_to_fetch_back() {
        for kind in [
            "charge.dispute.created",
            "charge.dispute.closed",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.funds_reinstated",
        ] {
            assert_eq!(subject_of(kind, "dp_1"), Subject::Dispute("dp_1".into()));
        }
        assert_eq!(subject_of("charge.refunded", "ch_1"), Subject::Ignored);
    }
}
