//! The Stripe simulator's billing, spoken to over HTTP the way Stripe's own API is: Checkout in
//! subscription mode, renewals when the clock moves, a declined renewal going past due and
//! then cancelled, and cancellation at the period's end.

use serde_json::Value;

use crate::support::{spawn_app, TestApp};

const KEY: &str = "Bearer sk_test_cohort";
const MONTH: i64 = 30 * 86_400;

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/_stripe/v1/{path}")))
        .header("authorization", KEY)
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
        .header("authorization", KEY)
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
            ("success_url", "http://localhost/ok"),
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
