//! `server bench-payments`: the payment benchmarks (bench/payments.sh), run against this
//! server's own simulator on a real port.
//!
//! 1. Pledges confirmed per second: `BENCH_BACKERS` concurrent backers (default 50), each
//!    pledging to its own share of `BENCH_PLEDGES` campaigns-worth of users: Checkout session
//!    created through async-stripe, the card entered on the hosted page (HTTP POST), and the
//!    time until the webhook has marked the pledge authorized.
//! 2. Settlement of one all-or-nothing campaign with `BENCH_SETTLE` pledges (default 10 000)
//!    whose cards were saved directly in the simulator's store (seeding 10 000 checkouts would
//!    measure the first benchmark again): the time until the campaign is settled.

use std::time::{Duration, Instant};

use app::backend::AppState;
use app::payments::rules::PledgeState;
use serde_json::json;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A live all-or-nothing campaign with a goal of $1 and no tiers; returns its id.
async fn campaign(state: &AppState, slug: &str) -> Result<String, BoxError> {
    let id: Option<String> = state
        .db
        .row(
            "LET $u = (CREATE user SET email = $slug + '@bench.local', handle = string::replace($slug, '-', '_'),
                display_name = 'Bench creator', roles = ['creator']);
             (CREATE campaign SET creator = $u[0].id, state = 'live', valid = true, title = 'Bench ' + $slug,
                slug = $slug, pitch = 'bench', story_html = '', category = 'course', currency = 'USD',
                goal = 100, starts_at = time::now() - 1d, ends_at = time::now() + 30d,
                mode = 'all_or_nothing', fee_bps = 500, draft = {}, search_text = $slug,
                launched_at = time::now() - 1d
                RETURN VALUE record::id(id))[0]",
            json!({ "slug": slug }),
        )
        .await?;
    id.ok_or_else(|| "campaign not created".into())
}

async fn users(state: &AppState, prefix: &str, n: usize) -> Result<(), BoxError> {
    state
        .db
        .run(
            "FOR $i IN 0..$n { CREATE type::record('user', $p + <string>$i) SET
                email = $p + <string>$i + '@bench.local', handle = $p + <string>$i,
                display_name = 'Bench backer'; };",
            json!({ "n": n, "p": prefix }),
        )
        .await?;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// One pledge end to end; answers with how long it took.
async fn one_pledge(
    state: &AppState,
    http: &reqwest::Client,
    terms: &app::payments::store::CampaignTerms,
    user: &str,
) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let (id, url) = app::payments::flow::begin(
        state,
        app::payments::flow::PledgeRequest {
            terms,
            backer: user,
            tier: None,
            base: 2500,
            addon: 0,
            reference: None,
        },
    )
    .await
    .map_err(|e| format!("begin: {e:?}"))?;
    let res = http
        .post(&url)
        .form(&[
            ("card", "4242424242424242"),
            ("exp", "12/40"),
            ("cvc", "123"),
        ])
        .send()
        .await?;
    if !res.status().is_redirection() {
        return Err(format!("checkout answered {}", res.status()).into());
    }
    loop {
        let p = app::payments::store::get(&state.db, &id)
            .await
            .map_err(|e| format!("{e:?}"))?
            .ok_or("pledge vanished")?;
        if p.state == PledgeState::Authorized {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("not confirmed within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn run(state: &AppState) -> Result<String, BoxError> {
    let backers = env_usize("BENCH_BACKERS", 50);
    let pledges = env_usize("BENCH_PLEDGES", 1000);
    let settle_n = env_usize("BENCH_SETTLE", 10_000);
    let mut out = String::new();

    // 1. Pledges per second.
    let c = campaign(state, "bench-pledges").await?;
    let terms = app::payments::store::terms(&state.db, &c)
        .await
        .map_err(|e| format!("{e:?}"))?
        .ok_or("no terms")?;
    users(state, "pb", pledges).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..backers {
        let state = state.clone();
        let http = http.clone();
        let terms = terms.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut i = w;
            while i < pledges {
                times.push(one_pledge(&state, &http, &terms, &format!("pb{i}")).await);
                i += backers;
            }
            times
        }));
    }
    let mut times = Vec::new();
    let mut failed = 0;
    for t in tasks {
        for r in t.await? {
            match r {
                Ok(d) => times.push(d),
                Err(e) => {
                    failed += 1;
                    tracing::warn!(error = %e, "bench pledge failed");
                }
            }
        }
    }
    let wall = started.elapsed();
    times.sort();
    out.push_str(&format!(
        "| pledges confirmed end to end ({backers} concurrent backers, {pledges} pledges) | {:.1} pledges/s; p50 {} ms, p99 {} ms; {failed} failed |\n",
        times.len() as f64 / wall.as_secs_f64(),
        percentile(&times, 0.5).as_millis(),
        percentile(&times, 0.99).as_millis(),
    ));

    // 2. Settlement of one campaign with many saved cards.
    let c = campaign(state, "bench-settle").await?;
    users(state, "sb", settle_n).await?;
    let seeded = Instant::now();
    state
        .db
        .run(
            "FOR $i IN 0..$n {
                LET $u = 'sb' + <string>$i;
                LET $pm = 'pm_bench' + <string>$i;
                UPSERT type::record('sim_object', 'cus_bench' + <string>$i) SET obj = {
                    id: 'cus_bench' + <string>$i, object: 'customer', created: 0, livemode: false };
                UPSERT type::record('sim_object', $pm) SET card = 'succeeds', obj = {
                    id: $pm, object: 'payment_method', type: 'card', created: 0, livemode: false,
                    customer: 'cus_bench' + <string>$i,
                    billing_details: { address: NONE, email: NONE, name: NONE, phone: NONE } };
                CREATE type::record('pledge', 'bench' + <string>$i) SET
                    campaign = type::record('campaign', $c), backer = type::record('user', $u),
                    amount = 2500, base_amount = 2500, currency = 'USD', state = 'authorized',
                    checkout_mode = 'setup', customer = 'cus_bench' + <string>$i, payment_method = $pm;
             };
             UPDATE type::record('campaign', $c) SET pledged = 2500 * $n, backers = $n, state = 'succeeded';",
            json!({ "n": settle_n, "c": &c }),
        )
        .await?;
    tracing::info!(secs = seeded.elapsed().as_secs(), "settlement data seeded");
    let started = Instant::now();
    let mut passes = 0;
    loop {
        passes += 1;
        app::payments::settle::pass(state, "bench", chrono::Utc::now())
            .await
            .map_err(|e| format!("{e:?}"))?;
        let row = app::payments::store::terms(&state.db, &c)
            .await
            .map_err(|e| format!("{e:?}"))?
            .ok_or("campaign vanished")?;
        if row.state == app::campaigns::rules::CampaignState::Settled || passes > 100 {
            break;
        }
    }
    let wall = started.elapsed();
    let paid: Vec<serde_json::Value> = state
        .db
        .rows(
            "SELECT count() AS n FROM pledge WHERE campaign = type::record('campaign', $c) AND state = 'paid' GROUP ALL",
            json!({ "c": &c }),
        )
        .await?;
    let paid = paid.first().and_then(|v| v["n"].as_u64()).unwrap_or(0);
    out.push_str(&format!(
        "| settlement of one campaign with {settle_n} saved cards | {:.1} s ({:.0} charges/s, {passes} passes); {paid} paid |\n",
        wall.as_secs_f64(),
        paid as f64 / wall.as_secs_f64(),
    ));
    Ok(out)
}
