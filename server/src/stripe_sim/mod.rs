//! The Stripe test-mode simulator, served under `/_stripe/` while no `STRIPE_SECRET_KEY` is set.
//! It speaks Stripe's wire format for what Cohort uses (form-encoded requests; JSON objects
//! with `id`, `object`, `livemode: false`; Stripe's error objects and status codes; the
//! `Idempotency-Key` header), hosts a checkout page that takes Stripe's test cards, and sends
//! signed webhooks with retries. Objects live in the database, so a restart loses nothing.
//!
//! It accepts only the secret key the app itself uses (generated on first start and stored, see
//! `app::backend::secrets`), as a Bearer token or as HTTP Basic user, and redirects from its
//! hosted page only to addresses on the app's own `PUBLIC_URL`.
//!
//! Test controls (not part of Stripe; served only when the server is started for tests with
//! `COHORT_STRIPE_TEST_CONTROLS=1`): `POST /_stripe/test/fail_next?count=N` answers the next
//! N API calls with 500, `POST /_stripe/test/latency?ms=N` slows every call, and
//! `POST /_stripe/test/hold_webhooks?on=true|false` pauses webhook delivery, and
//! `POST /_stripe/test/advance_clock?seconds=N` moves the simulator's clock forward (Checkout
//! sessions past their `expires_at` then expire; subscriptions whose period ended renew), and
//! `POST /_stripe/test/close_dispute?id=dp_…&outcome=won|lost` closes a dispute.

// Handlers fail with a ready Stripe-shaped `Response`, handed straight back to axum: boxing
// it to shrink the `Err` variant would cost an allocation and buy nothing on this path.
#![allow(clippy::result_large_err)]

mod api;
mod billing;
pub mod cards;
mod disputes;
mod hosted;
mod webhooks;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use app::backend::db::Db;
use app::backend::AppState;
use app::vars;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Sim {
    db: Db,
    /// Public base of the simulator (`https://cohort.example/_stripe`), for hosted page URLs.
    public_base: String,
    /// The app's own `PUBLIC_URL`: Checkout may only send people back there.
    public_url: String,
    webhook_url: String,
    webhook_secret: String,
    /// The one secret key accepted: the app's own.
    secret_key: String,
    clock_offset: Arc<AtomicI64>,
    fail_next: Arc<AtomicU32>,
    latency_ms: Arc<AtomicU64>,
    /// Webhooks wait while set (tests deliver them by hand, in any order).
    hold_webhooks: Arc<AtomicBool>,
    /// Writes one at a time: the simulator favours simple and exact over fast.
    lock: Arc<tokio::sync::Mutex<()>>,
    /// Idempotency keys whose first request is still being answered.
    in_flight: Arc<std::sync::Mutex<HashSet<String>>>,
    wake: Arc<tokio::sync::Notify>,
    http: reqwest::Client,
}

impl Sim {
    pub fn new(state: &AppState) -> Sim {
        let addr = state.settings.addr;
        let host = if addr.ip().is_unspecified() {
            format!("127.0.0.1:{}", addr.port())
        } else {
            addr.to_string()
        };
        Sim {
            db: state.db.clone(),
            public_base: format!("{}/_stripe", state.settings.public_url),
            public_url: state.settings.public_url.clone(),
            webhook_url: format!("http://{host}/webhooks/stripe"),
            webhook_secret: state.settings.stripe.webhook_secret.expose().to_string(),
            secret_key: state.settings.stripe.secret_key.expose().to_string(),
            clock_offset: Default::default(),
            fail_next: Default::default(),
            latency_ms: Default::default(),
            hold_webhooks: Default::default(),
            lock: Default::default(),
            in_flight: Default::default(),
            wake: Default::default(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }

    /// The simulator's clock in Unix seconds (real time plus any test advance).
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::Relaxed)
    }

    async fn get(&self, id: &str) -> Option<Value> {
        self.db
            .row::<Value>(
                "SELECT VALUE obj FROM type::record('sim_object', $id)",
                vars!("id" => id),
            )
            .await
            .ok()
            .flatten()
    }

