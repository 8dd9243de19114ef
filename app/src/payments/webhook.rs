//! Stripe's events, received at `POST /webhooks/stripe`. The signature is checked over the raw
//! body; each event id is processed once (a duplicate is acknowledged and skipped); the event
//! only names an object, which `flow` fetches back from Stripe before acting, so events that
//! arrive out of order still lead to the right state. A failure answers 500 and Stripe retries;
//! the event id is stored only after its effects are, so nothing is half-applied.

use http::StatusCode;
use serde::Deserialize;

use super::flow::{self, Subject};
use super::signature::{self, SignatureError};
use crate::backend::AppState;
use crate::vars;

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: ObjectRef,
}

#[derive(Debug, Deserialize)]
struct ObjectRef {
    id: String,
}

/// Handles one delivery; the status is what Stripe gets back.
pub async fn receive(state: &AppState, signature: Option<&str>, body: &[u8]) -> StatusCode {
    let secret = state.settings.stripe.webhook_secret.expose();
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = signature::verify(secret, signature, body, now) {
        tracing::warn!(error = %e, "webhook refused");
        metrics::counter!("cohort_webhooks_refused_total").increment(1);
        return match e {
            SignatureError::Missing | SignatureError::Malformed => StatusCode::BAD_REQUEST,
            SignatureError::Stale | SignatureError::Mismatch => StatusCode::UNAUTHORIZED,
        };
    }
    let Ok(event) = serde_json::from_slice::<Event>(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let seen: Option<String> = match state
        .db
        .row(
            "SELECT VALUE type FROM type::record('stripe_event', $id)",
            vars!("id" => &event.id),
        )
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "webhook: database unavailable");
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    };
    if seen.is_some() {
        metrics::counter!("cohort_webhooks_duplicate_total").increment(1);
        return StatusCode::OK;
    }
    let result = match flow::subject_of(&event.kind, &event.data.object.id) {
        Subject::Session(id) => flow::sync_session(state, &id).await,
        Subject::Intent(id) => flow::sync_intent(state, &id).await,
        Subject::Dispute(id) => super::disputes::sync_dispute(state, &id).await,
        Subject::Ignored => Ok(()),
    };
    // An event about an object Stripe does not know (or a pledge we do not have) is
    // acknowledged: retrying it could never succeed.
    let result = match result {
        Err(crate::error::AppError::NotFound) => {
            tracing::info!(event = %event.id, "webhook for an unknown object; acknowledged");
            Ok(())
        }
        other => other,
    };
    if let Err(e) = result {
        tracing::warn!(event = %event.id, kind = %event.kind, error = %e, "webhook failed; Stripe will retry");
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    // A concurrent duplicate may have stored it first: either way it is done.
    if let Err(e) = state
        .db
        .run(
            "CREATE type::record('stripe_event', $id) SET type = $t, object = $o",
            vars!("id" => &event.id, "t" => &event.kind, "o" => &event.data.object.id),
        )
        .await
    {
        tracing::debug!(error = %e, "event already recorded");
    }
    metrics::counter!("cohort_webhooks_processed_total", "type" => event.kind).increment(1);
    StatusCode::OK
}
