//! The simulator's `/v1` resources.

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::cards::{self, Behaviour};
use super::{front, invalid, missing, new_id, Params, Sim};

type Answer = Result<(StatusCode, Value), Response>;

pub fn ok(v: Value) -> Answer {
    Ok((StatusCode::OK, v))
}

fn path_of(headers: &HeaderMap, fallback: &str) -> String {
    headers
        .get("x-original-uri")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(fallback)
        .to_string()
}

pub async fn create_customer(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let p = Params::parse(&body);
    front(&sim, &headers, "customers", &body, || async {
        let c = json!({
            "id": new_id("cus"), "object": "customer", "created": sim.now(), "livemode": false,
            "email": p.get("email"), "name": p.get("name"), "metadata": p.map("metadata"),
            "balance": 0, "delinquent": false, "invoice_prefix": null,
        });
        sim.put(&c).await?;
        sim.emit("customer.created", &c).await?;
        ok(c)
    })
    .await
}

/// Any stored object by id (customers, sessions, setup intents, payment methods, refunds).
pub async fn retrieve(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let path = path_of(&headers, "retrieve");
    front(&sim, &headers, &path, &[], || async {
        let param = id.split('_').next().unwrap_or("id").to_string();
        match sim.get(&id).await {
            Some(v) => ok(v),
            None => Err(missing(&id, &param)),
        }
    })
    .await
}

pub async fn create_session(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let p = Params::parse(&body);
    front(&sim, &headers, "checkout/sessions", &body, || async {
        let mode = p
            .get("mode")
            .ok_or_else(|| invalid("Missing required param: mode.", Some("mode")))?;
        if !matches!(mode, "payment" | "setup" | "subscription") {
            return Err(invalid(
                "Checkout mode must be payment, setup or subscription.",
                Some("mode"),
            ));
        }
        let success_url = p
            .get("success_url")
            .ok_or_else(|| invalid("Missing required param: success_url.", Some("success_url")))?;
        for (param, url) in [("success_url", Some(success_url)), ("cancel_url", p.get("cancel_url"))] {
            if url.is_some_and(|u| !sim.returns_to_app(u)) {
                return Err(invalid(
                    &format!("The simulator only returns to this app: {param} must start with its PUBLIC_URL."),
                    Some(param),
                ));
            }
        }
        let customer = p.get("customer");
        if let Some(c) = customer {
            if sim.get(c).await.is_none() {
                return Err(missing(c, "customer"));
            }
        }
        let now = sim.now();
        let expires_at = p.int("expires_at")?.unwrap_or(now + 24 * 3600);
        if expires_at < now + 30 * 60 - 5 || expires_at > now + 24 * 3600 + 5 {
            return Err(invalid(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                Some("expires_at"),
            ));
        }
        let mut currency = p.get("currency").map(str::to_ascii_lowercase);
        let mut price_of: Option<Value> = None;
        let amount = if mode == "payment" {
            let unit = p
                .int("line_items[0][price_data][unit_amount]")?
                .ok_or_else(|| {
                    invalid(
                        "Payment mode needs line_items with price_data[unit_amount].",
                        Some("line_items"),
                    )
                })?;
            let qty = p.int("line_items[0][quantity]")?.unwrap_or(1);
            if unit <= 0 || qty <= 0 {
                return Err(invalid("Amounts must be positive.", Some("line_items")));
            }
            let line_currency = p
                .get("line_items[0][price_data][currency]")
                .map(str::to_ascii_lowercase);
            currency = currency.or(line_currency);
            Some(unit * qty)
        } else if mode == "subscription" {
            if customer.is_none() {
                return Err(invalid(
                    "The simulator needs a customer for subscription mode.",
                    Some("customer"),
                ));
            }
            let price = super::billing::recurring_price(&p)?;
            currency = price["currency"].as_str().map(String::from);
            price_of = Some(price.clone());
            price["unit_amount"].as_i64()
        } else {
            if currency.is_none() {
                return Err(invalid(
                    "currency is required in setup mode.",
                    Some("currency"),
                ));
            }
            None
        };
        let id = new_id("cs_test");
        let name = p.get("line_items[0][price_data][product_data][name]");
        let metadata = p.map("metadata");
        let s = json!({
            "id": id, "object": "checkout.session", "created": now, "livemode": false,
            "mode": mode, "status": "open",
            "payment_status": if mode == "setup" { "no_payment_required" } else { "unpaid" },
            "subscription": null, "_price": price_of,
            "_subscription_metadata": p.map("subscription_data[metadata]"),
            "amount_subtotal": amount, "amount_total": amount, "currency": currency,
            "customer": customer, "client_reference_id": p.get("client_reference_id"),
            "success_url": success_url, "cancel_url": p.get("cancel_url"),
            "expires_at": expires_at, "metadata": metadata,
            "url": format!("{}/checkout/{id}", sim.public_base),
            "payment_intent": null, "setup_intent": null,
            "payment_method_types": ["card"],
            "automatic_tax": { "enabled": false, "liability": null, "status": null },
            "custom_fields": [], "shipping_options": [],
            "custom_text": { "after_submit": null, "shipping_address": null, "submit": null,
                "terms_of_service_acceptance": null },
            "_product": name,
            "_intent_metadata": if mode == "setup" { p.map("setup_intent_data[metadata]") }
                else { p.map("payment_intent_data[metadata]") },
        });
        sim.put(&s).await?;
        ok(s)
    })
    .await
}

