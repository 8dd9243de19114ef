//! Pledges through the built-in Stripe simulator: checkout with test cards, webhooks (forged,
//! stale, duplicated, reordered), tier places under a crowd, settlement (charges, retries,
//! drops, a pass killed half-way), refunds, and a ledger that always balances.

use std::time::Duration;

use app::payments::rules::PledgeState;
use serde_json::{json, Value};

use crate::campaign_api::{complete_draft, live_campaign_from};
use crate::support::{spawn_app, TestApp};

pub const HOLDER: &str = "test-instance";

pub fn draft(slug: &str, mode: &str, quantity: &str) -> Value {
    let mut d = complete_draft(slug, &format!("Campaign {slug}"));
    d["mode"] = json!(mode);
    d["goal"] = json!("100");
    d["tiers"][0]["quantity"] = json!(quantity);
    d
}

pub async fn backer(app: &TestApp, handle: &str) -> TestApp {
    let b = app.fresh_client().await;
    b.sign_up(
        &format!("{handle}@example.com"),
        handle,
        "correct horse battery",
    )
    .await;
    b
}

pub async fn tier_of(app: &TestApp, campaign: &str) -> String {
    app.state
        .db
        .row::<String>(
            "SELECT VALUE record::id(id) FROM tier WHERE campaign = type::record('campaign', $c)",
            json!({ "c": campaign }),
        )
        .await
        .unwrap()
        .unwrap()
}

pub async fn start_pledge(
    b: &TestApp,
    campaign: &str,
    tier: &str,
    amount: &str,
    addon: &str,
) -> reqwest::Response {
    let csrf = b.csrf().await;
    b.call(
        "start_pledge",
        &[
            ("csrf", &csrf),
            ("campaign_id", campaign),
            ("tier_id", tier),
            ("amount", amount),
            ("addon", addon),
        ],
    )
    .await
}

/// Enters `card` on the simulator's hosted page; answers with the final page's status.
pub async fn pay(b: &TestApp, checkout_url: &str, card: &str) -> (u16, String) {
    let res = b
        .client
        .post(checkout_url)
        .form(&[("card", card), ("exp", "12/40"), ("cvc", "123")])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.url().path().to_string())
}

