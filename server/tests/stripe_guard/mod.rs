//! The simulator locked down, and every recorded payment checked: the simulator answers only
//! the app's own generated key, its test controls exist only on a server started for tests and
//! refuse cross-site requests, its hosted page only sends people back to Cohort, a payment that
//! is not the one a pledge or order asked for is never recorded (and is flagged), and every
//! page says when no real money moves.

use std::time::Duration;

use app::payments::rules::PledgeState;
use serde_json::{json, Value};

use crate::campaign_api::live_campaign_from;
use crate::courses_api::{course_of_campaign, ok_json};
use crate::payments_api::{backer, draft, pay, pledge_of, start_pledge, tier_of, wait_for};
use crate::support::{spawn_app, spawn_app_with, TestApp};

const CONTROLS: [&str; 5] = [
    "fail_next?count=5",
    "latency?ms=5000",
    "advance_clock?seconds=86400",
    "hold_webhooks?on=true",
    "close_dispute?id=dp_x&outcome=lost",
];

/// POSTs a form to the simulator's API with `auth` (if any) as the `Authorization` header.
async fn sim_post(
    app: &TestApp,
    path: &str,
    auth: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url(&format!("/_stripe/v1/{path}")))
        .form(form);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn control(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> u16 {
    let mut req = app.client.post(app.url(&format!("/_stripe/test/{path}")));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn open_sessions(app: &TestApp) -> usize {
    let ids: Vec<String> = app
        .state
        .db
        .rows(
            "SELECT VALUE record::id(id) FROM sim_object WHERE obj.object = 'checkout.session'",
            json!({}),
        )
        .await
        .unwrap();
    ids.len()
}

#[tokio::test]
async fn test_controls_do_not_exist_unless_the_server_was_started_for_tests() {
    let app = spawn_app_with(|s| s.stripe.test_controls = false).await;
    for path in CONTROLS {
        assert_eq!(control(&app, path, &[]).await, 404, "{path}");
    }
    // Nothing was injected: the API answers at once and without failures.
    let auth = app.stripe_auth();
    let (status, customer) = sim_post(
        &app,
        "customers",
        Some(auth.as_str()),
        &[("email", "a@x.io")],
    )
    .await;
    assert_eq!(status, 200, "{customer}");
}

#[tokio::test]
async fn test_controls_refuse_cross_site_requests() {
    let app = spawn_app().await;
    let evil = [("origin", "https://evil.example")];
    let framed = [("sec-fetch-site", "cross-site")];
    for path in CONTROLS {
        assert_eq!(control(&app, path, &evil).await, 403, "{path}");
        assert_eq!(control(&app, path, &framed).await, 403, "{path}");
    }
    // The refused `fail_next` injected nothing: the next calls succeed.
    let auth = app.stripe_auth();
    for _ in 0..3 {
        let (status, _) = sim_post(
            &app,
            "customers",
            Some(auth.as_str()),
            &[("email", "a@x.io")],
        )
        .await;
        assert_eq!(status, 200);
    }
    // Same-site, on a server started for tests, the controls work.
    assert_eq!(control(&app, "fail_next?count=1", &[]).await, 204);
    let (status, _) = sim_post(
        &app,
        "customers",
        Some(auth.as_str()),
        &[("email", "a@x.io")],
    )
    .await;
    assert_eq!(status, 500);
}

#[tokio::test]
async fn the_simulator_accepts_only_the_apps_own_generated_key() {
    let app = spawn_app().await;
    let key = app.state.settings.stripe.secret_key.expose().to_string();
    assert!(key.starts_with("sk_test_") && key.len() > 40, "{key}");
    let form = [("email", "a@x.io")];
    let (status, err) = sim_post(&app, "customers", None, &form).await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    for wrong in [
        "Bearer sk_test_anything",
        "Bearer sk_test_cohort_simulator",
        "Bearer ",
        "Basic c2tfdGVzdF9hbnl0aGluZzo=",
    ] {
        let (status, _) = sim_post(&app, "customers", Some(wrong), &form).await;
        assert_eq!(status, 401, "{wrong}");
    }
    let (status, _) = sim_post(
        &app,
        "customers",
        Some(format!("Bearer {key}").as_str()),
        &form,
    )
    .await;
    assert_eq!(status, 200);
    // `curl -u sk_test_…:` — the key as HTTP Basic user with an empty password.
    let res = app
        .client
        .post(app.url("/_stripe/v1/customers"))
        .basic_auth(&key, None::<&str>)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let wrong_basic = app
        .client
        .post(app.url("/_stripe/v1/customers"))
        .basic_auth("sk_test_someone_else", None::<&str>)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_basic.status(), 401);

    // Another server has its own key, and the simulator of one refuses the other's.
    let other = spawn_app().await;
    assert_ne!(other.state.settings.stripe.secret_key.expose(), key);
    let (status, _) = sim_post(
        &other,
        "customers",
        Some(format!("Bearer {key}").as_str()),
        &form,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn generated_keys_are_stored_and_read_back_after_a_restart() {
    let app = spawn_app().await;
    let used = &app.state.settings.stripe;
    assert!(used.webhook_secret.expose().starts_with("whsec_"));
    assert_ne!(used.webhook_secret.expose(), "whsec_cohort_simulator");
    // A restart reads the settings afresh (keys empty) and finds the stored ones.
    let mut restarted = app::backend::config::Settings::for_tests(std::env::temp_dir()).stripe;
    assert!(restarted.generates_keys());
    app::backend::secrets::fill_stripe_keys(&app.state.db, &mut restarted)
        .await
        .unwrap();
    assert_eq!(restarted.secret_key.expose(), used.secret_key.expose());
    assert_eq!(
        restarted.webhook_secret.expose(),
        used.webhook_secret.expose()
    );

    // A webhook signed with the old fixed secret is refused.
    let body = json!({ "id": "evt_forged", "type": "checkout.session.completed",
        "data": { "object": { "id": "cs_test_x" } } })
    .to_string();
    let sig = app::payments::signature::sign(
        "whsec_cohort_simulator",
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    let res = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", sig)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn an_outsider_cannot_open_a_checkout_that_leaves_cohort() {
    let app = spawn_app().await;
    let phishing = |success: &str, cancel: &str| {
        vec![
            ("mode".to_string(), "payment".to_string()),
            ("success_url".into(), success.to_string()),
            ("cancel_url".into(), cancel.to_string()),
            ("line_items[0][price_data][currency]".into(), "usd".into()),
            (
                "line_items[0][price_data][unit_amount]".into(),
                "99900".into(),
            ),
            (
                "line_items[0][price_data][product_data][name]".into(),
                "Cohort account verification".into(),
            ),
            ("line_items[0][quantity]".into(), "1".into()),
        ]
    };
    let home = app.url("/");
    let evil = "https://phish.example/steal";
    let send = |auth: Option<String>, form: Vec<(String, String)>| {
        let app = app.clone();
        async move {
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            sim_post(&app, "checkout/sessions", auth.as_deref(), &form).await
        }
    };
    // Without the app's key: refused outright.
    let (status, _) = send(None, phishing(evil, home.as_str())).await;
    assert_eq!(status, 401);
    let (status, _) = send(
        Some("Bearer sk_test_outsider".into()),
        phishing(evil, home.as_str()),
    )
    .await;
    assert_eq!(status, 401);
    // Even with it, Checkout only ever sends people back to Cohort.
    let auth = Some(app.stripe_auth());
    let lookalike = format!("{}.phish.example/x", app.base);
    let userinfo = format!("{}@phish.example/x", app.base);
    let cases = [
        (evil, home.as_str(), "success_url"),
        (home.as_str(), evil, "cancel_url"),
        (lookalike.as_str(), home.as_str(), "success_url"),
        (userinfo.as_str(), home.as_str(), "success_url"),
        ("//phish.example/x", home.as_str(), "success_url"),
    ];
    for (success, cancel, param) in cases {
        let (status, err) = send(auth.clone(), phishing(success, cancel)).await;
        assert_eq!(status, 400, "{success} {cancel}");
        assert_eq!(err["error"]["param"], param, "{err}");
    }
    assert_eq!(open_sessions(&app).await, 0, "nothing was created");
    let (status, ok) = send(
        auth,
        phishing(app.url("/pledges/x").as_str(), home.as_str()),
    )
    .await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(open_sessions(&app).await, 1);
}

/// A Checkout session paid with the test card 4242, opened with the app's own key but not by
/// the app: `metadata` names a pledge or order that did not ask for it.
async fn rogue_payment(app: &TestApp, who: &TestApp, meta: (&str, &str), amount: &str, cur: &str) {
    let (key, id) = meta;
    let meta_key = format!("metadata[{key}]");
    let intent_key = format!("payment_intent_data[metadata][{key}]");
    let success = app.url("/");
    let (status, s) = sim_post(
        app,
        "checkout/sessions",
        Some(app.stripe_auth().as_str()),
        &[
            ("mode", "payment"),
            ("success_url", success.as_str()),
            ("line_items[0][price_data][currency]", cur),
            ("line_items[0][price_data][unit_amount]", amount),
            ("line_items[0][price_data][product_data][name]", "Rogue"),
            ("line_items[0][quantity]", "1"),
            (meta_key.as_str(), id),
            (intent_key.as_str(), id),
        ],
    )
    .await;
    assert_eq!(status, 200, "{s}");
    let (status, _) = pay(who, s["url"].as_str().unwrap(), "4242424242424242").await;
    assert_eq!(status, 200, "the rogue session itself is paid");
}

/// Waits until a payment for `subject_id` is flagged; answers its problems.
async fn flagged(app: &TestApp, subject_id: &str) -> Vec<String> {
    for _ in 0..100 {
        let row: Option<Value> = app
            .state
            .db
            .row(
                "SELECT problems, subject FROM payment_mismatch WHERE subject_id = $id",
                json!({ "id": subject_id }),
            )
            .await
            .unwrap();
        if let Some(r) = row {
            return serde_json::from_value(r["problems"].clone()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mismatch was flagged for {subject_id}");
}

async fn ledger_entries(app: &TestApp) -> usize {
    let n: Vec<Value> = app
        .state
        .db
        .rows("SELECT id FROM ledger_tx", json!({}))
        .await
        .unwrap();
    n.len()
}

#[tokio::test]
async fn a_payment_a_pledge_did_not_ask_for_is_not_recorded_and_is_flagged() {
    let app = spawn_app().await;
    let (_, c) =
        live_campaign_from(&app, "guard_creator", draft("guard-camp", "flexible", "10")).await;
    let tier = tier_of(&app, &c).await;
    let b = backer(&app, "guarded").await;
    let url: String = start_pledge(&b, &c, &tier, "30", "5")
        .await
        .json()
        .await
        .unwrap();
    let p = pledge_of(&app, "guarded", &c).await;
    assert_eq!((p.state, p.amount), (PledgeState::PendingCheckout, 3500));

    // Same amount, other currency, other session: it names the pledge, and is paid.
    rogue_payment(&app, &b, ("pledge", &p.id), "3500", "eur").await;
    let mut problems = flagged(&app, &p.id).await;
    problems.sort();
    assert_eq!(problems, ["currency", "session"]);
    let after = pledge_of(&app, "guarded", &c).await;
    assert_eq!((after.state, after.paid), (PledgeState::PendingCheckout, 0));
    assert_eq!(ledger_entries(&app).await, 0, "nothing reached the ledger");

    // The pledge's own Checkout still pays it, for what it asked.
    pay(&b, &url, "4242424242424242").await;
    wait_for(&app, "guarded", &c, PledgeState::Paid).await;
    assert_eq!(pledge_of(&app, "guarded", &c).await.paid, 3500);
    assert_eq!(ledger_entries(&app).await, 1);
}

#[tokio::test]
async fn a_payment_an_order_did_not_ask_for_does_not_enrol() {
    let app = spawn_app().await;
    let (_, course) = course_of_campaign(&app, "guard_teacher").await;
    let buyer = backer(&app, "guard_buyer").await;
    let url = ok_json(&buyer, "buy_course", &[("course_id", &course.id)]).await;
    let order: String = app
        .state
        .db
        .row(
            "SELECT VALUE record::id(id) FROM course_order WHERE state = 'pending'",
            json!({}),
        )
        .await
        .unwrap()
        .unwrap();

    // The cheapest payment Stripe allows, naming the order.
    rogue_payment(&app, &buyer, ("order", &order), "50", "usd").await;
    let mut problems = flagged(&app, &order).await;
    problems.sort();
    assert_eq!(problems, ["amount", "session"]);
    let page = ok_json(&buyer, "course_page", &[("slug", &course.slug)]).await;
    assert_ne!(page["standing"], json!({ "Enrolled": "purchase" }));
    let state: Option<String> = app
        .state
        .db
        .row(
            "SELECT VALUE state FROM type::record('course_order', $id)",
            json!({ "id": order }),
        )
        .await
        .unwrap();
    assert_eq!(state.as_deref(), Some("pending"));

    // Paying the order's own Checkout enrols.
    let (status, _) = pay(&buyer, url.as_str().unwrap(), "4242424242424242").await;
    assert_eq!(status, 200);
    for _ in 0..100 {
        let page = ok_json(&buyer, "course_page", &[("slug", &course.slug)]).await;
        if page["standing"] == json!({ "Enrolled": "purchase" }) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the order's own payment never enrolled the buyer");
}

#[tokio::test]
async fn every_page_says_so_while_no_real_money_moves() {
    let app = spawn_app().await;
    for path in ["/", "/courses", "/login"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(html.contains("Test mode: no real money moves."), "{path}");
    }
    let zh = app
        .client
        .get(app.url("/discover"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(zh.contains("测试模式：不涉及真实资金。"));

    // With a Stripe account configured the banner is gone (and so is the simulator).
    let real = spawn_app_with(|s| {
        s.stripe.simulated = false;
        s.stripe.stripe_account = true;
        s.stripe.test_controls = false;
        s.stripe.secret_key = app::backend::config::Secret::new("sk_test_configured");
        s.stripe.webhook_secret = app::backend::config::Secret::new("whsec_configured");
    })
    .await;
    let html = real.get("/").await.text().await.unwrap();
    assert!(html.contains("Fund your course"));
    assert!(!html.contains("Test mode: no real money moves."));
    assert_eq!(
        real.client
            .get(real.url("/_stripe/checkout/cs_test_x"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