pub async fn expire_session(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    front(&sim, &headers, "expire", &[], || async {
        let mut s = sim.get(&id).await.ok_or_else(|| missing(&id, "session"))?;
        if s["status"] != "open" {
            return Err(invalid(
                &format!("Only Checkout Sessions with a status of open can be expired. This session has a status of {}.", s["status"].as_str().unwrap_or("?")),
                None,
            ));
        }
        s["status"] = json!("expired");
        sim.put(&s).await?;
        sim.emit("checkout.session.expired", &s).await?;
        ok(s)
    })
    .await
}

/// A charge and its balance transaction for `amount`, as Stripe creates them on success.
pub fn charge_for(sim: &Sim, pi: &str, amount: i64, currency: &str, pm: &str) -> (Value, Value) {
    let fee = cards::fee(amount, currency);
    let txn = json!({
        "id": new_id("txn"), "object": "balance_transaction", "amount": amount,
        "available_on": sim.now() + 2 * 86_400, "balance_type": "payments", "created": sim.now(),
        "currency": currency, "fee": fee,
        "fee_details": [{ "amount": fee, "currency": currency, "description": "Stripe processing fees", "type": "stripe_fee", "application": null }],
        "net": amount - fee, "reporting_category": "charge", "status": "pending", "type": "charge",
        "description": null, "exchange_rate": null, "source": null,
    });
    let charge = json!({
        "id": new_id("ch"), "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": 0, "balance_transaction": txn["id"], "captured": true,
        "created": sim.now(), "currency": currency, "disputed": false, "livemode": false,
        "metadata": {}, "paid": true, "refunded": false, "status": "succeeded",
        "payment_intent": pi, "payment_method": pm,
        "billing_details": { "address": null, "email": null, "name": null, "phone": null, "tax_id": null },
    });
    (charge, txn)
}

/// A payment intent object in the state Stripe reports.
pub fn intent(
    sim: &Sim,
    id: &str,
    amount: i64,
    currency: &str,
    customer: Option<&str>,
    pm: &str,
    metadata: Value,
) -> Value {
    json!({
        "id": id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_received": 0, "capture_method": "automatic", "confirmation_method": "automatic",
        "created": sim.now(), "currency": currency, "customer": customer, "livemode": false,
        "metadata": metadata, "payment_method": pm, "payment_method_types": ["card"],
        "status": "requires_confirmation", "latest_charge": null, "last_payment_error": null,
    })
}