pub async fn pledge_of(
    app: &TestApp,
    backer: &str,
    campaign: &str,
) -> app::payments::store::PledgeRow {
    let id: String = app
        .state
        .db
        .row(
            "SELECT VALUE record::id(id) FROM pledge WHERE backer.handle = $h \
             AND campaign = type::record('campaign', $c) ORDER BY created_at DESC LIMIT 1",
            json!({ "h": backer, "c": campaign }),
        )
        .await
        .unwrap()
        .expect("a pledge");
    app::payments::store::get(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap()
}

/// Waits (webhooks are asynchronous) until the backer's pledge reaches `state`.
pub async fn wait_for(app: &TestApp, backer: &str, campaign: &str, state: PledgeState) {
    for _ in 0..100 {
        if pledge_of(app, backer, campaign).await.state == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{backer}'s pledge stayed {:?}, wanted {state:?}",
        pledge_of(app, backer, campaign).await.state
    );
}

async fn totals(app: &TestApp, campaign: &str) -> (i64, i64) {
    let v: Value = app
        .state
        .db
        .row(
            "SELECT pledged, backers FROM type::record('campaign', $c)",
            json!({ "c": campaign }),
        )
        .await
        .unwrap()
        .unwrap();
    (
        v["pledged"].as_i64().unwrap(),
        v["backers"].as_i64().unwrap(),
    )
}

/// Every ledger transaction sums to zero, each Stripe object is recorded once, and what the
/// ledger says backers paid (net of refunds) is what the pledges say.
pub async fn assert_ledger_consistent(
    app: &TestApp,
    campaign: &str,
) -> app::payments::ledger::MoneySummary {
    let txs: Vec<Value> = app
        .state
        .db
        .rows(
            "SELECT kind, source, legs FROM ledger_tx WHERE campaign = type::record('campaign', $c)",
            json!({ "c": campaign }),
        )
        .await
        .unwrap();
    let mut summary = app::payments::ledger::MoneySummary::default();
    let mut sources = std::collections::HashSet::new();
    for tx in &txs {
        let legs: Vec<app::payments::ledger::Leg> =
            serde_json::from_value(tx["legs"].clone()).unwrap();
        assert!(app::payments::ledger::balanced(&legs), "unbalanced {tx}");
        assert!(
            sources.insert(tx["source"].to_string()),
            "recorded twice: {tx}"
        );
        summary.add(serde_json::from_value(tx["kind"].clone()).unwrap(), &legs);
    }
    let net: Option<i64> = app
        .state
        .db
        .row(
            "SELECT VALUE math::sum(paid - refunded) FROM pledge \
             WHERE campaign = type::record('campaign', $c) GROUP ALL",
            json!({ "c": campaign }),
        )
        .await
        .unwrap();
    assert_eq!(summary.raised - summary.refunded, net.unwrap_or(0));
    summary
}

async fn sim_control(app: &TestApp, path: &str) {
    let res = app
        .client
        .post(app.url(&format!("/_stripe/test/{path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn all_or_nothing_saves_cards_then_settlement_charges_retries_and_drops() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(
        &app,
        "aon_creator",
        draft("aon-camp", "all_or_nothing", "10"),
    )
    .await;
    let tier = tier_of(&app, &c).await;

    // A good card, a card that saves but fails later, and a declining card.
    let mut urls = Vec::new();
    for handle in ["good", "later", "bad"] {
        let b = backer(&app, handle).await;
        let res = start_pledge(&b, &c, &tier, "30", "5").await;
        assert_eq!(res.status(), 200, "{handle}");
        let url: String = res.json().await.unwrap();
        assert!(url.contains("/_stripe/checkout/cs_test_"), "{url}");
        assert_eq!(
            pledge_of(&app, handle, &c).await.state,
            PledgeState::PendingCheckout
        );
        urls.push((b, url));
    }
    // Nothing counts before Stripe confirms.
    assert_eq!(totals(&app, &c).await, (0, 0));
    let (status, path) = pay(&urls[0].0, &urls[0].1, "4242 4242 4242 4242").await;
    assert_eq!(status, 200);
    assert!(path.starts_with("/pledges/"), "{path}");
    pay(&urls[1].0, &urls[1].1, "4000000000000341").await;
    let (status, _) = pay(&urls[2].0, &urls[2].1, "4000000000000002").await;
    assert_eq!(status, 402, "a declined card stays on the checkout page");
    wait_for(&app, "good", &c, PledgeState::Authorized).await;
    wait_for(&app, "later", &c, PledgeState::Authorized).await;
    assert_eq!(
        pledge_of(&app, "bad", &c).await.state,
        PledgeState::PendingCheckout
    );
    assert_eq!(totals(&app, &c).await, (7000, 2));

    // The deadline passes with the goal ($100 = 10000) unmet... then met by a third pledge.
    let b = backer(&app, "third").await;
    let url: String = start_pledge(&b, &c, "", "40", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4242424242424242").await;
    wait_for(&app, "third", &c, PledgeState::Authorized).await;
    assert_eq!(totals(&app, &c).await, (11000, 3));

    let db = &app.state.db;
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    assert_eq!(
        app::campaigns::store::advance_due(db, end).await.unwrap(),
        1
    );
    let r = app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    assert_eq!((r.charged, r.declined), (2, 1), "{r:?}");
    assert_eq!(pledge_of(&app, "good", &c).await.state, PledgeState::Paid);
    let later = pledge_of(&app, "later", &c).await;
    assert_eq!(later.state, PledgeState::Retrying);
    assert!(later.failure.is_some());
    // The backer was told, with a link to update the card.
    let mails = app.state.mailer.outbox(50).await.unwrap();
    assert!(mails
        .iter()
        .any(|m| m.to == "later@example.com" && m.subject.contains("Action needed")));

    // Retries on the schedule (1, 3, 5 days), then dropped; a second pass in between does nothing.
    let mut t = end;
    for wait in [1, 3, 5] {
        let early = app::payments::settle::pass(&app.state, HOLDER, t)
            .await
            .unwrap();
        assert_eq!(
            early.declined + early.dropped,
            0,
            "no retry before its time"
        );
        t += chrono::Duration::days(wait) + chrono::Duration::seconds(1);
        let r = app::payments::settle::pass(&app.state, HOLDER, t)
            .await
            .unwrap();
        assert_eq!(r.declined + r.dropped, 1, "{r:?}");
    }
    let later = pledge_of(&app, "later", &c).await;
    assert_eq!(later.state, PledgeState::Dropped);
    assert_eq!(later.attempts, 4);
    assert_eq!(
        totals(&app, &c).await,
        (7500, 2),
        "the dropped pledge no longer counts"
    );
    let row = app::campaigns::store::get(db, &c).await.unwrap().unwrap();
    assert_eq!(row.state, app::campaigns::rules::CampaignState::Settled);
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(s.raised, 7500);
    assert_eq!(s.platform_fees, 375, "5 % of 75.00");
    // The simulator's fee: 2.9 % + 30 per charge.
    assert_eq!(
        s.processing_fees,
        (3500 * 29 + 500) / 1000 + 30 + (4000 * 29 + 500) / 1000 + 30
    );
}

#[tokio::test]
async fn a_missed_goal_charges_nobody_and_tells_everyone() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(
        &app,
        "miss_creator",
        draft("miss-camp", "all_or_nothing", ""),
    )
    .await;
    let b = backer(&app, "hopeful").await;
    let url: String = start_pledge(&b, &c, "", "20", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4242424242424242").await;
    wait_for(&app, "hopeful", &c, PledgeState::Authorized).await;
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    let r = app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    assert_eq!((r.charged, r.cancelled), (0, 1));
    assert_eq!(
        pledge_of(&app, "hopeful", &c).await.state,
        PledgeState::Cancelled
    );
    let charges: Option<u64> = app
        .state
        .db
        .row(
            "SELECT VALUE count() FROM sim_object WHERE obj.object = 'charge' GROUP ALL",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(charges.unwrap_or(0), 0, "no charge exists in Stripe");
    let mails = app.state.mailer.outbox(50).await.unwrap();
    assert!(mails
        .iter()
        .any(|m| m.to == "hopeful@example.com" && m.subject.contains("did not reach")));
    assert_eq!(
        app::payments::settle::pass(&app.state, HOLDER, end)
            .await
            .unwrap(),
        Default::default(),
        "closing happens once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_backers_racing_for_ten_places_get_exactly_ten() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(
        &app,
        "race_creator",
        draft("race-camp", "all_or_nothing", "10"),
    )
    .await;
    let tier = tier_of(&app, &c).await;
    app.state
        .db
        .run(
            "FOR $i IN 0..200 { CREATE type::record('user', 'racer' + <string>$i) SET \
             email = 'racer' + <string>$i + '@example.com', handle = 'racer' + <string>$i, \
             display_name = 'Racer'; };",
            json!({}),
        )
        .await
        .unwrap();
    let terms = app::payments::store::terms(&app.state.db, &c)
        .await
        .unwrap()
        .unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let state = app.state.clone();
            let terms = terms.clone();
            let tier = tier.clone();
            tokio::spawn(async move {
                let user = format!("racer{i}");
                app::payments::flow::begin(
                    &state,
                    app::payments::flow::PledgeRequest {
                        terms: &terms,
                        backer: &user,
                        tier: Some(&tier),
                        base: 2500,
                        addon: 0,
                        reference: None,
                    },
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    let mut sold_out = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(app::error::AppError::Invalid(app::error::Problem::Pledge(
                app::payments::model::PledgeProblem::SoldOut,
            ))) => sold_out += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, sold_out), (10, 190));
    let claimed: i64 = app
        .state
        .db
        .row(
            "SELECT VALUE claimed FROM type::record('tier', $t)",
            json!({ "t": tier }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed, 10);
    // An abandoned checkout gives its place back when the session expires.
    sim_control(&app, "advance_clock?seconds=3600").await;
    for _ in 0..100 {
        let claimed: i64 = app
            .state
            .db
            .row(
                "SELECT VALUE claimed FROM type::record('tier', $t)",
                json!({ "t": tier }),
            )
            .await
            .unwrap()
            .unwrap();
        if claimed == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expired checkouts did not release their places");
}

fn signed(app: &TestApp, payload: &str, at: i64) -> String {
    app::payments::signature::sign(
        app.state.settings.stripe.webhook_secret.expose(),
        at,
        payload.as_bytes(),
    )
}

async fn post_event(app: &TestApp, payload: &str, signature: Option<String>) -> u16 {
    let mut req = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(payload.to_string());
    if let Some(s) = signature {
        req = req.header("stripe-signature", s);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn webhooks_are_verified_once_only_and_tolerate_any_order() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(&app, "hook_creator", draft("hook-camp", "flexible", "")).await;
    let now = chrono::Utc::now().timestamp();
    let forged =
        r#"{"id":"evt_forged","type":"payment_intent.succeeded","data":{"object":{"id":"pi_x"}}}"#;
    assert_eq!(post_event(&app, forged, None).await, 400);
    let wrong = app::payments::signature::sign("whsec_wrong", now, forged.as_bytes());
    assert_eq!(post_event(&app, forged, Some(wrong)).await, 401);
    assert_eq!(
        post_event(&app, forged, Some(signed(&app, forged, now - 3600))).await,
        401,
        "stale"
    );
    // Signed, but about an object Stripe does not know: acknowledged, nothing changes.
    assert_eq!(
        post_event(&app, forged, Some(signed(&app, forged, now))).await,
        200
    );

    // Hold the simulator's webhooks and deliver them by hand, last first.
    sim_control(&app, "hold_webhooks?on=true").await;
    let b = backer(&app, "orderly").await;
    let url: String = start_pledge(&b, &c, "", "50", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4242424242424242").await;
    assert_eq!(
        pledge_of(&app, "orderly", &c).await.state,
        PledgeState::PendingCheckout
    );
    let events: Vec<Value> = app
        .state
        .db
        .rows(
            "SELECT payload, created FROM sim_event ORDER BY created DESC",
            json!({}),
        )
        .await
        .unwrap();
    let payloads: Vec<String> = events
        .iter()
        .map(|e| e["payload"].as_str().unwrap().to_string())
        .collect();
    let kinds: Vec<String> = payloads
        .iter()
        .map(|p| {
            serde_json::from_str::<Value>(p).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let completed = kinds
        .iter()
        .position(|k| k == "checkout.session.completed")
        .unwrap();
    let succeeded = kinds
        .iter()
        .position(|k| k == "payment_intent.succeeded")
        .unwrap();
    assert!(completed < succeeded, "newest first: {kinds:?}");
    // payment_intent.succeeded before checkout.session.completed…
    let now = chrono::Utc::now().timestamp();
    for p in [&payloads[succeeded], &payloads[completed]] {
        assert_eq!(post_event(&app, p, Some(signed(&app, p, now))).await, 200);
    }
    assert_eq!(
        pledge_of(&app, "orderly", &c).await.state,
        PledgeState::Paid
    );
    // …then every event again, twice, as Stripe may.
    for _ in 0..2 {
        for p in &payloads {
            assert_eq!(post_event(&app, p, Some(signed(&app, p, now))).await, 200);
        }
    }
    sim_control(&app, "hold_webhooks?on=false").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(totals(&app, &c).await, (5000, 1), "counted once");
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(s.raised, 5000);
}

#[tokio::test]
async fn a_settlement_killed_half_way_finishes_with_no_double_charge() {
    let app = spawn_app().await;
    let (_, c) = live_campaign_from(
        &app,
        "kill_creator",
        draft("kill-camp", "all_or_nothing", ""),
    )
    .await;
    for i in 0..6 {
        let handle = format!("steady{i}");
        let b = backer(&app, &handle).await;
        let url: String = start_pledge(&b, &c, "", "25", "")
            .await
            .json()
            .await
            .unwrap();
        pay(&b, &url, "4242424242424242").await;
        wait_for(&app, &handle, &c, PledgeState::Authorized).await;
    }
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    // Stripe answers each call after 2 s (having done the work): the pass is killed after
    // one second, while the charges (up to 8 at once) are made but not yet recorded.
    sim_control(&app, "latency?ms=2000").await;
    let state = app.state.clone();
    let pass = tokio::spawn(async move { app::payments::settle::pass(&state, HOLDER, end).await });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    pass.abort();
    let _ = pass.await;
    sim_control(&app, "latency?ms=0").await;
    let charging: Vec<Value> = app
        .state
        .db
        .rows("SELECT id FROM pledge WHERE state = 'charging'", json!({}))
        .await
        .unwrap();
    assert!(
        (1..=6).contains(&charging.len()),
        "the kill left charges in flight: {charging:?}"
    );
    // The restarted instance (same name, so its lease is its own) finishes the job within its
    // next passes (it runs one every 10 s). Under CPU load the killed call can still be
    // finishing inside the simulator during the first pass, which then leaves that pledge for
    // the next one.
    let mut settled = 0;
    for _ in 0..3 {
        let r = app::payments::settle::pass(&app.state, HOLDER, end)
            .await
            .unwrap();
        settled += r.settled;
        if settled > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(settled, 1, "settled once");
    for i in 0..6 {
        assert_eq!(
            pledge_of(&app, &format!("steady{i}"), &c).await.state,
            PledgeState::Paid
        );
    }
    let per_pledge: Vec<Value> = app
        .state
        .db
        .rows(
            "SELECT obj.metadata.pledge AS pledge, count() AS n FROM sim_object \
             WHERE obj.object = 'payment_intent' AND obj.status = 'succeeded' GROUP BY pledge",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(per_pledge.len(), 6);
    assert!(
        per_pledge.iter().all(|p| p["n"] == 1),
        "charged twice: {per_pledge:?}"
    );
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(s.raised, 15_000);
}

#[tokio::test]
async fn bad_pledges_are_refused_and_refunds_follow_the_rules() {
    let app = spawn_app().await;
    let (creator, c) =
        live_campaign_from(&app, "flex_creator", draft("flex-camp", "flexible", "1")).await;
    let tier = tier_of(&app, &c).await;
    let b = backer(&app, "flexer").await;
    let code = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        code(start_pledge(&b, &c, &tier, "10", "").await),
        422,
        "below the tier's $25"
    );
    assert_eq!(
        code(start_pledge(&b, &c, &tier, "99999999999", "").await),
        422,
        "too large"
    );
    assert_eq!(code(start_pledge(&b, &c, &tier, "abc", "").await), 422);
    assert_eq!(
        code(start_pledge(&b, &c, "tier-of-nobody", "30", "").await),
        422
    );
    assert_eq!(
        code(start_pledge(&creator, &c, "", "30", "").await),
        403,
        "own campaign"
    );
    let stranger = app.fresh_client().await;
    assert_eq!(code(start_pledge(&stranger, &c, "", "30", "").await), 401);
    // Stripe down: a clear error, and nothing is left reserved.
    sim_control(&app, "fail_next?count=9").await;
    assert_eq!(code(start_pledge(&b, &c, &tier, "30", "").await), 503);
    sim_control(&app, "fail_next?count=0").await;
    let claimed: i64 = app
        .state
        .db
        .row(
            "SELECT VALUE claimed FROM type::record('tier', $t)",
            json!({ "t": &tier }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed, 0);
    // Now it works; the tier (quantity 1) is then sold out for the next backer.
    let url: String = start_pledge(&b, &c, &tier, "30", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4242424242424242").await;
    wait_for(&app, "flexer", &c, PledgeState::Paid).await;
    let other = backer(&app, "second").await;
    assert_eq!(
        code(start_pledge(&other, &c, &tier, "30", "").await),
        409,
        "sold out"
    );
    assert_eq!(
        code(start_pledge(&b, &c, "", "30", "").await),
        409,
        "already backing"
    );
    let url: String = start_pledge(&other, &c, "", "40", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&other, &url, "4242424242424242").await;
    wait_for(&app, "second", &c, PledgeState::Paid).await;

    let refund = |who: &TestApp, pledge: String, amount: &str| {
        let who = who.clone();
        let amount = amount.to_string();
        async move {
            let csrf = who.csrf().await;
            who.call(
                "refund_pledge",
                &[("csrf", &csrf), ("pledge_id", &pledge), ("amount", &amount)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    let mine = pledge_of(&app, "flexer", &c).await.id;
    let theirs = pledge_of(&app, "second", &c).await.id;
    assert_eq!(
        refund(&b, theirs.clone(), "").await,
        404,
        "not someone else's"
    );
    // The creator refunds part of one pledge, then too much.
    assert_eq!(refund(&creator, theirs.clone(), "15").await, 200);
    assert_eq!(pledge_of(&app, "second", &c).await.refunded, 1500);
    assert_eq!(
        refund(&creator, theirs.clone(), "30").await,
        422,
        "more than remains"
    );
    // The backer refunds their own within the window: all of it.
    assert_eq!(refund(&b, mine.clone(), "").await, 200);
    assert_eq!(
        pledge_of(&app, "flexer", &c).await.state,
        PledgeState::Refunded
    );
    assert_eq!(refund(&b, mine, "").await, 409, "once");
    assert_eq!(totals(&app, &c).await, (2500, 1));
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!((s.raised, s.refunded), (7000, 4500));
    // The tier place came back with the full refund.
    let claimed: i64 = app
        .state
        .db
        .row(
            "SELECT VALUE claimed FROM type::record('tier', $t)",
            json!({ "t": &tier }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed, 0);
    // The creator's CSV lists both backers; a stranger gets nothing.
    let csv = creator
        .get(&format!("/campaigns/{c}/backers.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("flexer@example.com") && csv.contains("second@example.com"),
        "{csv}"
    );
    assert_eq!(
        b.get(&format!("/campaigns/{c}/backers.csv")).await.status(),
        404
    );
}

#[tokio::test]
async fn milestone_money_is_held_released_by_stage_and_refunded_when_backers_object() {
    let app = spawn_app().await;
    let mut d = draft("stage-camp", "milestone", "");
    d["milestones"] = json!([
        { "share": "40", "description": "First half of the lessons", "due": crate::campaign_api::today(40) },
        { "share": "60", "description": "The rest and the exam", "due": crate::campaign_api::today(60) },
    ]);
    let (creator, c) = live_campaign_from(&app, "stage_creator", d).await;
    let small = backer(&app, "small").await;
    let big = backer(&app, "big").await;
    for (b, amount) in [(&small, "40"), (&big, "60")] {
        let url: String = start_pledge(b, &c, "", amount, "")
            .await
            .json()
            .await
            .unwrap();
        pay(b, &url, "4242424242424242").await;
    }
    wait_for(&app, "small", &c, PledgeState::Paid).await;
    wait_for(&app, "big", &c, PledgeState::Paid).await;
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(
        s.to_creator, 0,
        "nothing is the creator's before a stage is released"
    );
    let held = s.held;
    assert!(held > 0);

    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    let call = |who: &TestApp, name: &'static str, extra: Vec<(&'static str, String)>| {
        let who = who.clone();
        let c = c.clone();
        async move {
            let csrf = who.csrf().await;
            let mut form = vec![("csrf", csrf), ("campaign_id", c)];
            form.extend(extra);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            who.call(name, &form).await.status().as_u16()
        }
    };
    // Stage 1: delivered, the small backer (40 %) objects: released anyway.
    assert_eq!(
        call(&small, "deliver_milestone", vec![("note", "done".into())]).await,
        404,
        "only the creator"
    );
    assert_eq!(
        call(
            &creator,
            "deliver_milestone",
            vec![("note", "Lessons 1–6 are up.".into())]
        )
        .await,
        200
    );
    assert_eq!(
        call(
            &creator,
            "deliver_milestone",
            vec![("note", "again".into())]
        )
        .await,
        409,
        "one vote at a time"
    );
    assert_eq!(call(&small, "object_milestone", vec![]).await, 200);
    assert_eq!(call(&small, "object_milestone", vec![]).await, 409, "once");
    let stranger = backer(&app, "stranger").await;
    assert_eq!(call(&stranger, "object_milestone", vec![]).await, 403);
    let after = end + chrono::Duration::days(8);
    let r = app::payments::settle::pass(&app.state, HOLDER, after)
        .await
        .unwrap();
    assert_eq!(r.stages, 1);
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(s.to_creator, held * 40 / 100);
    assert_eq!(s.held, held - held * 40 / 100);

    // Stage 2: the big backer (60 %) objects: what is held goes back, pro rata.
    assert_eq!(
        call(
            &creator,
            "deliver_milestone",
            vec![("note", "Exam is up.".into())]
        )
        .await,
        200
    );
    assert_eq!(call(&big, "object_milestone", vec![]).await, 200);
    let r = app::payments::settle::pass(&app.state, HOLDER, after + chrono::Duration::days(8))
        .await
        .unwrap();
    assert_eq!(r.stages, 1);
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!(s.held, 0, "everything held was refunded");
    assert_eq!(s.refunded, held - held * 40 / 100);
    let (small_back, big_back) = (
        pledge_of(&app, "small", &c).await.refunded,
        pledge_of(&app, "big", &c).await.refunded,
    );
    assert_eq!(small_back + big_back, s.refunded);
    assert!(
        big_back > small_back,
        "pro rata: {small_back} vs {big_back}"
    );
    // Deciding again changes nothing.
    let r = app::payments::settle::pass(&app.state, HOLDER, after + chrono::Duration::days(9))
        .await
        .unwrap();
    assert_eq!(r.stages, 0);

    // A creator refund after a release comes out of the creator's released share: the escrow,
    // already empty, never goes below zero.
    let small_pledge = pledge_of(&app, "small", &c).await;
    let remaining = small_pledge.paid - small_pledge.refunded;
    assert!(remaining > 0);
    app::payments::flow::refund(
        &app.state,
        &small_pledge,
        None,
        app::payments::flow::Refunder::Creator,
    )
    .await
    .unwrap();
    let after_refund = assert_ledger_consistent(&app, &c).await;
    assert_eq!(after_refund.held, 0, "the escrow never goes below zero");
    assert_eq!(after_refund.refunded, s.refunded + remaining);
    assert!(after_refund.to_creator < s.to_creator);
}

#[tokio::test]
async fn reconciliation_flags_a_ledger_that_disagrees_with_stripe_and_clears_when_mended() {
    let app = spawn_app().await;
    let (_, c) =
        live_campaign_from(&app, "recon_creator", draft("recon-camp", "flexible", "")).await;
    let b = backer(&app, "reconciled").await;
    let url: String = start_pledge(&b, &c, "", "30", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4242424242424242").await;
    wait_for(&app, "reconciled", &c, PledgeState::Paid).await;
    let pledge = pledge_of(&app, "reconciled", &c).await;

    let r = app::payments::reconcile::ssr::pass(&app.state)
        .await
        .unwrap();
    assert_eq!((r.checked, r.flagged), (1, 0), "ledger and Stripe agree");

    // Someone edits the pledge record by hand: it now claims a cent more than Stripe took.
    let tamper = |paid: i64| {
        let db = app.state.db.clone();
        let id = pledge.id.clone();
        async move {
            db.run(
                "UPDATE type::record('pledge', $p) SET paid = $paid",
                json!({ "p": id, "paid": paid }),
            )
            .await
            .unwrap();
        }
    };
    tamper(pledge.paid + 1).await;
    let r = app::payments::reconcile::ssr::pass(&app.state)
        .await
        .unwrap();
    assert_eq!((r.checked, r.flagged), (1, 1));

    let admin = app.fresh_client().await;
    admin.login_admin().await;
    let res = admin.call("reconciliation", &[]).await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    let flags = view["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{view}");
    assert_eq!(flags[0]["pledge"], json!(pledge.id));
    assert_eq!(flags[0]["problems"], json!(["received", "ledger"]));
    assert_eq!(flags[0]["stripe_received"], json!(pledge.paid));
    assert_eq!(view["checked"], json!(1));
    assert_eq!(
        b.call("reconciliation", &[]).await.status(),
        403,
        "admins only"
    );
    let page = admin.get("/admin/payments").await.text().await.unwrap();
    assert!(page.contains(&pledge.id), "the flag is on the admin page");

    tamper(pledge.paid).await;
    let r = app::payments::reconcile::ssr::pass(&app.state)
        .await
        .unwrap();
    assert_eq!((r.checked, r.flagged), (1, 0));
    let view: Value = admin
        .call("reconciliation", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["flags"], json!([]), "mended pledges leave the list");
}

#[tokio::test]
async fn a_creator_refunds_everyone_at_once_and_nobody_twice() {
    let app = spawn_app().await;
    let (creator, c) =
        live_campaign_from(&app, "bulk_creator", draft("bulk-camp", "flexible", "")).await;
    let mut backers = Vec::new();
    for (handle, amount) in [("bulk_a", "30"), ("bulk_b", "45"), ("bulk_c", "60")] {
        let b = backer(&app, handle).await;
        let url: String = start_pledge(&b, &c, "", amount, "")
            .await
            .json()
            .await
            .unwrap();
        pay(&b, &url, "4242424242424242").await;
        wait_for(&app, handle, &c, PledgeState::Paid).await;
        backers.push(b);
    }
    let bulk = |who: &TestApp, confirm: bool| {
        let who = who.clone();
        let c = c.clone();
        async move {
            let csrf = who.csrf().await;
            let mut form = vec![("csrf", csrf.as_str()), ("campaign_id", c.as_str())];
            if confirm {
                form.push(("confirm", "on"));
            }
            who.call("refund_all", &form).await
        }
    };
    let listed: Value = creator
        .call("paid_pledges", &[("campaign_id", &c)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    assert_eq!(
        backers[0]
            .call("paid_pledges", &[("campaign_id", &c)])
            .await
            .status(),
        404,
        "backers do not see each other"
    );
    assert_eq!(
        bulk(&backers[0], true).await.status(),
        404,
        "not the creator"
    );
    assert_eq!(
        bulk(&creator, false).await.status(),
        422,
        "must be confirmed"
    );
    assert_eq!(totals(&app, &c).await, (13_500, 3), "nothing changed");

    let res = bulk(&creator, true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<usize>().await.unwrap(), 3);
    for handle in ["bulk_a", "bulk_b", "bulk_c"] {
        wait_for(&app, handle, &c, PledgeState::Refunded).await;
    }
    // Started again (a double click, a second tab): nothing is left to refund.
    let again = bulk(&creator, true).await;
    assert_eq!(again.json::<usize>().await.unwrap(), 0);
    let s = assert_ledger_consistent(&app, &c).await;
    assert_eq!((s.raised, s.refunded), (13_500, 13_500));
    assert_eq!(totals(&app, &c).await, (0, 0));
    let refunds: i64 = app
        .state
        .db
        .row(
            "SELECT VALUE count() FROM ledger_tx WHERE kind = 'refund' \
             AND campaign = type::record('campaign', $c) GROUP ALL",
            json!({ "c": &c }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refunds, 3, "one refund per backer");
}

#[tokio::test]
async fn creators_survey_paying_backers_and_export_the_answers() {
    let app = spawn_app().await;
    let (creator, c) =
        live_campaign_from(&app, "survey_creator", draft("survey-camp", "flexible", "")).await;
    let b = backer(&app, "surveyed").await;
    let url: String = start_pledge(&b, &c, "", "30", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4242424242424242").await;
    wait_for(&app, "surveyed", &c, PledgeState::Paid).await;
    let onlooker = backer(&app, "onlooker").await;

    let save = |who: &TestApp, questions: &str| {
        let who = who.clone();
        let (c, questions) = (c.clone(), questions.to_string());
        async move {
            let csrf = who.csrf().await;
            who.call(
                "save_survey",
                &[
                    ("csrf", &csrf),
                    ("campaign_id", &c),
                    ("questions", &questions),
                ],
            )
            .await
            .status()
            .as_u16()
        }
    };
    let answer = |who: &TestApp, answers: Vec<String>| {
        let who = who.clone();
        let c = c.clone();
        async move {
            let csrf = who.csrf().await;
            let names: Vec<String> = (0..answers.len())
                .map(|i| format!("answers[{i}]"))
                .collect();
            let mut form = vec![("csrf", csrf.as_str()), ("campaign_id", c.as_str())];
            for (n, a) in names.iter().zip(&answers) {
                form.push((n.as_str(), a.as_str()));
            }
            who.call("answer_survey", &form).await.status().as_u16()
        }
    };
    assert_eq!(save(&onlooker, "Address?").await, 404, "only the creator");
    assert_eq!(save(&creator, " \n ").await, 422, "no questions");
    assert_eq!(save(&creator, &"Q?\n".repeat(11)).await, 422, "too many");
    assert_eq!(save(&creator, "Postal address?\nT-shirt size?").await, 200);

    assert_eq!(
        onlooker
            .call("survey", &[("campaign_id", &c)])
            .await
            .status(),
        404,
        "someone who did not pay learns nothing"
    );
    let seen: Value = b
        .call("survey", &[("campaign_id", &c)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["questions"],
        json!(["Postal address?", "T-shirt size?"])
    );
    assert_eq!(seen["can_answer"], json!(true));
    assert_eq!(seen["mine"], Value::Null);

    assert_eq!(answer(&onlooker, vec!["x".into()]).await, 404);
    assert_eq!(answer(&b, vec!["é".repeat(2001)]).await, 422, "too long");
    assert_eq!(
        answer(&b, vec!["a".into(), "b".into(), "c".into()]).await,
        422,
        "more answers than questions"
    );
    assert_eq!(
        answer(&b, vec!["1 Main St, Springfield".into(), "=M".into()]).await,
        200
    );
    let seen: Value = b
        .call("survey", &[("campaign_id", &c)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["mine"], json!(["1 Main St, Springfield", "=M"]));

    assert_eq!(
        save(&creator, "Something else?").await,
        409,
        "locked once answered"
    );
    let mine: Value = creator
        .call("survey", &[("campaign_id", &c)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["responses"], json!(1));
    assert_eq!(mine["can_edit"], json!(false));

    let csv = creator
        .get(&format!("/campaigns/{c}/backers.csv"))
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",Postal address?,T-shirt size?"),
        "{csv}"
    );
    let row = lines.next().unwrap();
    assert!(
        row.ends_with(",\"1 Main St, Springfield\",'=M"),
        "answers quoted and defused: {row}"
    );
}

#[tokio::test]
async fn my_pledges_answers_200_newest_first_a_page_at_a_time_and_filters_by_state() {
    let app = spawn_app().await;
    let (_creator, c) =
        live_campaign_from(&app, "list_creator", draft("list-camp", "flexible", "5")).await;
    let tier = tier_of(&app, &c).await;
    let b = backer(&app, "lister").await;
    let url: String = start_pledge(&b, &c, &tier, "30", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&b, &url, "4242424242424242").await;
    wait_for(&app, "lister", &c, PledgeState::Paid).await;
    let paid = pledge_of(&app, "lister", &c).await;

    // A paid pledge on a campaign without a survey: the page renders, and says so with 200.
    let page = b.get("/pledges").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Campaign list-camp"));

    // Eleven older, cancelled pledges of the same backer: twelve in all.
    for days in 1..=11 {
        app.state
            .db
            .run(
                "LET $p = (SELECT * OMIT id FROM ONLY type::record('pledge', $id)); \
                 LET $n = (CREATE ONLY pledge CONTENT $p); \
                 UPDATE $n.id SET state = 'cancelled', payment_intent = NONE, \
                   checkout_session = NONE, created_at = <datetime>$at",
                json!({
                    "id": paid.id,
                    "at": (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339(),
                }),
            )
            .await
            .unwrap();
    }
    let list = |page: &'static str, show: &'static str| {
        let b = b.clone();
        async move {
            let res = b
                .call("my_pledges", &[("page", page), ("show", show)])
                .await;
            assert_eq!(res.status(), 200);
            res.json::<app::payments::model::PledgeList>()
                .await
                .unwrap()
        }
    };
    let first = list("1", "all").await;
    assert_eq!(first.items.len(), 10);
    assert!(first.has_more);
    assert_eq!(first.items[0].id, paid.id, "newest first");
    assert!(first
        .items
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));
    let second = list("2", "all").await;
    assert_eq!(second.items.len(), 2);
    assert!(!second.has_more);
    let only_paid = list("1", "paid").await;
    assert_eq!(only_paid.items.len(), 1);
    assert_eq!(only_paid.items[0].state, PledgeState::Paid);
    assert_eq!(list("1", "ended").await.items.len(), 10);
    assert!(list("1", "open").await.items.is_empty());
    // Nonsense from the URL is harmless.
    assert_eq!(list("0", "<script>").await.items.len(), 10);
    let html = b.get("/pledges?show=ended&page=2").await;
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(
        html.contains("Page 2") && html.contains("rel=\"prev\""),
        "{html}"
    );

    // Another backer sees none of them.
    let other = backer(&app, "nosy").await;
    assert!(other
        .call("my_pledges", &[("page", "1"), ("show", "all")])
        .await
        .json::<app::payments::model::PledgeList>()
        .await
        .unwrap()
        .items
        .is_empty());
}
