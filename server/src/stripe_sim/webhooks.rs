//! Delivers the simulator's events to the app's webhook endpoint, signed as Stripe signs them,
//! retried with growing waits until acknowledged; and expires Checkout sessions that ran out.

use std::time::Duration;

use app::vars;
use serde::Deserialize;

use super::Sim;

/// Waits after failed attempt n (seconds), capped; Stripe itself keeps trying for three days.
fn backoff(attempts: u32) -> i64 {
    (1_i64 << attempts.min(6)).min(60)
}

const MAX_ATTEMPTS: u32 = 25;

pub async fn run(sim: Sim) {
    loop {
        if let Err(e) = expire_sessions(&sim).await {
            tracing::warn!(error = %e, "simulator: expiring sessions failed");
        }
        if super::billing::renew_due(&sim).await.is_err() {
            tracing::warn!("simulator: renewing subscriptions failed");
        }
        let held = sim.hold_webhooks.load(std::sync::atomic::Ordering::SeqCst);
        match if held { Ok(0) } else { deliver_due(&sim).await } {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "simulator: delivering events failed"),
        }
        let _ = tokio::time::timeout(Duration::from_millis(500), sim.wake.notified()).await;
    }
}

async fn expire_sessions(sim: &Sim) -> Result<(), String> {
    let ids: Vec<String> = sim
        .db
        .rows(
            "SELECT VALUE record::id(id) FROM sim_object WHERE open_until != NONE AND open_until <= $now",
            vars!("now" => sim.now()),
        )
        .await
        .map_err(|e| e.to_string())?;
    for id in ids {
        let _guard = sim.lock.lock().await;
        if let Some(mut s) = sim.get(&id).await {
            if s["status"] == "open" {
                s["status"] = serde_json::json!("expired");
                sim.put(&s).await.map_err(|_| "put".to_string())?;
                sim.emit("checkout.session.expired", &s)
                    .await
                    .map_err(|_| "emit".to_string())?;
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct Pending {
    id: String,
    payload: String,
    attempts: u32,
}

async fn deliver_due(sim: &Sim) -> Result<usize, String> {
    let due: Vec<Pending> = sim
        .db
        .rows(
            "SELECT record::id(id) AS id, payload, attempts, created FROM sim_event \
             WHERE delivered = false AND next_at <= time::now() ORDER BY created LIMIT 64",
            vars!(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let n = due.len();
    futures::future::join_all(due.into_iter().map(|e| deliver(sim, e))).await;
    Ok(n)
}

async fn deliver(sim: &Sim, e: Pending) {
    // Signed at the real time: a test clock moves objects' times, not the delivery's.
    let signature = app::payments::signature::sign(
        &sim.webhook_secret,
        chrono::Utc::now().timestamp(),
        e.payload.as_bytes(),
    );
    let sent = sim
        .http
        .post(&sim.webhook_url)
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(e.payload.clone())
        .send()
        .await;
    let ok = matches!(&sent, Ok(r) if r.status().is_success());
    let attempts = e.attempts + 1;
    let result = if ok {
        sim.db
            .run(
                "UPDATE type::record('sim_event', $id) SET delivered = true, attempts = $a",
                vars!("id" => &e.id, "a" => attempts),
            )
            .await
    } else {
        let status = sent.map(|r| r.status().as_u16()).unwrap_or(0);
        tracing::info!(event = %e.id, status, attempts, "simulator: webhook not acknowledged; will retry");
        // After the last attempt the event stays undelivered (like Stripe's "failed" events).
        let next = if attempts >= MAX_ATTEMPTS {
            365 * 86_400
        } else {
            backoff(attempts)
        };
        sim.db
            .run(
                "UPDATE type::record('sim_event', $id) SET attempts = $a, \
                 next_at = time::now() + <duration>$wait",
                vars!("id" => &e.id, "a" => attempts, "wait" => format!("{next}s")),
            )
            .await
    };
    if let Err(err) = result {
        tracing::warn!(error = %err, "simulator: recording a delivery failed");
    }
}
