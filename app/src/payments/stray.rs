//! Stray payments: money Stripe took for a pledge or a course order that no longer waited for
//! it (cancelled, expired, dropped, or already paid by another payment). Nobody would ever
//! record it, so it goes straight back: a refund whose idempotency key is derived from the
//! payment (`stray-<payment intent>`), so a redelivered or concurrent webhook cannot refund
//! twice. When Stripe refuses, the payment is flagged for an admin (`/admin/payments`).

use std::collections::HashMap;

use super::model::PledgeProblem;
use super::store::problem;
use super::stripe::{IntentFacts, PayError};
use crate::backend::AppState;
use crate::error::AppResult;
use crate::money::Currency;
use crate::vars;

/// Refunds what remains of the stray payment `facts` (named `subject` for people, e.g.
/// `pledge abc`). Stripe unavailable is an error (the webhook is retried); a refusal is
/// recorded as a flag and answered `Ok`, since retrying cannot help.
pub async fn refund(
    state: &AppState,
    facts: &IntentFacts,
    subject: &str,
    currency: Currency,
) -> AppResult<()> {
    let remaining = facts.amount_received - facts.refunded;
    if remaining <= 0 {
        // Already back (by an earlier delivery of this event, or in Stripe's dashboard).
        return Ok(());
    }
    tracing::warn!(intent = %facts.id, subject, remaining, "stray payment; refunding it");
    let answer = state
        .payments
        .refund(
            &format!("stray-{}", facts.id),
            &facts.id,
            remaining,
            HashMap::from([("stray".to_string(), subject.to_string())]),
        )
        .await;
    let (status, refund, reason) = match answer {
        Ok(r) => ("refunded", Some(r.id), None),
        Err(PayError::Unavailable(m)) => {
            tracing::warn!(intent = %facts.id, error = %m, "stray refund: Stripe unavailable");
            return Err(problem(PledgeProblem::PaymentsUnavailable));
        }
        Err(e) => ("flagged", None, Some(e.to_string())),
    };
    state
        .db
        .run(
            "UPSERT type::record('stray_payment', $pi) SET subject = $subject, currency = $cur,
                amount = $amt, state = $st, refund = $re ?? NONE, reason = $why ?? NONE,
                at = time::now()",
            vars!(
                "pi" => &facts.id, "subject" => subject, "cur" => currency, "amt" => remaining,
                "st" => status, "re" => refund, "why" => reason,
            ),
        )
        .await?;
    Ok(())
}
