//! Background housekeeping: expired sessions, closed rate-limit windows, old one-time tokens,
//! pledges and orders a crash left without their Checkout session.

use std::time::Duration;

use app::backend::AppState;

/// Launches and closes campaigns on their dates. Every instance runs it; the store's
/// compare-and-set makes sure each campaign moves once.
pub fn spawn_deadlines(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(20));
        loop {
            tick.tick().await;
            if let Err(e) = app::campaigns::store::advance_due(&state.db, chrono::Utc::now()).await
            {
                tracing::warn!(error = ?e, "deadline job failed");
            }
        }
    });
}

/// Settles ended campaigns every 10 s (charges, retries, cancellations). Every instance runs
/// it; leases in the database keep two instances off the same campaign.
pub fn spawn_settlement(state: AppState) {
    let holder = instance_name(&state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            match app::payments::settle::pass(&state, &holder, chrono::Utc::now()).await {
                Ok(r) if r != Default::default() => tracing::info!(?r, "settlement pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "settlement pass failed"),
            }
        }
    });
}

/// This instance's name in leases. A restarted instance keeps its name and so takes its own
/// leases back at once; a dead one's leases run out.
fn instance_name(state: &AppState) -> String {
    std::env::var("COHORT_INSTANCE").unwrap_or_else(|_| {
        format!(
            "{}:{}",
            std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "cohort".into()),
            state.settings.addr.port()
        )
    })
}

/// Compares the ledger with Stripe every hour (one instance at a time, by lease).
pub fn spawn_reconciliation(state: AppState) {
    let holder = instance_name(&state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let until = chrono::Utc::now() + chrono::Duration::minutes(30);
            let db = &state.db;
            match app::payments::store::take_lease(db, "reconcile", &holder, until).await {
                Ok(true) => {
                    let r = app::payments::reconcile::ssr::pass(&state).await;
                    if let Err(e) = app::payments::store::drop_lease(db, "reconcile", &holder).await
                    {
                        tracing::warn!(error = ?e, "dropping the reconciliation lease failed");
                    }
                    match r {
                        Ok(r) => tracing::info!(?r, "reconciliation pass"),
                        Err(e) => tracing::warn!(error = ?e, "reconciliation pass failed"),
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = ?e, "reconciliation lease failed"),
            }
        }
    });
}

/// Writes the campaign page views counted in memory, every 10 s.
pub fn spawn_visit_flush(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            if let Err(e) = state.visits.flush(&state.db).await {
                tracing::warn!(error = %e, "writing page views failed");
            }
        }
    });
}

pub fn spawn_sweeper(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            sweep(&state).await;
        }
    });
}

pub async fn sweep(state: &AppState) {
    if let Err(e) = app::backend::session_store::sweep(&state.db).await {
        tracing::warn!(error = %e, "sweeping sessions failed");
    }
    if let Err(e) = app::backend::rate_limit::sweep(&state.db).await {
        tracing::warn!(error = ?e, "sweeping rate limits failed");
    }
    if let Err(e) = app::accounts::store::sweep_tokens(&state.db).await {
        tracing::warn!(error = ?e, "sweeping tokens failed");
    }
    // A pledge or order whose Checkout session was never attached (a crash in between)
    // holds a place, a backing or a coupon use: released after an hour.
    let hour = chrono::Duration::hours(1);
    if let Err(e) = app::payments::sweep::unattached_pledges(&state.db, hour).await {
        tracing::warn!(error = ?e, "sweeping unattached pledges failed");
    }
    if let Err(e) = app::courses::purchase::sweep_unattached(state, hour).await {
        tracing::warn!(error = ?e, "sweeping unattached orders failed");
    }
}
