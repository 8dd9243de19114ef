//! Routes that are not server functions: they speak HTTP to programs (probes, crawlers,
//! multipart uploads) rather than to the app.

mod account;
mod campaign;
mod certificate;
mod media;
mod meta;
mod oidc;
mod payments;
mod upload;

use app::backend::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tower_http::services::ServeDir;

pub use account::AVATAR_MAX_BYTES;
pub use media::{media_max_bytes, ATTACHMENT_MAX_BYTES as LESSON_ATTACHMENT_MAX_BYTES};

pub fn plain_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .route("/robots.txt", get(meta::robots))
        .route("/sitemap.xml", get(meta::sitemap))
        .route("/lang/{tag}", get(account::switch_language))
        .route("/auth/oidc/start", get(oidc::start))
        .route("/auth/oidc/callback", get(oidc::callback))
        .route(
            "/settings/avatar",
            // Room for the multipart envelope; the handler itself enforces the 2 MB image limit
            // so that it can answer with a friendly message.
            post(account::upload_avatar).layer(DefaultBodyLimit::max(AVATAR_MAX_BYTES * 4)),
        )
        .route(
            "/campaigns/{id}/cover",
            post(campaign::upload_cover)
                .layer(DefaultBodyLimit::max(campaign::COVER_MAX_BYTES * 2)),
        )
        .route("/c/{slug}/og.png", get(campaign::og_image))
        .route(
            "/certificates/{code}/certificate.png",
            get(certificate::certificate_png),
        )
        .route("/webhooks/stripe", post(payments::stripe_webhook))
        .route("/campaigns/{id}/backers.csv", get(payments::backers_csv))
        // Lesson files are not under a ServeDir: every request passes the entitlement check.
        .merge(media::routes())
        .nest_service(
            "/media/covers",
            ServeDir::new(state.settings.media_dir.join("covers")),
        )
        .nest_service(
            "/media/avatars",
            ServeDir::new(state.settings.media_dir.join("avatars")),
        )
}
