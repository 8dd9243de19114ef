//! Subscriptions and invoices in the simulator: Checkout in `subscription` mode starts a
//! subscription and pays its first invoice; each period end (the simulator's clock, which tests
//! move with `/_stripe/test/advance_clock`) bills the saved card again. A declined renewal
//! leaves the invoice open and the subscription `past_due`, retried every three days; after
//! the last try the subscription is cancelled. Events as Stripe sends them:
//! `customer.subscription.created|updated|deleted`, `invoice.paid`, `invoice.payment_failed`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::api::{confirm, intent, ok};
use super::{cards, invalid, missing, new_id, Params, Sim};
use app::vars;

/// Renewal attempts before a subscription is cancelled, and the wait between them.
const RENEWAL_TRIES: i64 = 4;
const RETRY_SECS: i64 = 3 * 86_400;

/// Seconds in one billing period.
fn period_secs(interval: &str, count: i64) -> Option<i64> {
    let one = match interval {
        "day" => 86_400,
        "week" => 7 * 86_400,
        // Stripe bills on the same day of the month; the simulator uses fixed lengths.
        "month" => 30 * 86_400,
        "year" => 365 * 86_400,
        _ => return None,
    };
    (1..=365).contains(&count).then_some(one * count)
}

/// Checks a `subscription` mode session's line item: its price and period.
pub fn recurring_price(p: &Params) -> Result<Value, Response> {
    let unit = p
        .int("line_items[0][price_data][unit_amount]")?
        .filter(|u| *u > 0)
        .ok_or_else(|| {
            invalid(
                "Subscription mode needs line_items with a positive price_data[unit_amount].",
                Some("line_items"),
            )
        })?;
    let currency = p
        .get("line_items[0][price_data][currency]")
        .ok_or_else(|| invalid("Missing price_data[currency].", Some("line_items")))?
        .to_ascii_lowercase();
    let interval = p
        .get("line_items[0][price_data][recurring][interval]")
        .unwrap_or("");
    let count = p
        .int("line_items[0][price_data][recurring][interval_count]")?
        .unwrap_or(1);
    if period_secs(interval, count).is_none() {
        return Err(invalid(
            "price_data[recurring][interval] must be day, week, month or year.",
            Some("line_items"),
        ));
    }
    Ok(json!({
        "id": new_id("price"), "object": "price", "active": true, "currency": currency,
        "unit_amount": unit, "type": "recurring", "livemode": false,
        "recurring": { "interval": interval, "interval_count": count, "usage_type": "licensed" },
        "product": new_id("prod"),
    }))
}

/// The card worked on the hosted page: start the subscription and pay its first invoice.
/// Returns the subscription id, or the decline's message.
pub async fn start(
    sim: &Sim,
    session: &Value,
    pm: &str,
    behaviour: cards::Behaviour,
) -> Result<Result<String, &'static str>, Response> {
    let price = session["_price"].clone();
    let now = sim.now();
    let id = new_id("sub");
    let mut sub = json!({
        "id": id, "object": "subscription", "created": now, "livemode": false,
        "customer": session["customer"], "status": "incomplete",
        "cancel_at_period_end": false, "canceled_at": null, "ended_at": null,
        "default_payment_method": pm, "currency": price["currency"],
        "metadata": session["_subscription_metadata"],
        "items": { "object": "list", "has_more": false, "data": [{
            "id": new_id("si"), "object": "subscription_item", "quantity": 1, "price": price,
            "current_period_start": now, "current_period_end": now,
        }]},
        "current_period_start": now, "current_period_end": now,
        "latest_invoice": null, "_failures": 0,
    });
    match bill(sim, &mut sub, "subscription_create", behaviour).await? {
        Some(d) => Ok(Err(d.message)),
        None => {
            sim.emit("customer.subscription.created", &sub).await?;
            Ok(Ok(id))
        }
    }
}

