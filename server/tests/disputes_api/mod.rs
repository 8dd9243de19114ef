//! Disputes (chargebacks) through the simulator's dispute card `4000 0000 0000 0259`: a course
//! purchase and a campaign pledge lose their access when the cardholder's bank disputes the
//! charge, get it back when the dispute is won, keep it closed when it is lost; the ledger
//! balances throughout and a repeated or copied event changes nothing twice.

use std::time::Duration;

use app::payments::rules::PledgeState;
use serde_json::{json, Value};

use crate::campaign_api::{live_campaign_from, today};
use crate::courses_api::{course_of_campaign, ok_json, Course, PAID_SECRET};
use crate::payments_api::{
    assert_ledger_consistent, backer, draft, pay, pledge_of, start_pledge, tier_of, wait_for,
    HOLDER,
};
use crate::support::{spawn_app, TestApp};

const DISPUTE_CARD: &str = "4000000000000259";

/// What a viewer reaches of the course's paid lesson: its HTML, its data, its media.
async fn reach(who: &TestApp, c: &Course) -> (bool, bool, u16) {
    let html = who
        .get(&format!("/courses/{}/lessons/{}", c.slug, c.paid))
        .await
        .text()
        .await
        .unwrap();
    let data = who
        .call("lesson_page", &[("lesson_id", &c.paid)])
        .await
        .text()
        .await
        .unwrap();
    let media = who
        .client
        .get(who.url(&format!("/media/lessons/{}/{}", c.paid, c.file)))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (
        html.contains(PAID_SECRET),
        data.contains(PAID_SECRET),
        media,
    )
}

const OPEN: (bool, bool, u16) = (true, true, 206);
const CLOSED: (bool, bool, u16) = (false, false, 403);

async fn sim_control(app: &TestApp, path: &str) -> u16 {
    app.client
        .post(app.url(&format!("/_stripe/test/{path}")))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The simulator's events so far, oldest first, as (type, payload).
async fn sim_events(app: &TestApp) -> Vec<(String, String)> {
    let rows: Vec<Value> = app
        .state
        .db
        .rows(
            "SELECT payload, created FROM sim_event ORDER BY created",
            json!({}),
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let p = r["payload"].as_str().unwrap().to_string();
            let kind = serde_json::from_str::<Value>(&p).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string();
            (kind, p)
        })
        .collect()
}

/// Delivers `payload` to the webhook endpoint, signed now, as Stripe would.
async fn deliver(app: &TestApp, payload: &str) {
    let signature = app::payments::signature::sign(
        app.state.settings.stripe.webhook_secret.expose(),
        chrono::Utc::now().timestamp(),
        payload.as_bytes(),
    );
    let status = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(payload.to_string())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200, "{payload}");
}

/// Every ledger transaction of the course (or campaign) balances; answers them in order.
async fn ledger(app: &TestApp, field: &str, id: &str) -> Vec<Value> {
    let txs: Vec<Value> = app
        .state
        .db
        .rows(
            &format!(
                "SELECT kind, source, legs, at FROM ledger_tx \
                 WHERE {field} = type::record('{field}', $id) ORDER BY at"
            ),
            json!({ "id": id }),
        )
        .await
        .unwrap();
    for tx in &txs {
        let legs: Vec<app::payments::ledger::Leg> =
            serde_json::from_value(tx["legs"].clone()).unwrap();
        assert!(app::payments::ledger::balanced(&legs), "unbalanced {tx}");
    }
    txs
}

fn kinds(txs: &[Value]) -> Vec<&str> {
    txs.iter().map(|t| t["kind"].as_str().unwrap()).collect()
}