/// Tries `pi` with card `behaviour`: on success stores the charge and marks it succeeded; on
/// a decline records the error on the intent. Returns the decline, if any.
pub async fn confirm(
    sim: &Sim,
    pi: &mut Value,
    behaviour: Behaviour,
) -> Result<Option<cards::Decline>, Response> {
    let amount = pi["amount"].as_i64().unwrap_or(0);
    let currency = pi["currency"].as_str().unwrap_or("usd").to_string();
    let pm = pi["payment_method"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id = pi["id"].as_str().unwrap_or_default().to_string();
    match behaviour.outcome(true) {
        Ok(()) => {
            let (charge, txn) = charge_for(sim, &id, amount, &currency, &pm);
            sim.put(&txn).await?;
            sim.put(&charge).await?;
            pi["status"] = json!("succeeded");
            pi["amount_received"] = json!(amount);
            pi["latest_charge"] = charge["id"].clone();
            pi["last_payment_error"] = Value::Null;
            sim.put(pi).await?;
            sim.emit("charge.succeeded", &charge).await?;
            sim.emit("payment_intent.succeeded", pi).await?;
            if behaviour == Behaviour::Disputed {
                let mut charge = charge;
                super::disputes::open(sim, &mut charge).await?;
            }
            Ok(None)
        }
        Err(d) => {
            pi["status"] = json!("requires_payment_method");
            pi["last_payment_error"] = json!({
                "type": "card_error", "code": d.code, "decline_code": d.decline_code,
                "message": d.message, "payment_method": null,
            });
            sim.put(pi).await?;
            sim.emit("payment_intent.payment_failed", pi).await?;
            Ok(Some(d))
        }
    }
}

/// Adds the charge (and its balance transaction) to an intent when `expand` asks for them.
async fn expanded(sim: &Sim, mut pi: Value, p: &Params) -> Value {
    if p.expands("latest_charge") {
        if let Some(ch_id) = pi["latest_charge"].as_str().map(String::from) {
            if let Some(mut ch) = sim.get(&ch_id).await {
                if p.expands("latest_charge.balance_transaction") {
                    if let Some(t) = ch["balance_transaction"].as_str().map(String::from) {
                        if let Some(txn) = sim.get(&t).await {
                            ch["balance_transaction"] = txn;
                        }
                    }
                }
                pi["latest_charge"] = ch;
            }
        }
    }
    pi
}

pub async fn create_intent(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let p = Params::parse(&body);
    front(&sim, &headers, "payment_intents", &body, || async {
        let amount = p
            .int("amount")?
            .ok_or_else(|| invalid("Missing required param: amount.", Some("amount")))?;
        if amount < 50 {
            return Err(invalid(
                "Amount must be at least 50 minor units.",
                Some("amount"),
            ));
        }
        let currency = p
            .get("currency")
            .ok_or_else(|| invalid("Missing required param: currency.", Some("currency")))?
            .to_ascii_lowercase();
        let customer = p.get("customer");
        let mut pm = p.get("payment_method").unwrap_or_default().to_string();
        // Stripe's test PaymentMethods (`pm_card_visa`, …) become a new card of that kind.
        if let Some((behaviour, last4)) = cards::test_payment_method(&pm) {
            let card = json!({
                "id": new_id("pm"), "object": "payment_method", "type": "card",
                "created": sim.now(), "livemode": false, "customer": customer,
                "card": { "brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2034, "funding": "credit" },
                "billing_details": { "address": null, "email": null, "name": null, "phone": null, "tax_id": null },
            });
            sim.put_card(&card, behaviour).await?;
            pm = card["id"].as_str().unwrap_or_default().to_string();
        }
        let behaviour = sim
            .card_of(&pm)
            .await
            .ok_or_else(|| missing(&pm, "payment_method"))?;
        let owner = sim
            .get(&pm)
            .await
            .and_then(|v| v["customer"].as_str().map(String::from));
        if customer.is_some() && owner.as_deref() != customer {
            return Err(invalid(
                "The provided PaymentMethod does not belong to this customer.",
                Some("payment_method"),
            ));
        }
        let mut pi = intent(
            &sim,
            &new_id("pi"),
            amount,
            &currency,
            customer,
            &pm,
            p.map("metadata"),
        );
        if p.get("confirm") != Some("true") {
            sim.put(&pi).await?;
            return ok(pi);
        }
        match confirm(&sim, &mut pi, behaviour).await? {
            None => ok(expanded(&sim, pi, &p).await),
            // Returned (not raised) so the idempotency cache replays the decline too.
            Some(d) => Ok((
                StatusCode::PAYMENT_REQUIRED,
                json!({ "error": {
                    "type": "card_error", "code": d.code, "decline_code": d.decline_code,
                    "message": d.message, "payment_intent": pi,
                }}),
            )),
        }
    })
    .await
}

pub async fn retrieve_intent(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = Params::parse(q.unwrap_or_default().as_bytes());
    front(&sim, &headers, "retrieve_intent", &[], || async {
        let pi = sim
            .get(&id)
            .await
            .ok_or_else(|| missing(&id, "payment_intent"))?;
        ok(expanded(&sim, pi, &p).await)
    })
    .await
}

pub async fn create_refund(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let p = Params::parse(&body);
    front(&sim, &headers, "refunds", &body, || async {
        let pi_id = p
            .get("payment_intent")
            .ok_or_else(|| invalid("Missing required param: payment_intent.", Some("payment_intent")))?;
        let pi = sim.get(pi_id).await.ok_or_else(|| missing(pi_id, "payment_intent"))?;
        let Some(ch_id) = pi["latest_charge"].as_str().filter(|_| pi["status"] == "succeeded") else {
            return Err(invalid(
                "This PaymentIntent does not have a successful charge to refund.",
                Some("payment_intent"),
            ));
        };
        let mut ch = sim.get(ch_id).await.ok_or_else(|| missing(ch_id, "charge"))?;
        let captured = ch["amount"].as_i64().unwrap_or(0);
        let already = ch["amount_refunded"].as_i64().unwrap_or(0);
        let remaining = captured - already;
        let amount = p.int("amount")?.unwrap_or(remaining);
        if amount <= 0 {
            return Err(invalid("Refund amount must be positive.", Some("amount")));
        }
        if amount > remaining {
            return Err(invalid(
                &format!("Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"),
                Some("amount"),
            ));
        }
        ch["amount_refunded"] = json!(already + amount);
        ch["refunded"] = json!(already + amount == captured);
        sim.put(&ch).await?;
        let r = json!({
            "id": new_id("re"), "object": "refund", "amount": amount, "charge": ch_id,
            "created": sim.now(), "currency": ch["currency"], "metadata": p.map("metadata"),
            "payment_intent": pi_id, "reason": p.get("reason"), "status": "succeeded",
        });
        sim.put(&r).await?;
        sim.emit("refund.created", &r).await?;
        sim.emit("charge.refunded", &ch).await?;
        ok(r)
    })
    .await
}

pub async fn test_fail_next(State(sim): State<Sim>, RawQuery(q): RawQuery) -> StatusCode {
    let n = Params::parse(q.unwrap_or_default().as_bytes())
        .int("count")
        .ok()
        .flatten()
        .unwrap_or(1);
    sim.fail_next
        .store(n.clamp(0, 1000) as u32, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

pub async fn test_latency(State(sim): State<Sim>, RawQuery(q): RawQuery) -> StatusCode {
    let ms = Params::parse(q.unwrap_or_default().as_bytes())
        .int("ms")
        .ok()
        .flatten()
        .unwrap_or(0);
    sim.latency_ms
        .store(ms.clamp(0, 60_000) as u64, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

pub async fn test_advance_clock(State(sim): State<Sim>, RawQuery(q): RawQuery) -> StatusCode {
    let s = Params::parse(q.unwrap_or_default().as_bytes())
        .int("seconds")
        .ok()
        .flatten()
        .unwrap_or(0);
    sim.clock_offset.fetch_add(s.max(0), Ordering::SeqCst);
    // Renewals happen before the answer, so a test sees their invoices at once.
    let renewed = super::billing::renew_due(&sim).await;
    sim.wake.notify_one();
    match renewed {
        Ok(_) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub async fn test_hold_webhooks(State(sim): State<Sim>, RawQuery(q): RawQuery) -> StatusCode {
    let on = Params::parse(q.unwrap_or_default().as_bytes()).get("on") == Some("true");
    sim.hold_webhooks.store(on, Ordering::SeqCst);
    sim.wake.notify_one();
    StatusCode::NO_CONTENT
}
