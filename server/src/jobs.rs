//! Background housekeeping: expired sessions, closed rate-limit windows, old one-time tokens.

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
}