async fn order_state(app: &TestApp, buyer: &str) -> String {
    app.state
        .db
        .row::<String>(
            "SELECT VALUE state FROM course_order WHERE buyer.handle = $h",
            json!({ "h": buyer }),
        )
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn wait_order(app: &TestApp, buyer: &str, state: &str) {
    for _ in 0..100 {
        if order_state(app, buyer).await == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{buyer}'s order stayed {}, wanted {state}",
        order_state(app, buyer).await
    );
}

fn dispute_id(payload: &str) -> String {
    serde_json::from_str::<Value>(payload).unwrap()["data"]["object"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_disputed_course_purchase_closes_the_course_until_the_dispute_is_won() {
    let app = spawn_app().await;
    let (creator, c) = course_of_campaign(&app, "dispute_creator").await;
    let buyer = backer(&app, "disputing_buyer").await;

    // Pay with the dispute card while webhooks wait, then deliver them by hand: first the
    // payment's own events, then the dispute's.
    assert_eq!(sim_control(&app, "hold_webhooks?on=true").await, 204);
    let url = ok_json(&buyer, "buy_course", &[("course_id", &c.id)]).await;
    let (status, _) = pay(&buyer, url.as_str().unwrap(), DISPUTE_CARD).await;
    assert_eq!(status, 200);
    let events = sim_events(&app).await;
    let (disputes, payments): (Vec<_>, Vec<_>) = events
        .iter()
        .partition(|(k, _)| k.starts_with("charge.dispute."));
    let created = disputes
        .iter()
        .find(|(k, _)| k == "charge.dispute.created")
        .map(|(_, p)| p.clone())
        .expect("the dispute card opens a dispute");
    let dp = dispute_id(&created);
    assert!(dp.starts_with("dp_"), "{dp}");
    for (_, p) in &payments {
        deliver(&app, p).await;
    }
    assert_eq!(order_state(&app, "disputing_buyer").await, "paid");
    assert_eq!(reach(&buyer, &c).await, OPEN, "enrolled once paid");

    // The simulator answers for the dispute in Stripe's shape.
    let d: Value = app
        .client
        .get(app.url(&format!("/_stripe/v1/disputes/{dp}")))
        .header("authorization", app.stripe_auth())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            d["object"].as_str(),
            d["status"].as_str(),
            d["reason"].as_str()
        ),
        (Some("dispute"), Some("needs_response"), Some("fraudulent"))
    );
    assert_eq!(d["amount"], 2000);
    assert_eq!(d["balance_transactions"][0]["fee"], 1500);

    for (_, p) in &disputes {
        deliver(&app, p).await;
    }
    assert_eq!(order_state(&app, "disputing_buyer").await, "disputed");
    assert_eq!(
        reach(&buyer, &c).await,
        CLOSED,
        "a disputed purchase closes"
    );
    let page = ok_json(&buyer, "course_page", &[("slug", &c.slug)]).await;
    assert!(page["refundable_order"].is_null(), "{page}");
    let txs = ledger(&app, "course", &c.id).await;
    assert_eq!(kinds(&txs), ["charge", "dispute"]);
    let legs = txs[1]["legs"].to_string();
    assert!(
        legs.contains("\"stripe_fees\"") && legs.contains("1500"),
        "the creator bears the dispute fee: {legs}"
    );
    // The creator's sales ledger in the studio lists it; the buyer may not read it.
    let sales = creator
        .call("course_ledger", &[("course_id", &c.id)])
        .await
        .text()
        .await
        .unwrap();
    assert!(sales.contains("\"kind\":\"dispute\""), "{sales}");
    assert_eq!(
        buyer
            .call("course_ledger", &[("course_id", &c.id)])
            .await
            .status(),
        404
    );
    let mails = app.state.mailer.outbox(20).await.unwrap();
    let mail = mails
        .iter()
        .find(|m| m.to == "disputing_buyer@example.com" && m.subject.contains("disputed"))
        .expect("the buyer is told");
    assert!(mail.body.contains("争议") && !mail.body.contains(PAID_SECRET));

    // The same event again, and a copy under a new event id: nothing moves twice.
    deliver(&app, &created).await;
    let copy = created.replacen("\"evt_", "\"evt_copy", 1);
    deliver(&app, &copy).await;
    assert_eq!(
        kinds(&ledger(&app, "course", &c.id).await),
        ["charge", "dispute"]
    );
    assert_eq!(order_state(&app, "disputing_buyer").await, "disputed");

    // Won: the money comes back, and the course opens again (through the simulator's own
    // webhook delivery this time).
    assert_eq!(sim_control(&app, "hold_webhooks?on=false").await, 204);
    assert_eq!(
        sim_control(&app, &format!("close_dispute?id={dp}&outcome=won")).await,
        204
    );
    wait_order(&app, "disputing_buyer", "paid").await;
    assert_eq!(reach(&buyer, &c).await, OPEN, "a won dispute reopens");
    let txs = ledger(&app, "course", &c.id).await;
    assert_eq!(kinds(&txs), ["charge", "dispute", "dispute_won"]);
    // A closed dispute cannot be closed again; a late copy of the opening event is ignored.
    assert_eq!(
        sim_control(&app, &format!("close_dispute?id={dp}&outcome=lost")).await,
        409
    );
    deliver(&app, &created.replacen("\"evt_", "\"evt_late", 1)).await;
    assert_eq!(order_state(&app, "disputing_buyer").await, "paid");
    assert_eq!(ledger(&app, "course", &c.id).await.len(), 3);
    assert_eq!(
        sim_control(&app, "close_dispute?id=dp_nothing&outcome=won").await,
        404
    );
    assert_eq!(
        sim_control(&app, &format!("close_dispute?id={dp}&outcome=maybe")).await,
        400
    );

    // Another buyer's dispute is lost: the course stays closed for good.
    let loser = backer(&app, "losing_buyer").await;
    let url = ok_json(&loser, "buy_course", &[("course_id", &c.id)]).await;
    pay(&loser, url.as_str().unwrap(), DISPUTE_CARD).await;
    wait_order(&app, "losing_buyer", "disputed").await;
    let dp2 = sim_events(&app)
        .await
        .iter()
        .rev()
        .find(|(k, _)| k == "charge.dispute.created")
        .map(|(_, p)| dispute_id(p))
        .unwrap();
    assert_ne!(dp2, dp);
    assert_eq!(
        sim_control(&app, &format!("close_dispute?id={dp2}&outcome=lost")).await,
        204
    );
    wait_order(&app, "losing_buyer", "charged_back").await;
    assert_eq!(reach(&loser, &c).await, CLOSED);
    assert_eq!(
        reach(&buyer, &c).await,
        OPEN,
        "the other buyer keeps the course"
    );
    let txs = ledger(&app, "course", &c.id).await;
    assert_eq!(
        kinds(&txs),
        ["charge", "dispute", "dispute_won", "charge", "dispute"]
    );
    // The course's account: two sales, one lost dispute (the money and two dispute fees).
    let course_net: i64 = txs
        .iter()
        .flat_map(|t| t["legs"].as_array().unwrap().clone())
        .filter(|l| l["account"] == format!("course:{}", c.id))
        .map(|l| l["amount"].as_i64().unwrap())
        .sum();
    let backers_net: i64 = txs
        .iter()
        .flat_map(|t| t["legs"].as_array().unwrap().clone())
        .filter(|l| l["account"] == "backers")
        .map(|l| l["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(backers_net, -2000, "one sale kept, one taken back");
    // Each sale leaves 2000 − 100 (platform) − 88 (Stripe); each dispute takes back 2000 − 100
    // and the 1500 fee; the won one returns 1900 but not its fee.
    assert_eq!(course_net, 2 * (2000 - 100 - 88) - 2 * (1900 + 1500) + 1900);
}

#[tokio::test]
async fn a_disputed_pledge_stops_counting_and_closes_its_reward_until_won() {
    let app = spawn_app().await;
    let (creator, c) = course_of_campaign(&app, "pledge_dispute_creator").await;
    let b = backer(&app, "disputing_backer").await;
    let tier = tier_of(&app, &c.campaign).await;
    let res = start_pledge(&b, &c.campaign, &tier, "25", "").await;
    assert_eq!(res.status(), 200);
    let url: String = res.json().await.unwrap();
    pay(&b, &url, DISPUTE_CARD).await;
    wait_for(&app, "disputing_backer", &c.campaign, PledgeState::Disputed).await;

    // No longer counted, no longer a backer, no longer let into the course.
    let totals: Value = app
        .state
        .db
        .row(
            "SELECT pledged, backers FROM type::record('campaign', $c)",
            json!({ "c": &c.campaign }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (totals["pledged"].as_i64(), totals["backers"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(reach(&b, &c).await, CLOSED);
    let txs = ledger(&app, "campaign", &c.campaign).await;
    assert_eq!(kinds(&txs), ["charge", "dispute"]);
    // Reconciliation sees the dispute in the ledger and flags nothing.
    let report = app::payments::reconcile::ssr::pass(&app.state)
        .await
        .unwrap();
    assert_eq!((report.checked, report.flagged), (1, 0));
    // The creator's ledger page lists the dispute.
    let ledger_page = creator
        .call("campaign_ledger", &[("campaign_id", &c.campaign)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ledger_page.contains("\"kind\":\"dispute\""),
        "{ledger_page}"
    );
    assert!(ledger_page.contains("\"disputed\":2500"), "{ledger_page}");
    let mails = app.state.mailer.outbox(20).await.unwrap();
    assert!(mails
        .iter()
        .any(|m| m.to == "disputing_backer@example.com" && m.subject.contains("disputed")));

    // Won: paid again, counted again, the reward opens again.
    let dp = sim_events(&app)
        .await
        .iter()
        .find(|(k, _)| k == "charge.dispute.created")
        .map(|(_, p)| dispute_id(p))
        .unwrap();
    assert_eq!(
        sim_control(&app, &format!("close_dispute?id={dp}&outcome=won")).await,
        204
    );
    wait_for(&app, "disputing_backer", &c.campaign, PledgeState::Paid).await;
    assert_eq!(reach(&b, &c).await, OPEN);
    let pledged: Option<i64> = app
        .state
        .db
        .row(
            "SELECT VALUE pledged FROM type::record('campaign', $c)",
            json!({ "c": &c.campaign }),
        )
        .await
        .unwrap();
    assert_eq!(pledged, Some(2500));
    let txs = ledger(&app, "campaign", &c.campaign).await;
    assert_eq!(kinds(&txs), ["charge", "dispute", "dispute_won"]);
    let report = app::payments::reconcile::ssr::pass(&app.state)
        .await
        .unwrap();
    assert_eq!(report.flagged, 0);
}

/// A milestone campaign whose stages were all released holds nothing: a dispute that arrives
/// then takes the money from the creator's released share, never below zero from the escrow,
/// and a won dispute gives each account back what it gave.
#[tokio::test]
async fn a_dispute_after_every_stage_was_released_never_overdraws_the_escrow() {
    let app = spawn_app().await;
    let mut d = draft("disputed-stages", "milestone", "");
    d["milestones"] = json!([
        { "share": "50", "description": "The first lessons", "due": today(40) },
        { "share": "50", "description": "The rest", "due": today(60) },
    ]);
    let (creator, c) = live_campaign_from(&app, "stage_dispute_creator", d).await;
    let steady = backer(&app, "steady_backer").await;
    let url: String = start_pledge(&steady, &c, "", "60", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&steady, &url, "4242424242424242").await;
    wait_for(&app, "steady_backer", &c, PledgeState::Paid).await;

    // The second backer's bank will dispute the charge: hold its dispute events back.
    let delivered = sim_events(&app).await.len();
    assert_eq!(sim_control(&app, "hold_webhooks?on=true").await, 204);
    let doubter = backer(&app, "doubting_backer").await;
    let url: String = start_pledge(&doubter, &c, "", "40", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&doubter, &url, DISPUTE_CARD).await;
    let (disputes, payments): (Vec<_>, Vec<_>) = sim_events(&app)
        .await
        .into_iter()
        .skip(delivered)
        .partition(|(k, _)| k.starts_with("charge.dispute."));
    for (_, p) in &payments {
        deliver(&app, p).await;
    }
    wait_for(&app, "doubting_backer", &c, PledgeState::Paid).await;

    // Both stages delivered and released: the escrow is empty.
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    let mut when = end;
    for note in ["Lessons 1–6 are up.", "The rest is up."] {
        let csrf = creator.csrf().await;
        let res = creator
            .call(
                "deliver_milestone",
                &[("csrf", &csrf), ("campaign_id", &c), ("note", note)],
            )
            .await;
        assert_eq!(res.status(), 200);
        when += chrono::Duration::days(8);
        let r = app::payments::settle::pass(&app.state, HOLDER, when)
            .await
            .unwrap();
        assert_eq!(r.stages, 1);
    }
    let released = assert_ledger_consistent(&app, &c).await;
    assert_eq!(released.held, 0, "every stage released");

    // Now the dispute arrives.
    for (_, p) in &disputes {
        deliver(&app, p).await;
    }
    wait_for(&app, "doubting_backer", &c, PledgeState::Disputed).await;
    let disputed = assert_ledger_consistent(&app, &c).await;
    assert_eq!(disputed.held, 0, "the escrow never goes below zero");
    assert_eq!(disputed.disputed, 4000);
    assert!(disputed.to_creator < released.to_creator);
    assert_eq!(pledge_of(&app, "doubting_backer", &c).await.disputed, 4000);

    // Won: each account gets back what it gave; Stripe's kept fee is the creator's cost.
    let dp = disputes
        .iter()
        .find(|(k, _)| k == "charge.dispute.created")
        .map(|(_, p)| dispute_id(p))
        .expect("the dispute card opens a dispute");
    assert_eq!(sim_control(&app, "hold_webhooks?on=false").await, 204);
    assert_eq!(
        sim_control(&app, &format!("close_dispute?id={dp}&outcome=won")).await,
        204
    );
    wait_for(&app, "doubting_backer", &c, PledgeState::Paid).await;
    let won = assert_ledger_consistent(&app, &c).await;
    assert_eq!((won.held, won.disputed), (0, 0));
    assert_eq!(
        won.to_creator,
        released.to_creator - 1500,
        "less the kept fee"
    );
    let txs = ledger(&app, "campaign", &c).await;
    assert_eq!(
        kinds(&txs)
            .iter()
            .filter(|k| k.starts_with("dispute"))
            .count(),
        2
    );
}
