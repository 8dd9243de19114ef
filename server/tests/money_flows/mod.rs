//! Money flows through the simulator: a cancel that meets a finished Checkout, payments for
//! pledges that no longer wait for them, refunds that race, settlement that keeps going when
//! one campaign fails, retries that are not due, attempts counted in the database, leases
//! renewed while a pass runs.

use std::time::Duration;

use app::payments::rules::PledgeState;
use serde_json::{json, Value};

use crate::campaign_api::live_campaign_from;
use crate::payments_api::{
    assert_ledger_consistent, backer, draft, pay, pledge_of, start_pledge, wait_for, HOLDER,
};
use crate::support::{spawn_app, TestApp};

async fn sim(app: &TestApp, path: &str) {
    let res = app
        .client
        .post(app.url(&format!("/_stripe/test/{path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{path}");
}

/// A backer's pledge, opened and paid (or its card saved) with the good test card.
async fn paid_pledge(app: &TestApp, handle: &str, campaign: &str, amount: &str) -> TestApp {
    let b = backer(app, handle).await;
    let url: String = start_pledge(&b, campaign, "", amount, "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4242424242424242").await;
    b
}

/// What Stripe (the simulator) says the charge behind `intent` has refunded, and how many
/// refund objects exist for it.
async fn stripe_refunds(app: &TestApp, intent: &str) -> (i64, usize) {
    let facts = app.state.payments.intent(intent).await.unwrap();
    let refunds: Vec<Value> = app
        .state
        .db
        .rows(
            "SELECT VALUE id FROM sim_object WHERE obj.object = 'refund' AND obj.payment_intent = $pi",
            json!({ "pi": intent }),
        )
        .await
        .unwrap();
    (facts.refunded, refunds.len())
}

async fn cancel(b: &TestApp, pledge: &str) -> reqwest::Response {
    let csrf = b.csrf().await;
    b.call("cancel_pledge", &[("csrf", &csrf), ("pledge_id", pledge)])
        .await
}

fn signed(app: &TestApp, payload: &str) -> String {
    app::payments::signature::sign(
        app.state.settings.stripe.webhook_secret.expose(),
        chrono::Utc::now().timestamp(),
        payload.as_bytes(),
    )
}

async fn post_event(app: &TestApp, payload: &str) -> u16 {
    app.client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", signed(app, payload))
        .body(payload.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_cancel_after_checkout_took_the_money_applies_the_payment_and_is_refused() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(&app, "late_creator", draft("late-camp", "flexible", "")).await;
    // The webhooks are late: only the cancel can learn that Checkout finished.
    sim(&app, "hold_webhooks?on=true").await;
    let b = paid_pledge(&app, "quick_payer", &c, "30").await;
    let p = pledge_of(&app, "quick_payer", &c).await;
    assert_eq!(p.state, PledgeState::PendingCheckout);
    let res = cancel(&b, &p.id).await;
    assert_eq!(
        res.status(),
        409,
        "the pledge is paid; it cannot be cancelled"
    );
    assert!(res.text().await.unwrap().contains("AlreadyPaid"));
    let p = pledge_of(&app, "quick_payer", &c).await;
    assert_eq!(
        p.state,
        PledgeState::Paid,
        "the payment was applied by the cancel"
    );
    assert_eq!(p.paid, 3000);
    assert_eq!(assert_ledger_consistent(&app, &c).await.raised, 3000);

    // A backer who has not paid yet cancels: the session is expired in Stripe first.
    let other = backer(&app, "second_thoughts").await;
    let url: String = start_pledge(&other, &c, "", "40", "")
        .await
        .json()
        .await
        .unwrap();
    let p2 = pledge_of(&app, "second_thoughts", &c).await;
    assert_eq!(cancel(&other, &p2.id).await.status(), 200);
    assert_eq!(
        pledge_of(&app, "second_thoughts", &c).await.state,
        PledgeState::Cancelled
    );
    let session = app
        .state
        .payments
        .session(p2.checkout_session.as_deref().unwrap())
        .await
        .unwrap();
    assert!(
        session.expired,
        "nobody can pay the cancelled pledge's Checkout later"
    );
    let (status, _) = pay(&other, &url, "4242424242424242").await;
    assert_ne!(status, 200);

    // Stripe unreachable: nothing is cancelled blindly.
    let third = backer(&app, "unlucky").await;
    start_pledge(&third, &c, "", "20", "").await;
    let p3 = pledge_of(&app, "unlucky", &c).await;
    sim(&app, "fail_next?count=3").await;
    assert_eq!(cancel(&third, &p3.id).await.status(), 503);
    sim(&app, "fail_next?count=0").await;
    assert_eq!(
        pledge_of(&app, "unlucky", &c).await.state,
        PledgeState::PendingCheckout
    );

    sim(&app, "hold_webhooks?on=false").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        pledge_of(&app, "quick_payer", &c).await.state,
        PledgeState::Paid
    );
    assert_eq!(assert_ledger_consistent(&app, &c).await.raised, 3000);
}

#[tokio::test]
async fn a_payment_for_a_cancelled_pledge_is_refunded_once_however_often_it_is_reported() {
    let app = spawn_app().await;
    let (_, c) =
        live_campaign_from(&app, "stray_creator", draft("stray-camp", "flexible", "")).await;
    sim(&app, "hold_webhooks?on=true").await;
    paid_pledge(&app, "too_late", &c, "30").await;
    let p = pledge_of(&app, "too_late", &c).await;
    let session = app
        .state
        .payments
        .session(p.checkout_session.as_deref().unwrap())
        .await
        .unwrap();
    let intent = session
        .payment_intent
        .clone()
        .expect("Checkout took the money");
    // The pledge was cancelled before the payment was applied (as the old cancel did when
    // expiring the session failed).
    app.state
        .db
        .run(
            "UPDATE type::record('pledge', $p) SET state = 'cancelled'",
            json!({ "p": &p.id }),
        )
        .await
        .unwrap();

    // Reported many times, some at once: by the intent, by the session, by webhooks.
    let (a, b) = tokio::join!(
        app::payments::flow::sync_intent(&app.state, &intent),
        app::payments::flow::sync_intent(&app.state, &intent),
    );
    a.unwrap();
    b.unwrap();
    app::payments::flow::sync_session(&app.state, &session.id)
        .await
        .unwrap();
    let events: Vec<String> = app
        .state
        .db
        .rows("SELECT VALUE payload FROM sim_event", json!({}))
        .await
        .unwrap();
    for e in &events {
        assert_eq!(post_event(&app, e).await, 200);
        // The same event again under a new id (Stripe may send more than one event about it).
        let mut v: Value = serde_json::from_str(e).unwrap();
        v["id"] = json!(format!("{}_again", v["id"].as_str().unwrap()));
        assert_eq!(post_event(&app, &v.to_string()).await, 200);
    }
    sim(&app, "hold_webhooks?on=false").await;
    tokio::time::sleep(Duration::from_millis(800)).await;

    assert_eq!(
        stripe_refunds(&app, &intent).await,
        (3000, 1),
        "refunded in full, exactly once"
    );
    let p = pledge_of(&app, "too_late", &c).await;
    assert_eq!((p.state, p.paid), (PledgeState::Cancelled, 0));
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(s.raised, 0, "nothing was recorded as raised");

    // The admins see what happened; reconciliation finds Stripe and Cohort agreeing.
    let admin = app.fresh_client().await;
    admin.login_admin().await;
    let view: Value = admin
        .call("reconciliation", &[])
        .await
        .json()
        .await
        .unwrap();
    let strays = view["strays"].as_array().unwrap();
    assert_eq!(strays.len(), 1, "{view}");
    assert_eq!(strays[0]["intent"], json!(intent));
    assert_eq!(strays[0]["state"], json!("refunded"));
    let r = app::payments::reconcile::ssr::pass(&app.state)
        .await
        .unwrap();
    assert_eq!(r.flagged, 0, "{r:?}");
    let page = admin.get("/admin/payments").await.text().await.unwrap();
    assert!(
        page.contains(&intent),
        "the stray payment is on the admin page"
    );
}

#[tokio::test]
async fn two_concurrent_refunds_never_refund_more_than_the_ledger_records() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(&app, "race_creator", draft("race-camp", "flexible", "")).await;
    paid_pledge(&app, "raced", &c, "30").await;
    wait_for(&app, "raced", &c, PledgeState::Paid).await;
    let stale = pledge_of(&app, "raced", &c).await;
    let intent = stale.payment_intent.clone().unwrap();
    let admin = app::payments::flow::Refunder::Admin;

    // Two partial refunds with different amounts, both from the same (soon stale) copy.
    let (a, b) = tokio::join!(
        app::payments::flow::refund(&app.state, &stale, Some(1000), admin),
        app::payments::flow::refund(&app.state, &stale, Some(1500), admin),
    );
    a.unwrap();
    b.unwrap();
    let p = pledge_of(&app, "raced", &c).await;
    assert_eq!(p.refunded, 2500, "both refunds are recorded");
    assert_eq!(p.refund_reserved, 0);
    assert_eq!(stripe_refunds(&app, &intent).await, (2500, 2));
    assert_eq!(assert_ledger_consistent(&app, &c).await.refunded, 2500);

    // Two that do not both fit in the 5.00 left: one goes through, the other is refused
    // before Stripe hears of it.
    let (a, b) = tokio::join!(
        app::payments::flow::refund(&app.state, &p, Some(400), admin),
        app::payments::flow::refund(&app.state, &p, Some(400), admin),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    let refused = a.err().or(b.err()).unwrap();
    assert_eq!(refused.status(), 422, "{refused:?}");
    let p = pledge_of(&app, "raced", &c).await;
    assert_eq!(p.refunded, 2900);
    assert_eq!(stripe_refunds(&app, &intent).await, (2900, 3));
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(s.refunded, 2900);

    // The rest, in full: the platform returns exactly the fee it took on the whole.
    app::payments::flow::refund(&app.state, &p, None, admin)
        .await
        .unwrap();
    let p = pledge_of(&app, "raced", &c).await;
    assert_eq!((p.state, p.refunded), (PledgeState::Refunded, 3000));
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(
        s.platform_fees, 0,
        "four partial refunds returned the whole fee"
    );
}

#[tokio::test]
async fn one_refused_refund_does_not_stop_settlement_of_another_campaign() {
    let app = spawn_app().await;
    // A milestone campaign that will miss its goal: its backer's money goes back...
    let mut d = draft("short-camp", "milestone", "");
    d["milestones"] = json!([
        { "share": "40", "description": "The first half", "due": crate::campaign_api::today(40) },
        { "share": "60", "description": "The rest", "due": crate::campaign_api::today(60) },
    ]);
    let (_, short) = live_campaign_from(&app, "short_creator", d).await;
    paid_pledge(&app, "held_back", &short, "30").await;
    wait_for(&app, "held_back", &short, PledgeState::Paid).await;
    let held = pledge_of(&app, "held_back", &short).await;
    // ...but someone refunded it in Stripe's dashboard, so Stripe refuses our refund.
    app.state
        .db
        .run(
            "UPDATE sim_object SET obj.amount_refunded = obj.amount \
             WHERE obj.object = 'charge' AND obj.payment_intent = $pi",
            json!({ "pi": held.payment_intent.clone().unwrap() }),
        )
        .await
        .unwrap();
    // An all-or-nothing campaign that meets its goal: its card must be charged regardless.
    let (_, funded) = live_campaign_from(
        &app,
        "funded_creator",
        draft("funded-camp", "all_or_nothing", ""),
    )
    .await;
    paid_pledge(&app, "charged_anyway", &funded, "120").await;
    wait_for(&app, "charged_anyway", &funded, PledgeState::Authorized).await;

    let end = chrono::Utc::now() + chrono::Duration::days(31);
    assert_eq!(
        app::campaigns::store::advance_due(&app.state.db, end)
            .await
            .unwrap(),
        2
    );
    let r = app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    assert_eq!((r.charged, r.settled, r.failed), (1, 1, 1), "{r:?}");
    assert_eq!(
        pledge_of(&app, "charged_anyway", &funded).await.state,
        PledgeState::Paid
    );
    let row = app::campaigns::store::get(&app.state.db, &funded)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, app::campaigns::rules::CampaignState::Settled);
    let held = pledge_of(&app, "held_back", &short).await;
    assert_eq!((held.state, held.refund_reserved), (PledgeState::Paid, 0));

    // The failure is the admins' to see, with Stripe's reason.
    let admin = app.fresh_client().await;
    admin.login_admin().await;
    let view: Value = admin
        .call("reconciliation", &[])
        .await
        .json()
        .await
        .unwrap();
    let failures = view["settlement"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{view}");
    assert_eq!(failures[0]["campaign"], json!(short));
    assert_eq!(failures[0]["attempts"], json!(1));
    let reason = failures[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&held.id) && reason.contains("unrefunded"),
        "{reason}"
    );
    let page = admin.get("/admin/payments").await.text().await.unwrap();
    assert!(
        page.contains("settle-failure"),
        "shown on the payment checks page"
    );

    // Retried with backoff: not again at once, again once the wait has passed.
    let attempts = |app: TestApp| async move {
        let v: Value = app.call("reconciliation", &[]).await.json().await.unwrap();
        v["settlement"][0]["attempts"].as_u64().unwrap()
    };
    app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    assert_eq!(attempts(admin.clone()).await, 1, "backing off");
    app::payments::settle::pass(&app.state, HOLDER, end + chrono::Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!(attempts(admin.clone()).await, 2);
}

#[tokio::test]
async fn five_hundred_retries_that_are_not_due_do_not_starve_a_due_pledge() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(
        &app,
        "starve_creator",
        draft("starve-camp", "all_or_nothing", ""),
    )
    .await;
    paid_pledge(&app, "due_one", &c, "120").await;
    wait_for(&app, "due_one", &c, PledgeState::Authorized).await;
    let due = pledge_of(&app, "due_one", &c).await;
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    // 501 older pledges waiting for a retry ten days from now.
    app.state
        .db
        .run(
            "FOR $i IN $n {
                CREATE pledge SET campaign = type::record('campaign', $c),
                    backer = type::record('user', $u), amount = 2500, base_amount = 2500,
                    currency = 'USD', state = 'retrying', checkout_mode = 'setup', attempts = 1,
                    next_attempt_at = <datetime>$later, created_at = time::now() - 1d;
            };",
            json!({ "n": (0..501).collect::<Vec<i64>>(), "c": &c, "u": &due.backer,
                "later": end + chrono::Duration::days(10) }),
        )
        .await
        .unwrap();
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    let r = app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    assert_eq!(r.charged, 1, "{r:?}");
    assert_eq!(
        pledge_of(&app, "due_one", &c).await.state,
        PledgeState::Paid
    );
    let waiting: Option<i64> = app
        .state
        .db
        .row(
            "SELECT VALUE count() FROM pledge WHERE state = 'retrying' AND attempts = 1 GROUP ALL",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(
        waiting,
        Some(501),
        "none of those was tried before its time"
    );
}

#[tokio::test]
async fn charge_attempts_are_counted_in_the_database_not_from_a_stale_copy() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(
        &app,
        "count_creator",
        draft("count-camp", "all_or_nothing", ""),
    )
    .await;
    paid_pledge(&app, "counted", &c, "120").await;
    wait_for(&app, "counted", &c, PledgeState::Authorized).await;
    let card = pledge_of(&app, "counted", &c).await;
    // Ten more saved cards (the same customer's), so some wait for a free charging slot.
    app.state
        .db
        .run(
            "FOR $i IN $n {
                CREATE pledge SET campaign = type::record('campaign', $c),
                    backer = type::record('user', $u), amount = 2500, base_amount = 2500,
                    currency = 'USD', state = 'authorized', checkout_mode = 'setup',
                    customer = $cu, payment_method = $pm;
            };",
            json!({ "n": (0..10).collect::<Vec<i64>>(), "c": &c, "u": &card.backer,
                "cu": card.customer, "pm": card.payment_method }),
        )
        .await
        .unwrap();
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    sim(&app, "latency?ms=1000").await;
    let state = app.state.clone();
    let pass = tokio::spawn(async move { app::payments::settle::pass(&state, HOLDER, end).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Meanwhile another writer counts an attempt on the pledges not yet started.
    let bumped: Vec<String> = app
        .state
        .db
        .rows(
            "UPDATE pledge SET attempts = 2 WHERE campaign = type::record('campaign', $c) \
             AND state = 'authorized' RETURN VALUE record::id(id)",
            json!({ "c": &c }),
        )
        .await
        .unwrap();
    let r = pass.await.unwrap().unwrap();
    sim(&app, "latency?ms=0").await;
    assert_eq!(r.charged, 11, "{r:?}");
    assert!(!bumped.is_empty(), "some pledges waited for a slot");
    for id in bumped {
        let p = app::payments::store::get(&app.state.db, &id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((p.state, p.attempts), (PledgeState::Paid, 3), "{id}");
    }
}

#[tokio::test]
async fn a_lease_is_renewed_while_its_work_runs_and_released_after() {
    let app = spawn_app().await;
    let db = app.state.db.clone();
    let work = {
        let db = db.clone();
        tokio::spawn(async move {
            app::payments::settle::with_lease(
                &db,
                "long-pass",
                "first",
                chrono::Duration::seconds(3),
                tokio::time::sleep(Duration::from_secs(5)),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_secs(4)).await;
    let until = chrono::Utc::now() + chrono::Duration::seconds(60);
    assert!(
        !app::payments::store::take_lease(&db, "long-pass", "second", until)
            .await
            .unwrap(),
        "past its first three seconds the lease is still held"
    );
    assert_eq!(work.await.unwrap().unwrap(), Some(()));
    assert!(
        app::payments::store::take_lease(&db, "long-pass", "second", until)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_pledge_that_cannot_be_cancelled_now_does_not_stall_closing_a_campaign() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(
        &app,
        "stall_creator",
        draft("stall-camp", "all_or_nothing", ""),
    )
    .await;
    paid_pledge(&app, "saved_card", &c, "20").await;
    wait_for(&app, "saved_card", &c, PledgeState::Authorized).await;
    let b = backer(&app, "still_paying").await;
    start_pledge(&b, &c, "", "30", "").await;
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    // Stripe cannot say what became of the open Checkout: that pledge waits, the pass ends.
    sim(&app, "fail_next?count=3").await;
    let r = tokio::time::timeout(
        Duration::from_secs(60),
        app::payments::settle::pass(&app.state, HOLDER, end),
    )
    .await
    .expect("the pass ends")
    .unwrap();
    sim(&app, "fail_next?count=0").await;
    assert_eq!((r.cancelled, r.failed), (1, 1), "{r:?}");
    assert_eq!(
        pledge_of(&app, "still_paying", &c).await.state,
        PledgeState::PendingCheckout
    );
    // The next attempt, once its wait has passed, closes it.
    let r = app::payments::settle::pass(&app.state, HOLDER, end + chrono::Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!(r.failed, 0, "{r:?}");
    assert_eq!(
        pledge_of(&app, "still_paying", &c).await.state,
        PledgeState::Cancelled
    );
}

#[tokio::test]
async fn no_pledge_is_accepted_or_cancelled_once_the_campaign_has_ended() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(
        &app,
        "ended_creator",
        draft("ended-camp", "all_or_nothing", ""),
    )
    .await;
    let early = paid_pledge(&app, "early_bird", &c, "40").await;
    wait_for(&app, "early_bird", &c, PledgeState::Authorized).await;
    // The end has passed; the deadline job has not run yet (the campaign is still `live`).
    app.state
        .db
        .run(
            "UPDATE type::record('campaign', $c) SET ends_at = time::now() - 1m",
            json!({ "c": &c }),
        )
        .await
        .unwrap();
    let b = backer(&app, "latecomer").await;
    let res = start_pledge(&b, &c, "", "30", "").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("CampaignNotLive"));
    let pledges: Vec<Value> = app
        .state
        .db
        .rows("SELECT id FROM pledge", json!({}))
        .await
        .unwrap();
    assert_eq!(pledges.len(), 1, "nothing was created");
    // Nor does the total move under the deadline's feet.
    let p = pledge_of(&app, "early_bird", &c).await;
    assert_eq!(cancel(&early, &p.id).await.status(), 409);
    assert_eq!(
        pledge_of(&app, "early_bird", &c).await.state,
        PledgeState::Authorized
    );
}

#[tokio::test]
async fn a_pledge_left_without_its_checkout_session_is_swept_and_its_place_released() {
    let app = spawn_app().await;
    let (_, c) =
        live_campaign_from(&app, "crash_creator", draft("crash-camp", "flexible", "1")).await;
    let tier = crate::payments_api::tier_of(&app, &c).await;
    let b = backer(&app, "crashed").await;
    let backer_id: String = app
        .state
        .db
        .row(
            "SELECT VALUE record::id(id) FROM user WHERE handle = 'crashed'",
            json!({}),
        )
        .await
        .unwrap()
        .unwrap();
    let terms = app::payments::store::terms(&app.state.db, &c)
        .await
        .unwrap()
        .unwrap();
    // The pledge is created, then the instance dies before Checkout is attached.
    app::payments::store::open(
        &app.state.db,
        app::payments::store::NewPledge {
            id: "crashedpledge1",
            campaign: &c,
            backer: &backer_id,
            tier: Some(&tier),
            base_amount: 3000,
            addon: 0,
            currency: terms.currency,
            setup: false,
            reference: None,
        },
    )
    .await
    .unwrap();
    // The place is taken and the backer cannot pledge again while it stays.
    assert_eq!(start_pledge(&b, &c, &tier, "30", "").await.status(), 409);
    let hour = chrono::Duration::hours(1);
    assert_eq!(
        app::payments::sweep::unattached_pledges(&app.state.db, hour)
            .await
            .unwrap(),
        0,
        "a fresh pledge may still be getting its session"
    );
    app.state
        .db
        .run(
            "UPDATE pledge:crashedpledge1 SET created_at = time::now() - 2h",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(
        app::payments::sweep::unattached_pledges(&app.state.db, hour)
            .await
            .unwrap(),
        1
    );
    let p = app::payments::store::get(&app.state.db, "crashedpledge1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.state, PledgeState::Cancelled);
    // Place and backing are free again: the same backer takes the last place.
    let res = start_pledge(&b, &c, &tier, "30", "").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_course_sales_summary_counts_every_sale_not_only_the_newest_five_hundred() {
    let app = spawn_app().await;
    let (creator, c) = crate::courses_api::course_of_campaign(&app, "sales_creator").await;
    // 501 sales of 1.00 recorded yesterday.
    app.state
        .db
        .run(
            "FOR $i IN $n {
                CREATE ledger_tx SET kind = 'charge', course = type::record('course', $c),
                    currency = 'USD', source = 'charge:pi_old_' + <string>$i,
                    memo = 'course order old', at = time::now() - 1d,
                    legs = [{ account: 'backers', amount: -100 }, { account: $acct, amount: 100 }];
            };",
            json!({ "n": (0..501).collect::<Vec<i64>>(), "c": &c.id,
                "acct": format!("course:{}", c.id) }),
        )
        .await
        .unwrap();
    let l: Value = creator
        .call("course_ledger", &[("course_id", &c.id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(l["summary"]["raised"], json!(50_100), "every sale counts");
    assert_eq!(
        l["rows"].as_array().unwrap().len(),
        500,
        "the newest 500 are listed"
    );
}

#[tokio::test]
async fn a_coupon_entered_on_return_to_checkout_replaces_the_open_order() {
    let app = spawn_app().await;
    let (creator, c) = crate::courses_api::course_of_campaign(&app, "return_creator").await;
    let saved = crate::courses_api::post(
        &creator,
        "save_coupon",
        &[
            ("course_id", &c.id),
            ("code", "half"),
            ("percent", "50"),
            ("amount", ""),
            ("max_uses", "5"),
            ("expires_on", ""),
        ],
    )
    .await;
    assert_eq!(saved.status(), 200);
    let buyer = backer(&app, "came_back").await;
    let first = crate::courses_api::ok_json(&buyer, "buy_course", &[("course_id", &c.id)]).await;
    // The buyer leaves Checkout, finds a coupon and comes back with it.
    let second = crate::courses_api::ok_json(
        &buyer,
        "buy_course",
        &[("course_id", &c.id), ("coupon", "half")],
    )
    .await;
    assert_ne!(first, second, "a new Checkout, for the discounted price");
    let orders: Vec<Value> = app
        .state
        .db
        .rows(
            "SELECT state, amount, checkout_session FROM course_order \
             WHERE buyer.handle = 'came_back' ORDER BY created_at",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(orders.len(), 2, "{orders:?}");
    assert_eq!(
        (&orders[0]["state"], &orders[0]["amount"]),
        (&json!("expired"), &json!(2000))
    );
    assert_eq!(
        (&orders[1]["state"], &orders[1]["amount"]),
        (&json!("pending"), &json!(1000))
    );
    let old = app
        .state
        .payments
        .session(orders[0]["checkout_session"].as_str().unwrap())
        .await
        .unwrap();
    assert!(old.expired, "the full-price Checkout can no longer be paid");
    let (status, _) = pay(&buyer, second.as_str().unwrap(), "4242424242424242").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_course_keeps_its_currency_once_it_has_sold() {
    let app = spawn_app().await;
    let (creator, c) = crate::courses_api::course_of_campaign(&app, "currency_creator").await;
    // Not tied to the campaign here, so only the course's own rule decides the currency.
    let campaign = String::new();
    let save = |currency: &'static str| {
        let creator = creator.clone();
        let (id, slug, campaign) = (c.id.clone(), c.slug.clone(), campaign.clone());
        async move {
            crate::courses_api::post(
                &creator,
                "save_course",
                &[
                    ("course_id", &id),
                    ("title", "SQL for Testers"),
                    ("slug", &slug),
                    ("summary", "Queries, tested."),
                    ("level", "beginner"),
                    ("language", "en"),
                    ("tags", "sql, testing"),
                    ("price", "20"),
                    ("currency", currency),
                    ("campaign_id", &campaign),
                ],
            )
            .await
        }
    };
    assert_eq!(
        save("EUR").await.status(),
        200,
        "no sale yet: free to change"
    );
    assert_eq!(save("USD").await.status(), 200);
    let buyer = backer(&app, "first_buyer").await;
    crate::courses_api::buy(&app, &buyer, &c).await;
    let res = save("EUR").await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("CurrencyLocked"));
    let currency: Option<String> = app
        .state
        .db
        .row(
            "SELECT VALUE currency FROM type::record('course', $c)",
            json!({ "c": &c.id }),
        )
        .await
        .unwrap();
    assert_eq!(currency.as_deref(), Some("USD"), "nothing changed");
    assert_eq!(save("USD").await.status(), 200, "other edits still work");
}

#[tokio::test]
async fn refunding_everyone_names_the_refunds_that_failed_and_charges_nobody_later() {
    let app = spawn_app().await;
    let (creator, c) = live_campaign_from(
        &app,
        "undo_creator",
        draft("undo-camp", "all_or_nothing", ""),
    )
    .await;
    paid_pledge(&app, "refund_ok", &c, "120").await;
    paid_pledge(&app, "refund_refused", &c, "30").await;
    let b = backer(&app, "not_charged").await;
    let url: String = start_pledge(&b, &c, "", "30", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4000000000000341").await;
    for h in ["refund_ok", "refund_refused", "not_charged"] {
        wait_for(&app, h, &c, PledgeState::Authorized).await;
    }
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    let r = app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    assert_eq!((r.charged, r.declined), (2, 1), "{r:?}");
    let refused = pledge_of(&app, "refund_refused", &c).await;
    // Refunded in Stripe's dashboard already: Stripe refuses our refund of it.
    app.state
        .db
        .run(
            "UPDATE sim_object SET obj.amount_refunded = obj.amount \
             WHERE obj.object = 'charge' AND obj.payment_intent = $pi",
            json!({ "pi": refused.payment_intent.clone().unwrap() }),
        )
        .await
        .unwrap();

    let csrf = creator.csrf().await;
    let res = creator
        .call(
            "refund_all",
            &[("csrf", &csrf), ("campaign_id", &c), ("confirm", "on")],
        )
        .await;
    assert_eq!(res.status(), 200);
    wait_for(&app, "refund_ok", &c, PledgeState::Refunded).await;
    wait_for(&app, "not_charged", &c, PledgeState::Cancelled).await;
    // The refund that failed is named, with Stripe's reason, in the creator's refund list.
    let mut listed = Value::Null;
    for _ in 0..50 {
        listed = creator
            .call("paid_pledges", &[("campaign_id", &c)])
            .await
            .json()
            .await
            .unwrap();
        if listed[0]["refund_failure"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], json!(refused.id));
    assert!(
        listed[0]["refund_failure"]
            .as_str()
            .unwrap()
            .contains("unrefunded"),
        "{listed}"
    );

    // Days later the declined card's retry would have been due: nobody is charged.
    let r = app::payments::settle::pass(&app.state, HOLDER, end + chrono::Duration::days(2))
        .await
        .unwrap();
    assert_eq!((r.charged, r.declined, r.dropped), (0, 0, 0), "{r:?}");
    assert_eq!(
        pledge_of(&app, "not_charged", &c).await.state,
        PledgeState::Cancelled
    );
}
