//! The Cohort server: builds the axum router around the Leptos app and the few routes that are
//! not server functions (health, metrics, robots, sitemap, language switch, uploads, media).

// Leptos view types of the larger pages (campaign editor, campaign page) nest deeper than
// rustc's default limit allows when computing their layout.
#![recursion_limit = "512"]

pub mod bench_media;
pub mod bench_payments;
pub mod bench_seed;
pub mod certificate;
pub mod cli;
pub mod jobs;
pub mod og;
pub mod raster;
pub mod routes;
pub mod seed;
pub mod seed_campaigns;
pub mod seed_courses;
pub mod stripe_sim;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::LazyLock;

use app::backend::config::Settings;
use app::backend::request::csrf_middleware;
use app::backend::session_store::SurrealSessionStore;
use app::backend::AppState;
use app::{shell, App};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The baseline Content-Security-Policy; HTML pages replace it with one carrying a script nonce.
pub const DEFAULT_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// The app's routes, listed once per process. Listing them renders the app with resource loading
/// suppressed through a process-wide flag (leptos_server's `SuppressResourceLoad`); a resource
/// that first runs while the flag is up never resolves, so a second listing while another
/// router is serving (each integration test builds one) could hang a page forever.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));
    ROUTES.clone()
}

/// Builds the whole application router for `state`.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let leptos_options = state.leptos_options.clone();
    let context_state = state.clone();
    let additional_context = move || {
        provide_context(context_state.clone());
        leptos::nonce::provide_nonce();
    };

    let sessions = SessionManagerLayer::new(SurrealSessionStore::new(state.db.clone()))
        .with_name("cohort_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies())
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::days(30),
        ));

    // Built assets (precompressed .br/.gz when the build made them); anything else renders the
    // app's 404 page.
    let not_found = Router::new()
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(additional_context.clone(), shell))
        .with_state(state.clone());
    let static_files = ServeDir::new(&*leptos_options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(not_found);

    let simulator = if state.settings.stripe.simulated {
        let sim = stripe_sim::Sim::new(&state);
        stripe_sim::spawn(sim.clone());
        stripe_sim::router(sim, state.settings.stripe.test_controls)
    } else {
        Router::new()
    };
    Router::new()
        .merge(routes::plain_routes(&state))
        .merge(simulator)
        .leptos_routes_with_context(&state, routes, additional_context, move || {
            shell(leptos_options.clone())
        })
        .fallback_service(static_files)
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            csrf_middleware,
        ))
        .layer(middleware::from_fn(limit_api_bodies))
        .layer(middleware::from_fn(private_responses))
        // Lesson media and downloads are already compressed formats; compressing them would
        // drop Content-Length and Accept-Ranges (no progress bar, no resume).
        .layer(
            CompressionLayer::new().compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::new("video/"))
                    .and(NotForContentType::new("audio/"))
                    .and(NotForContentType::const_new("application/pdf"))
                    .and(NotForContentType::const_new("application/zip")),
            ),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(middleware::from_fn(telemetry::track_requests))
        .with_state(state)
}

/// The largest body a server function accepts. They take forms and JSON; the largest real one
/// (a lesson of 100 000 bytes, percent-encoded) fits well within this. Uploads are plain routes
/// with limits of their own.
pub const API_BODY_MAX_BYTES: usize = 1024 * 1024;

/// Refuses a server-function request whose body is over [`API_BODY_MAX_BYTES`] with 413, before
/// any of it is parsed. Server functions read their whole body anyway, so it is read here once,
/// with the limit.
async fn limit_api_bodies(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large / 请求内容过大",
        )
            .into_response()
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > API_BODY_MAX_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, API_BODY_MAX_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => {
            tracing::warn!(error = %e, path = %parts.uri.path(), "request body refused");
            too_large()
        }
    }
}

/// Every page carries this browser's CSRF token (and many carry what only its viewer may see),
/// and server-function answers are about the viewer too: no shared cache may keep them.
async fn private_responses(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if (html || api) && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    res
}

/// Leptos options from the environment (cargo-leptos sets them), listening where `settings` say.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let conf = leptos::config::get_configuration(None).map(|c| c.leptos_options);
    let mut options = conf.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no Leptos configuration found; using defaults");
        LeptosOptions::builder()
            .output_name("cohort")
            .site_root("target/site")
            .build()
    });
    options.site_addr = settings.addr;
    options
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
    // Idle keep-alive connections would hold a graceful shutdown open forever; give in-flight
    // requests ten seconds, then stop.
    tokio::spawn(async {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        tracing::warn!("connections still open after 10 s; exiting");
        std::process::exit(0);
    });
}
