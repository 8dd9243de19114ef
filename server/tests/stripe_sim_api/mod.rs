//! The Stripe simulator's billing, spoken to over HTTP the way Stripe's own API is: Checkout in
//! subscription mode, renewals when the clock moves, a declined renewal going past due and
//! then cancelled, and cancellation at the period's end.

use serde_json::Value;

use crate::support::{spawn_app, TestApp};

const MONTH: i64 = 30 * 86_400;

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/_stripe/v1/{path}")))
        .header("authorization", app.stripe_auth())
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn get(app: &TestApp, path: &str) -> Value {
    let res = app
        .client
        .get(app.url(&format!("/_stripe/v1/{path}")))
        .header("authorization", app.stripe_auth())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

async fn advance(app: &TestApp, seconds: i64) {
    let res = app
        .client
        .post(app.url(&format!("/_stripe/test/advance_clock?seconds={seconds}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

/// A customer who subscribes at 9.00 a month with `card`; answers the subscription id.
async fn subscribe(app: &TestApp, card: &str) -> Result<String, String> {
    let (_, customer) = post(app, "customers", &[("email", "member@example.com")]).await;
    let cus = customer["id"].as_str().unwrap();
    let (status, session) = post(
        app,
        "checkout/sessions",
        &[
            ("mode", "subscription"),
            ("customer", cus),
            ("success_url", app.url("/ok").as_str()),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "900"),
            ("line_items[0][price_data][recurring][interval]", "month"),
            (
                "line_items[0][price_data][product_data][name]",
                "Membership",
            ),
            ("line_items[0][quantity]", "1"),
            ("subscription_data[metadata][membership]", "m1"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let url = session["url"].as_str().unwrap();
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(url)
        .form(&[("card", card), ("exp", "12/40"), ("cvc", "123")])
        .send()
        .await
        .unwrap();
    if page.status() != 303 {
        return Err(page.text().await.unwrap());
    }
    let id = session["id"].as_str().unwrap();
    let session = get(app, &format!("checkout/sessions/{id}")).await;
    assert_eq!(session["status"], "complete");
    Ok(session["subscription"].as_str().unwrap().to_string())
}

async fn invoice(app: &TestApp, sub: &Value) -> Value {
    get(
        app,
        &format!("invoices/{}", sub["latest_invoice"].as_str().unwrap()),
    )
    .await
}

#[tokio::test]
async fn subscriptions_start_at_checkout_and_renew_each_period() {
    let app = spawn_app().await;
    let id = subscribe(&app, "4242424242424242").await.unwrap();
    let sub = get(&app, &format!("subscriptions/{id}")).await;
    assert_eq!(sub["object"], "subscription");
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["metadata"]["membership"], "m1");
    let first = invoice(&app, &sub).await;
    assert_eq!(
        (first["status"].as_str(), first["amount_paid"].as_i64()),
        (Some("paid"), Some(900))
    );
    assert_eq!(first["billing_reason"], "subscription_create");
    let end = sub["current_period_end"].as_i64().unwrap();
    assert_eq!(end - sub["current_period_start"].as_i64().unwrap(), MONTH);

    // Nothing is due mid-period.
    advance(&app, MONTH / 2).await;
    let same = get(&app, &format!("subscriptions/{id}")).await;
    assert_eq!(same["latest_invoice"], sub["latest_invoice"]);

    // Two period ends pass: two renewals, each paid, the period moved twice.
    advance(&app, MONTH + MONTH / 2 + 60).await;
    let renewed = get(&app, &format!("subscriptions/{id}")).await;
    assert_eq!(renewed["status"], "active");
    assert_eq!(
        renewed["current_period_end"].as_i64().unwrap(),
        end + 2 * MONTH
    );
    let last = invoice(&app, &renewed).await;
    assert_eq!(last["billing_reason"], "subscription_cycle");
    assert_eq!(last["status"], "paid");
    assert_eq!(last["period_start"].as_i64().unwrap(), end + MONTH);

    // Cancelling at the period's end keeps it active until then, then ends it with no charge.
    let (status, updated) = post(
        &app,
        &format!("subscriptions/{id}"),
        &[("cancel_at_period_end", "true")],
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"], "active");
    advance(&app, MONTH + 60).await;
    let ended = get(&app, &format!("subscriptions/{id}")).await;
    assert_eq!(ended["status"], "canceled");
    assert_eq!(
        ended["latest_invoice"], renewed["latest_invoice"],
        "not billed again"
    );
    let (status, _) = post(
        &app,
        &format!("subscriptions/{id}"),
        &[("cancel_at_period_end", "false")],
    )
    .await;
    assert_eq!(status, 400, "a canceled subscription stays canceled");
}

#[tokio::test]
async fn a_declined_renewal_goes_past_due_is_retried_then_cancelled() {
    let app = spawn_app().await;
    assert!(
        subscribe(&app, "4000000000000002")
            .await
            .unwrap_err()
            .contains("declined"),
        "a declining card cannot subscribe"
    );
    let id = subscribe(&app, "4242424242424242").await.unwrap();
    let sub = get(&app, &format!("subscriptions/{id}")).await;
    // The bank starts refusing the saved card (as 4000 0000 0000 0341 does).
    let pm = sub["default_payment_method"].as_str().unwrap().to_string();
    app.state
        .db
        .run(
            "UPDATE type::record('sim_object', $pm) SET card = 'attaches_then_fails'",
            serde_json::json!({ "pm": pm }),
        )
        .await
        .unwrap();
    advance(&app, MONTH + 60).await;
    let due = get(&app, &format!("subscriptions/{id}")).await;
    assert_eq!(due["status"], "past_due");
    let open = invoice(&app, &due).await;
    assert_eq!(
        (open["status"].as_str(), open["attempt_count"].as_i64()),
        (Some("open"), Some(1))
    );
    // Three more tries, three days apart, on the same invoice; then the subscription ends.
    for tries in 2..=4 {
        advance(&app, 3 * 86_400 + 60).await;
        let s = get(&app, &format!("subscriptions/{id}")).await;
        let inv = invoice(&app, &s).await;
        assert_eq!(inv["id"], open["id"], "retries pay the same invoice");
        assert_eq!(inv["attempt_count"].as_i64(), Some(tries));
    }
    let ended = get(&app, &format!("subscriptions/{id}")).await;
    assert_eq!(ended["status"], "canceled");
    let (status, err) = post(
        &app,
        "subscriptions/sub_nobody",
        &[("cancel_at_period_end", "true")],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "resource_missing");
}

/// POSTs a raw form body with an idempotency key; answers status, body and whether Stripe
/// said it replayed an earlier answer.
async fn post_idempotent(app: &TestApp, key: &str, body: &str) -> (u16, Value, bool) {
    let res = app
        .client
        .post(app.url("/_stripe/v1/customers"))
        .header("authorization", app.stripe_auth())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", key)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let replayed = res.headers().get("idempotent-replayed").is_some();
    (res.status().as_u16(), res.json().await.unwrap(), replayed)
}

#[tokio::test]
async fn idempotency_compares_parameters_not_their_order_and_refuses_concurrent_use() {
    let app = spawn_app().await;
    let (status, first, replayed) = post_idempotent(
        &app,
        "k1",
        "email=a%40x.io&metadata[user]=u1&metadata[plan]=p1",
    )
    .await;
    assert_eq!((status, replayed), (200, false), "{first}");
    // The same parameters in another order (as async-stripe sends metadata) are a replay.
    let (status, again, replayed) = post_idempotent(
        &app,
        "k1",
        "metadata[plan]=p1&email=a%40x.io&metadata[user]=u1",
    )
    .await;
    assert_eq!((status, replayed), (200, true), "{again}");
    assert_eq!(again["id"], first["id"]);
    // Other parameters with the same key are refused.
    let (status, err, _) = post_idempotent(
        &app,
        "k1",
        "email=b%40x.io&metadata[user]=u1&metadata[plan]=p1",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["type"], "idempotency_error");

    // While the first request with a key is still being answered, a second one gets 409.
    let res = app
        .client
        .post(app.url("/_stripe/test/latency?ms=800"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (a, b) = tokio::join!(
        post_idempotent(&app, "k2", "email=c%40x.io"),
        post_idempotent(&app, "k2", "email=c%40x.io"),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} {}", a.1, b.1);
    let (done, conflict) = if a.0 == 200 { (a, b) } else { (b, a) };
    assert_eq!(conflict.1["error"]["type"], "idempotency_error");
    let res = app
        .client
        .post(app.url("/_stripe/test/latency?ms=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, replay, replayed) = post_idempotent(&app, "k2", "email=c%40x.io").await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(replay["id"], done.1["id"]);
}

#[tokio::test]
async fn stripes_test_payment_methods_charge_off_session_with_stripes_codes() {
    let app = spawn_app().await;
    let (_, customer) = post(&app, "customers", &[("email", "pm@example.com")]).await;
    let cus = customer["id"].as_str().unwrap();
    let cases = [
        ("pm_card_visa", 200, "", ""),
        ("pm_card_mastercard", 200, "", ""),
        (
            "pm_card_chargeDeclined",
            402,
            "card_declined",
            "generic_decline",
        ),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            402,
            "card_declined",
            "insufficient_funds",
        ),
        (
            "pm_card_chargeDeclinedLostCard",
            402,
            "card_declined",
            "lost_card",
        ),
        (
            "pm_card_chargeDeclinedStolenCard",
            402,
            "card_declined",
            "stolen_card",
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            402,
            "expired_card",
            "expired_card",
        ),
        (
            "pm_card_chargeDeclinedIncorrectCvc",
            402,
            "incorrect_cvc",
            "incorrect_cvc",
        ),
        (
            "pm_card_chargeDeclinedProcessingError",
            402,
            "processing_error",
            "processing_error",
        ),
        (
            "pm_card_chargeDeclinedFraudulent",
            402,
            "card_declined",
            "fraudulent",
        ),
        (
            "pm_card_chargeCustomerFail",
            402,
            "card_declined",
            "generic_decline",
        ),
    ];
    for (pm, status, code, decline) in cases {
        let (got, body) = post(
            &app,
            "payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("customer", cus),
                ("payment_method", pm),
                ("off_session", "true"),
                ("confirm", "true"),
            ],
        )
        .await;
        assert_eq!(got, status, "{pm}: {body}");
        if status == 200 {
            assert_eq!(body["status"], "succeeded", "{pm}");
            assert_eq!(body["amount_received"], 2000, "{pm}");
            assert!(body["payment_method"].as_str().unwrap().starts_with("pm_"));
        } else {
            assert_eq!(body["error"]["type"], "card_error", "{pm}");
            assert_eq!(body["error"]["code"], code, "{pm}");
            assert_eq!(body["error"]["decline_code"], decline, "{pm}");
        }
    }
    let (status, err) = post(
        &app,
        "payment_intents",
        &[
            ("amount", "2000"),
            ("currency", "usd"),
            ("payment_method", "pm_card_unheard_of"),
            ("confirm", "true"),
        ],
    )
    .await;
    assert_eq!(status, 404, "{err}");
}
