//! Disputes (chargebacks) as Stripe reports them: the test card `4000 0000 0000 0259` is charged,
//! then its cardholder disputes the charge as fraudulent. The disputed amount and Stripe's dispute
//! fee leave the balance at once (`charge.dispute.created`, `charge.dispute.funds_withdrawn`);
//! the test control `POST /_stripe/test/close_dispute?id=dp_…&outcome=won|lost` closes it
//! (`charge.dispute.closed`, and `charge.dispute.funds_reinstated` when won).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::cards;
use super::{new_id, Params, Sim};

/// A balance transaction of a dispute: money out (with the fee) when it opens, back when won.
fn balance_txn(sim: &Sim, dispute: &str, amount: i64, fee: i64, currency: &str) -> Value {
    let fee_details = if fee == 0 {
        json!([])
    } else {
        json!([{ "amount": fee, "currency": currency, "description": "Dispute fee",
            "type": "stripe_fee", "application": null }])
    };
    json!({
        "id": new_id("txn"), "object": "balance_transaction", "amount": amount,
        "available_on": sim.now(), "balance_type": "payments", "created": sim.now(),
        "currency": currency, "description": if amount < 0 {
            "Chargeback withdrawal for a disputed charge"
        } else {
            "Chargeback reversal for a won dispute"
        },
        "exchange_rate": null, "fee": fee, "fee_details": fee_details, "net": amount - fee,
        "reporting_category": if amount < 0 { "dispute" } else { "dispute_reversal" },
        "source": dispute, "status": "available", "type": "adjustment",
    })
}

/// Opens a fraudulent-use dispute on `charge` (already stored and succeeded).
pub async fn open(sim: &Sim, charge: &mut Value) -> Result<Value, axum::response::Response> {
    let currency = charge["currency"].as_str().unwrap_or("usd").to_string();
    let amount =
        charge["amount"].as_i64().unwrap_or(0) - charge["amount_refunded"].as_i64().unwrap_or(0);
    let id = new_id("dp");
    let fee = cards::dispute_fee(&currency);
    let withdrawn = balance_txn(sim, &id, -amount, fee, &currency);
    let d = json!({
        "id": id, "object": "dispute", "amount": amount, "currency": currency,
        "charge": charge["id"], "payment_intent": charge["payment_intent"],
        "reason": "fraudulent", "status": "needs_response", "created": sim.now(),
        "livemode": false, "metadata": {}, "is_charge_refundable": false,
        "balance_transactions": [withdrawn],
        "enhanced_eligibility_types": [], "network_reason_code": "10.4",
        "payment_method_details": { "type": "card",
            "card": { "brand": "visa", "network": "visa", "case_type": "chargeback",
                "network_reason_code": "10.4" } },
        "evidence": { "enhanced_evidence": {} },
        "evidence_details": {
            "due_by": sim.now() + 7 * 86_400, "enhanced_eligibility": {},
            "has_evidence": false, "past_due": false, "submission_count": 0,
        },
    });
    charge["disputed"] = json!(true);
    sim.put(charge).await?;
    sim.put(&d).await?;
    sim.emit("charge.dispute.created", &d).await?;
    sim.emit("charge.dispute.funds_withdrawn", &d).await?;
    Ok(d)
}

/// Why a dispute could not be closed.
#[derive(Debug, PartialEq, Eq)]
pub enum CloseError {
    Unknown,
    AlreadyClosed,
    /// The simulator's store failed.
    Failed,
}

/// Closes an open dispute as `won` (the money comes back; Stripe's fee does not) or `lost`.
pub async fn close(sim: &Sim, id: &str, won: bool) -> Result<Value, CloseError> {
    let mut d = sim
        .get(id)
        .await
        .filter(|d| d["object"] == "dispute")
        .ok_or(CloseError::Unknown)?;
    if matches!(d["status"].as_str(), Some("won" | "lost")) {
        return Err(CloseError::AlreadyClosed);
    }
    d["status"] = json!(if won { "won" } else { "lost" });
    if won {
        let amount = d["amount"].as_i64().unwrap_or(0);
        let currency = d["currency"].as_str().unwrap_or("usd").to_string();
        let back = balance_txn(sim, id, amount, 0, &currency);
        if let Some(list) = d["balance_transactions"].as_array_mut() {
            list.push(back);
        }
    }
    d["evidence_details"]["due_by"] = Value::Null;
    sim.put(&d).await.map_err(|_| CloseError::Failed)?;
    sim.emit("charge.dispute.closed", &d)
        .await
        .map_err(|_| CloseError::Failed)?;
    if won {
        sim.emit("charge.dispute.funds_reinstated", &d)
            .await
            .map_err(|_| CloseError::Failed)?;
    }
    Ok(d)
}

/// `POST /_stripe/test/close_dispute?id=dp_…&outcome=won|lost` (not Stripe's: in test mode
/// Stripe decides from the evidence text; here the test says how it ends).
pub async fn test_close(State(sim): State<Sim>, RawQuery(q): RawQuery) -> StatusCode {
    let p = Params::parse(q.unwrap_or_default().as_bytes());
    let won = match p.get("outcome") {
        Some("won") => true,
        Some("lost") => false,
        _ => return StatusCode::BAD_REQUEST,
    };
    let Some(id) = p.get("id") else {
        return StatusCode::BAD_REQUEST;
    };
    let _guard = sim.lock.lock().await;
    match close(&sim, id, won).await {
        Ok(_) => {
            sim.wake.notify_one();
            StatusCode::NO_CONTENT
        }
        Err(CloseError::Unknown) => StatusCode::NOT_FOUND,
        Err(CloseError::AlreadyClosed) => StatusCode::CONFLICT,
        Err(CloseError::Failed) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