    async fn card_of(&self, pm: &str) -> Option<cards::Behaviour> {
        self.db
            .row::<cards::Behaviour>(
                "SELECT VALUE card FROM type::record('sim_object', $id)",
                vars!("id" => pm),
            )
            .await
            .ok()
            .flatten()
    }

    async fn put(&self, obj: &Value) -> Result<(), Response> {
        let id = obj["id"].as_str().unwrap_or_default();
        let open_until = (obj["object"] == "checkout.session" && obj["status"] == "open")
            .then(|| obj["expires_at"].as_i64())
            .flatten();
        // When a subscription next bills: its period end, or its retry while past due.
        let bill_at = match (obj["object"].as_str(), obj["status"].as_str()) {
            (Some("subscription"), Some("active")) => obj["current_period_end"].as_i64(),
            (Some("subscription"), Some("past_due")) => obj["_retry_at"].as_i64(),
            _ => None,
        };
        self.db
            .run(
                "UPSERT type::record('sim_object', $id) SET obj = $obj, open_until = $open, \
                 bill_at = $bill",
                vars!("id" => id, "obj" => obj, "open" => open_until, "bill" => bill_at),
            )
            .await
            .map_err(|e| internal(&e.to_string()))
    }

    async fn put_card(&self, obj: &Value, card: cards::Behaviour) -> Result<(), Response> {
        let id = obj["id"].as_str().unwrap_or_default();
        self.db
            .run(
                "UPSERT type::record('sim_object', $id) SET obj = $obj, card = $card",
                vars!("id" => id, "obj" => obj, "card" => card),
            )
            .await
            .map_err(|e| internal(&e.to_string()))
    }

    /// Records an event about `obj` and wakes the sender.
    async fn emit(&self, kind: &str, obj: &Value) -> Result<(), Response> {
        let obj = &public(obj.clone());
        let event = json!({
            "id": new_id("evt"),
            "object": "event",
            "api_version": "2025-09-30.clover",
            "created": self.now(),
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": kind,
            "data": { "object": obj },
        });
        self.db
            .run(
                "CREATE type::record('sim_event', $id) SET payload = $p, delivered = false, \
                 attempts = 0, next_at = time::now(), created = time::now()",
                vars!("id" => event["id"].as_str(), "p" => event.to_string()),
            )
            .await
            .map_err(|e| internal(&e.to_string()))?;
        self.wake.notify_one();
        Ok(())
    }
}

/// The object as Stripe shows it: the simulator's own bookkeeping (`_…` keys) removed.
pub fn public(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| !k.starts_with('_'));
    }
    v
}

/// `prefix_` + 24 random characters, the shape of Stripe's ids.
pub fn new_id(prefix: &str) -> String {
    use rand::Rng;
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..24)
        .map(|_| A[rng.random_range(0..A.len())] as char)
        .collect();
    format!("{prefix}_{tail}")
}

/// Form or query parameters with Stripe's bracket keys kept flat (`metadata[pledge]`).
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(raw: &[u8]) -> Params {
        Params(form_urlencoded::parse(raw).into_owned().collect())
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }
    pub fn int(&self, k: &str) -> Result<Option<i64>, Response> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| invalid(&format!("Invalid integer: {v}"), Some(k))),
        }
    }
    /// `prefix[key]=value` pairs as an object (metadata).
    pub fn map(&self, prefix: &str) -> Value {
        let start = format!("{prefix}[");
        let mut out = serde_json::Map::new();
        for (k, v) in &self.0 {
            if let Some(rest) = k.strip_prefix(&start) {
                if let Some(key) = rest.strip_suffix(']') {
                    if !key.contains('[') {
                        out.insert(key.to_string(), Value::String(v.clone()));
                    }
                }
            }
        }
        Value::Object(out)
    }
    /// Whether any `expand[…]` entry asks for `path`.
    pub fn expands(&self, path: &str) -> bool {
        self.0.iter().any(|(k, v)| {
            k.starts_with("expand") && (v == path || v.starts_with(&format!("{path}.")))
        })
    }
}

