//! `/auth/oidc/start` and `/auth/oidc/callback`: the browser's round trip to the provider.

use app::accounts::oidc::{self, OidcError, Pending};
use app::backend::request::safe_next;
use app::backend::session_store::USER_KEY;
use app::backend::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

#[derive(serde::Deserialize)]
pub struct Start {
    next: Option<String>,
}

fn failed(code: &str) -> Response {
    Redirect::to(&format!("/login?sso={code}")).into_response()
}

pub async fn start(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<Start>,
) -> Response {
    let Some(client) = state.oidc.as_ref() else {
        return failed("off");
    };
    let pending = Pending::new(safe_next(q.next, &state.settings.public_url));
    if session
        .insert(Pending::SESSION_KEY, &pending)
        .await
        .is_err()
    {
        return failed("session");
    }
    match client.authorize_url(&pending).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "OIDC discovery failed");
            failed("provider")
        }
    }
}

#[derive(serde::Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<Callback>,
) -> Response {
    let Some(client) = state.oidc.as_ref() else {
        return failed("off");
    };
    // One use only: whatever happens next, this pending sign-in is spent.
    let pending: Option<Pending> = session.remove(Pending::SESSION_KEY).await.ok().flatten();
    let (Some(pending), Some(code), Some(returned_state)) = (pending, q.code, q.state) else {
        tracing::warn!(error = ?q.error, "OIDC callback without a matching sign-in");
        return failed("state");
    };
    if !app::backend::security::constant_time_eq(&returned_state, &pending.state) {
        return failed("state");
    }
    let outcome = async {
        let claims = client.finish(&pending, &code).await?;
        oidc::account_for(&state.db, client.issuer(), &claims).await
    }
    .await;
    let user = match outcome {
        Ok(user) => user,
        Err(OidcError::EmailUnverified) => return failed("email"),
        Err(OidcError::LocalUnverified) => return failed("verify"),
        Err(e) => {
            tracing::warn!(error = %e, "OIDC sign-in failed");
            return failed("token");
        }
    };
    if session.cycle_id().await.is_err() || session.insert(USER_KEY, &user.id).await.is_err() {
        return failed("session");
    }
    tracing::info!(user = %user.id, "signed in with OIDC");
    Redirect::to(&pending.next).into_response()
}
