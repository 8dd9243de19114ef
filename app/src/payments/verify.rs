//! Checks that a payment Stripe reports is the one Cohort asked for before it is recorded: the
//! PaymentIntent must be the one of the pledge's or order's own Checkout session (or, for a
//! saved card charged off-session, be made for the backer's customer), for the amount and in
//! the currency asked. Metadata alone proves nothing: anyone holding the key could name a
//! pledge in their own session. A payment that does not match is never recorded; it is logged,
//! counted and kept in `payment_mismatch` for an admin. Runs against Stripe as against the
//! simulator.

use super::stripe::IntentFacts;
use crate::backend::AppState;
use crate::error::AppResult;
use crate::money::Currency;
use crate::vars;

/// How Cohort asked to be paid.
#[derive(Debug, Clone, Copy)]
pub enum Via<'a> {
    /// Through this Checkout session: its PaymentIntent is the only one that counts.
    Checkout(Option<&'a str>),
    /// Off-session, from a card saved for this Stripe customer.
    SavedCard(Option<&'a str>),
}

/// What Cohort asked for.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub via: Via<'a>,
    pub amount: i64,
    pub currency: Currency,
}

/// One way a reported payment differs from what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// Not the intent of the Checkout session Cohort opened.
    Session,
    /// Made for another customer than the one whose card Cohort charged.
    Customer,
    Amount,
    Currency,
}

impl Mismatch {
    pub fn as_str(self) -> &'static str {
        match self {
            Mismatch::Session => "session",
            Mismatch::Customer => "customer",
            Mismatch::Amount => "amount",
            Mismatch::Currency => "currency",
        }
    }
}

/// Everything in `facts` that differs from `asked`; `session_intent` is the PaymentIntent of
/// the Checkout session Cohort opened, as Stripe reports it.
pub fn mismatches(
    asked: &Asked<'_>,
    facts: &IntentFacts,
    session_intent: Option<&str>,
) -> Vec<Mismatch> {
    let mut found = Vec::new();
    match asked.via {
        Via::Checkout(session) => {
            if session.is_none() || session_intent != Some(facts.id.as_str()) {
                found.push(Mismatch::Session);
            }
        }
        Via::SavedCard(customer) => {
            if customer.is_none() || facts.customer.as_deref() != customer {
                found.push(Mismatch::Customer);
            }
        }
    }
    if facts.amount != asked.amount || facts.amount_received != asked.amount {
        found.push(Mismatch::Amount);
    }
    if !facts.currency.eq_ignore_ascii_case(asked.currency.code()) {
        found.push(Mismatch::Currency);
    }
    found
}

/// Whether the payment in `facts` is what `subject` (`"pledge"` or `"order"`) `id` asked for.
/// A mismatch answers `false` after flagging it; only a failure to ask Stripe is an error.
pub async fn confirm(
    state: &AppState,
    subject: &str,
    id: &str,
    asked: Asked<'_>,
    facts: &IntentFacts,
) -> AppResult<bool> {
    let session_intent = match asked.via {
        Via::Checkout(Some(session)) => {
            state
                .payments
                .session(session)
                .await
                .map_err(super::flow::unavailable)?
                .payment_intent
        }
        _ => None,
    };
    let found = mismatches(&asked, facts, session_intent.as_deref());
    if found.is_empty() {
        return Ok(true);
    }
    let problems: Vec<&str> = found.iter().map(|m| m.as_str()).collect();
    tracing::warn!(
        subject, id, intent = %facts.id, ?problems, amount = facts.amount_received,
        currency = %facts.currency, "a payment that does not match what was asked; not recorded"
    );
    metrics::counter!("cohort_payment_mismatches_total", "subject" => subject.to_string())
        .increment(1);
    state
        .db
        .run(
            "UPSERT type::record('payment_mismatch', $pi) SET subject = $subject, \
             subject_id = $id, payment_intent = $pi, problems = $problems, \
             expected_amount = $expected_amount, expected_currency = $expected_currency, \
             amount = $amount, currency = $currency",
            vars!("pi" => &facts.id, "subject" => subject, "id" => id, "problems" => problems,
                "expected_amount" => asked.amount, "expected_currency" => asked.currency.code(),
                "amount" => facts.amount_received, "currency" => facts.currency.to_ascii_uppercase()),
        )
        .await?;
    Ok(false)
}

/// The check for a pledge: paid through its own Checkout session while pending, or charged to
/// its backer's saved card while charging.
pub async fn pledge_payment(
    state: &AppState,
    p: &super::store::PledgeRow,
    facts: &IntentFacts,
) -> AppResult<bool> {
    use super::rules::PledgeState;
    let via = match p.state {
        PledgeState::PendingCheckout => Via::Checkout(p.checkout_session.as_deref()),
        _ => Via::SavedCard(p.customer.as_deref()),
    };
    let asked = Asked {
        via,
        amount: p.amount,
        currency: p.currency,
    };
    confirm(state, "pledge", &p.id, asked, facts).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn facts(id: &str, amount: i64, currency: &str, customer: &str) -> IntentFacts {
        IntentFacts {
            id: id.into(),
            succeeded: true,
            amount,
            currency: currency.into(),
            customer: Some(customer.into()),
            amount_received: amount,
            fee: 0,
            refunded: 0,
            metadata: HashMap::new(),
            failure: None,
        }
    }

    const CHECKOUT: Asked<'static> = Asked {
        via: Via::Checkout(Some("cs_1")),
        amount: 3500,
        currency: Currency::Usd,
    };

    #[test]
    fn the_sessions_own_intent_for_the_asked_amount_matches() {
        let f = facts("pi_1", 3500, "usd", "cus_1");
        assert!(mismatches(&CHECKOUT, &f, Some("pi_1")).is_empty());
    }

    #[test]
    fn another_intent_amount_or_currency_is_named() {
        let f = facts("pi_2", 3500, "usd", "cus_1");
        assert_eq!(mismatches(&CHECKOUT, &f, Some("pi_1")), [Mismatch::Session]);
        let f = facts("pi_1", 50, "eur", "cus_1");
        assert_eq!(
            mismatches(&CHECKOUT, &f, Some("pi_1")),
            [Mismatch::Amount, Mismatch::Currency]
        );
        // A session that has no intent yet, or a pledge without a session, proves nothing.
        let f = facts("pi_1", 3500, "usd", "cus_1");
        assert_eq!(mismatches(&CHECKOUT, &f, None), [Mismatch::Session]);
        let none = Asked {
            via: Via::Checkout(None),
            ..CHECKOUT
        };
        assert_eq!(mismatches(&none, &f, Some("pi_1")), [Mismatch::Session]);
    }

    #[test]
    fn an_off_session_charge_must_be_the_backers_and_fully_received() {
        let asked = Asked {
            via: Via::SavedCard(Some("cus_1")),
            ..CHECKOUT
        };
        assert!(mismatches(&asked, &facts("pi_9", 3500, "USD", "cus_1"), None).is_empty());
        assert_eq!(
            mismatches(&asked, &facts("pi_9", 3500, "usd", "cus_2"), None),
            [Mismatch::Customer]
        );
        let mut partial = facts("pi_9", 3500, "usd", "cus_1");
        partial.amount_received = 100;
        assert_eq!(mismatches(&asked, &partial, None), [Mismatch::Amount]);
    }
}