pub fn error(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(json!({ "error": body }))).into_response()
}

pub fn invalid(message: &str, param: Option<&str>) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        json!({ "type": "invalid_request_error", "message": message, "param": param }),
    )
}

pub fn missing(id: &str, param: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        json!({
            "type": "invalid_request_error", "code": "resource_missing", "param": param,
            "message": format!("No such {param}: '{id}'"),
        }),
    )
}

pub fn internal(detail: &str) -> Response {
    tracing::error!(detail, "simulator failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({ "type": "api_error", "message": "An unknown error occurred in the simulator." }),
    )
}

/// Stripe's answer without a usable key.
fn unauthorized(given: bool) -> Response {
    let message = if given {
        "Invalid API Key provided. The simulator accepts only the key Cohort itself uses."
    } else {
        "You did not provide an API key. Send it as a Bearer token or as the HTTP Basic user."
    };
    error(
        StatusCode::UNAUTHORIZED,
        json!({ "type": "invalid_request_error", "message": message }),
    )
}

/// The API key a request carries: `Authorization: Bearer KEY`, or HTTP Basic with the key as
/// user and an empty password (`curl -u sk_test_…:`), as Stripe accepts both.
fn api_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let user = text.split_once(':').map_or(text.as_str(), |(u, _)| u);
        return Some(user.to_string());
    }
    None
}

impl Sim {
    /// Whether `headers` carry the app's own secret key.
    fn authorised(&self, headers: &HeaderMap) -> Result<(), Response> {
        match api_key(headers) {
            Some(k) if app::backend::security::constant_time_eq(&k, &self.secret_key) => Ok(()),
            Some(_) => Err(unauthorized(true)),
            None => Err(unauthorized(false)),
        }
    }

    /// Marks idempotency key `key` as being answered; `None` if another request holds it.
    fn claim(&self, key: &str) -> Option<Claim> {
        let mut set = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        set.insert(key.to_string()).then(|| Claim {
            set: self.in_flight.clone(),
            key: key.to_string(),
        })
    }

    /// Whether `url` leads back to the app (its `PUBLIC_URL`), the only place the simulator's
    /// hosted page sends people: anything else would make Cohort's origin an open redirect.
    pub fn returns_to_app(&self, url: &str) -> bool {
        url.strip_prefix(&self.public_url)
            .is_some_and(|rest| rest.starts_with('/') && !rest.starts_with("//"))
    }
}