/// Bills one period of `sub` from its current period end. On success the period moves on
/// and the subscription is active; on a decline it is `past_due` with a retry due.
async fn bill(
    sim: &Sim,
    sub: &mut Value,
    reason: &str,
    behaviour: cards::Behaviour,
) -> Result<Option<cards::Decline>, Response> {
    let price = sub["items"]["data"][0]["price"].clone();
    let amount = price["unit_amount"].as_i64().unwrap_or(0);
    let currency = price["currency"].as_str().unwrap_or("usd").to_string();
    let interval = price["recurring"]["interval"].as_str().unwrap_or("month");
    let count = price["recurring"]["interval_count"].as_i64().unwrap_or(1);
    let len = period_secs(interval, count).unwrap_or(30 * 86_400);
    let start = sub["current_period_end"]
        .as_i64()
        .unwrap_or_else(|| sim.now());
    let sub_id = sub["id"].as_str().unwrap_or_default().to_string();
    let pm = sub["default_payment_method"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // A retry pays the invoice that is still open (kept on the subscription while it is
    // past due); a new period gets a new invoice.
    let open = Some(sub["_open_invoice"].take()).filter(|inv| inv["status"] == "open");
    let mut invoice = match open {
        Some(inv) => inv,
        None => json!({
            "id": new_id("in"), "object": "invoice", "created": sim.now(), "livemode": false,
            "customer": sub["customer"], "subscription": sub_id, "billing_reason": reason,
            "currency": currency, "amount_due": amount, "amount_paid": 0,
            "amount_remaining": amount, "attempt_count": 0, "attempted": false,
            "status": "open", "paid": false, "period_start": start, "period_end": start + len,
            "metadata": sub["metadata"],
            "lines": { "object": "list", "has_more": false, "data": [{
                "id": new_id("il"), "object": "line_item", "amount": amount, "currency": currency,
                "quantity": 1, "price": price,
                "period": { "start": start, "end": start + len },
            }]},
        }),
    };
    let mut meta = sub["metadata"].clone();
    meta["invoice"] = invoice["id"].clone();
    let mut pi = intent(
        sim,
        &new_id("pi"),
        amount,
        &currency,
        sub["customer"].as_str(),
        &pm,
        meta,
    );
    let declined = confirm(sim, &mut pi, behaviour).await?;
    let tries = invoice["attempt_count"].as_i64().unwrap_or(0) + 1;
    invoice["attempt_count"] = json!(tries);
    invoice["attempted"] = json!(true);
    invoice["payment_intent"] = pi["id"].clone();
    sub["latest_invoice"] = invoice["id"].clone();
    match &declined {
        None => {
            let (from, to) = (
                invoice["period_start"].as_i64().unwrap_or(start),
                invoice["period_end"].as_i64().unwrap_or(start + len),
            );
            invoice["status"] = json!("paid");
            invoice["paid"] = json!(true);
            invoice["amount_paid"] = json!(amount);
            invoice["amount_remaining"] = json!(0);
            invoice["next_payment_attempt"] = Value::Null;
            sub["status"] = json!("active");
            sub["current_period_start"] = json!(from);
            sub["current_period_end"] = json!(to);
            sub["items"]["data"][0]["current_period_start"] = json!(from);
            sub["items"]["data"][0]["current_period_end"] = json!(to);
            sub["_retry_at"] = Value::Null;
            sim.put(&invoice).await?;
            sim.put(sub).await?;
            sim.emit("invoice.paid", &invoice).await?;
        }
        Some(_) => {
            let last = tries >= RENEWAL_TRIES || reason == "subscription_create";
            invoice["next_payment_attempt"] = if last {
                Value::Null
            } else {
                json!(sim.now() + RETRY_SECS)
            };
            sim.put(&invoice).await?;
            sim.emit("invoice.payment_failed", &invoice).await?;
            if reason == "subscription_create" {
                // Checkout shows the decline; no subscription is left behind.
                return Ok(declined);
            }
            if last {
                end(sim, sub).await?;
            } else {
                sub["_open_invoice"] = invoice.clone();
                sub["status"] = json!("past_due");
                sub["_retry_at"] = json!(sim.now() + RETRY_SECS);
                sim.put(sub).await?;
                sim.emit("customer.subscription.updated", sub).await?;
            }
        }
    }
    Ok(declined)
}

async fn end(sim: &Sim, sub: &mut Value) -> Result<(), Response> {
    let now = sim.now();
    sub["status"] = json!("canceled");
    sub["canceled_at"] = json!(now);
    sub["ended_at"] = json!(now);
    sub["_retry_at"] = Value::Null;
    sim.put(sub).await?;
    sim.emit("customer.subscription.deleted", sub).await
}

/// Bills every subscription whose period ended (or whose retry is due) on the simulator's
/// clock, and ends those set to cancel at the period's end. Catches up at most a year of
/// periods per subscription per call.
pub async fn renew_due(sim: &Sim) -> Result<usize, Response> {
    let _guard = sim.lock.lock().await;
    let subs: Vec<Value> = sim
        .db
        .rows(
            "SELECT VALUE obj FROM sim_object WHERE bill_at != NONE AND bill_at <= $now",
            vars!("now" => sim.now()),
        )
        .await
        .map_err(|e| super::internal(&e.to_string()))?;
    let mut billed = 0;
    for mut sub in subs {
        for _ in 0..400 {
            let now = sim.now();
            let due = match sub["status"].as_str() {
                Some("past_due") => sub["_retry_at"].as_i64().is_some_and(|t| t <= now),
                Some("active") => sub["current_period_end"].as_i64().is_some_and(|t| t <= now),
                _ => false,
            };
            if !due {
                break;
            }
            if sub["cancel_at_period_end"] == true && sub["status"] == "active" {
                end(sim, &mut sub).await?;
                break;
            }
            let pm = sub["default_payment_method"].as_str().unwrap_or_default();
            let behaviour = sim.card_of(pm).await.unwrap_or(cards::Behaviour::Declines);
            bill(sim, &mut sub, "subscription_cycle", behaviour).await?;
            billed += 1;
        }
    }
    Ok(billed)
}

/// `POST /v1/subscriptions/{id}`: `cancel_at_period_end=true|false` (and metadata).
pub async fn update(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p = Params::parse(&body);
    super::front(&sim, &headers, "subscriptions", &body, || async {
        let mut sub = sim
            .get(&id)
            .await
            .filter(|s| s["object"] == "subscription")
            .ok_or_else(|| missing(&id, "subscription"))?;
        if sub["status"] == "canceled" {
            return Err(invalid(
                "A canceled subscription can only update its metadata.",
                None,
            ));
        }
        if let Some(v) = p.get("cancel_at_period_end") {
            sub["cancel_at_period_end"] = json!(v == "true");
        }
        if let Value::Object(m) = p.map("metadata") {
            for (k, v) in m {
                sub["metadata"][k] = v;
            }
        }
        sim.put(&sub).await?;
        sim.emit("customer.subscription.updated", &sub).await?;
        ok(sub)
    })
    .await
}

/// `DELETE /v1/subscriptions/{id}`: cancels at once.
pub async fn cancel(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    super::front(&sim, &headers, "subscriptions/cancel", &[], || async {
        let mut sub = sim
            .get(&id)
            .await
            .filter(|s| s["object"] == "subscription")
            .ok_or_else(|| missing(&id, "subscription"))?;
        if sub["status"] == "canceled" {
            return Err(invalid(
                &format!("No such subscription: '{id}' (it is already canceled)"),
                None,
            ));
        }
        end(&sim, &mut sub).await?;
        ok(sub)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::period_secs;

    #[test]
    fn periods_are_whole_intervals_within_a_year_of_counts() {
        assert_eq!(period_secs("month", 1), Some(30 * 86_400));
        assert_eq!(period_secs("week", 2), Some(14 * 86_400));
        assert_eq!(period_secs("fortnight", 1), None);
        assert_eq!(period_secs("day", 0), None);
    }
}