/// An idempotency key being answered, released when the answer has been sent.
struct Claim {
    set: Arc<std::sync::Mutex<HashSet<String>>>,
    key: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

/// A digest of the request's parameters in a canonical order: Stripe compares a replay's
/// parameters, not its bytes, and clients (async-stripe among them) send metadata in varying
/// order.
fn params_digest(body: &[u8]) -> String {
    use sha2::Digest;
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    pairs.sort();
    let canonical = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    hex::encode(sha2::Sha256::digest(canonical.as_bytes()))
}

/// The common front of every `/v1` call: key check, injected faults and latency, and the
/// idempotency cache (a repeated key replays the first answer; a key reused with other
/// parameters is refused, and one used while its first request is still going on answers 409,
/// as Stripe does).
pub async fn front<F, Fut>(
    sim: &Sim,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    handler: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(StatusCode, Value), Response>>,
{
    if let Err(refused) = sim.authorised(headers) {
        return refused;
    }
    if sim
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return internal("injected failure");
    }
    let idem = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("{path}:{k}"));
    // A second request with a key whose first is still being answered gets Stripe's 409.
    let _claim = match &idem {
        Some(key) => match sim.claim(key) {
            Some(c) => Some(c),
            None => {
                return error(
                    StatusCode::CONFLICT,
                    json!({
                        "type": "idempotency_error",
                        "message": "There is currently another in-progress request using this idempotent key (that probably means you submitted twice, and the other request is still going through). Please try again later.",
                    }),
                )
            }
        },
        None => None,
    };
    let _guard = sim.lock.lock().await;
    let digest = params_digest(body);
    if let Some(key) = &idem {
        #[derive(serde::Deserialize)]
        struct Stored {
            status: u16,
            body: String,
            digest: String,
        }
        if let Ok(Some(s)) = sim
            .db
            .row::<Stored>(
                "SELECT status, body, digest FROM type::record('sim_idempotency', $k)",
                vars!("k" => key),
            )
            .await
        {
            if s.digest != digest {
                return error(
                    StatusCode::BAD_REQUEST,
                    json!({
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    }),
                );
            }
            let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK);
            let mut res = (
                status,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                s.body,
            )
                .into_response();
            res.headers_mut().insert(
                "idempotent-replayed",
                axum::http::HeaderValue::from_static("true"),
            );
            return res;
        }
    }
    let answer = handler().await;
    let (status, value) = match answer {
        Ok((s, v)) => (s, public(v)),
        Err(res) => {
            drop(_guard);
            slow_answer(sim).await;
            return res;
        }
    };
    if let Some(key) = &idem {
        // Stripe caches errors from processing (e.g. declines) too, but not 500s.
        if !status.is_server_error() {
            let _ = sim
                .db
                .run(
                    "UPSERT type::record('sim_idempotency', $k) SET status = $s, body = $b, digest = $d",
                    vars!("k" => key, "s" => status.as_u16(), "b" => value.to_string(), "d" => digest),
                )
                .await;
        }
    }
    drop(_guard);
    slow_answer(sim).await;
    (status, axum::Json(value)).into_response()
}

/// Injected latency is added after the work is done, like a slow network on the way back: the
/// caller may give up although Stripe already acted, which is what idempotency keys are for.
async fn slow_answer(sim: &Sim) {
    let ms = sim.latency_ms.load(Ordering::Relaxed);
    if ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// The simulator's routes; its test controls only when `test_controls` (the server was started
/// for tests), otherwise they do not exist (404).
pub fn router(sim: Sim, test_controls: bool) -> Router<AppState> {
    let mut r = Router::new()
        .route("/v1/customers", post(api::create_customer))
        .route("/v1/customers/{id}", get(api::retrieve))
        .route("/v1/checkout/sessions", post(api::create_session))
        .route("/v1/checkout/sessions/{id}", get(api::retrieve))
        .route(
            "/v1/checkout/sessions/{id}/expire",
            post(api::expire_session),
        )
        .route("/v1/setup_intents/{id}", get(api::retrieve))
        .route("/v1/payment_methods/{id}", get(api::retrieve))
        .route("/v1/payment_intents", post(api::create_intent))
        .route("/v1/payment_intents/{id}", get(api::retrieve_intent))
        .route(
            "/v1/subscriptions/{id}",
            get(api::retrieve)
                .post(billing::update)
                .delete(billing::cancel),
        )
        .route("/v1/invoices/{id}", get(api::retrieve))
        .route("/v1/refunds", post(api::create_refund))
        .route("/v1/refunds/{id}", get(api::retrieve))
        .route("/v1/disputes/{id}", get(api::retrieve))
        .route("/checkout/{id}", get(hosted::page).post(hosted::submit));
    if test_controls {
        r = r
            .route("/test/fail_next", post(api::test_fail_next))
            .route("/test/latency", post(api::test_latency))
            .route("/test/advance_clock", post(api::test_advance_clock))
            .route("/test/hold_webhooks", post(api::test_hold_webhooks))
            .route("/test/close_dispute", post(disputes::test_close));
    }
    // Anything else under `/_stripe/` (the test controls of a server not started for tests
    // among them) does not exist.
    let r = r.fallback(|| async { StatusCode::NOT_FOUND });
    Router::new().nest("/_stripe", r.with_state(sim))
}

/// Starts the webhook sender and the session expirer.
pub fn spawn(sim: Sim) {
    tokio::spawn(webhooks::run(sim));
}
