//! `/healthz`, `/metrics`, `/robots.txt`, `/sitemap.xml`.

use app::backend::security::constant_time_eq;
use app::backend::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Prometheus text for a scraper holding `COHORT_METRICS_TOKEN` (`Authorization: Bearer …`).
/// Request counts and latencies by route say a lot about the platform, so without a token
/// configured the endpoint is off.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.settings.metrics_token.as_ref() else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are off; set COHORT_METRICS_TOKEN to turn them on",
        )
            .into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !presented.is_some_and(|p| constant_time_eq(p.trim(), token.expose())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the bearer token from COHORT_METRICS_TOKEN",
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::prometheus().render(),
    )
        .into_response()
}

pub async fn robots(State(state): State<AppState>) -> impl IntoResponse {
    let body = format!(
        "User-agent: *\nDisallow: /admin/\nDisallow: /settings\nDisallow: /api/\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
        state.settings.public_url
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body)
}

/// Public pages worth indexing: home, creators, live campaigns and published courses
/// (communities join as they are built).
pub async fn sitemap(State(state): State<AppState>) -> impl IntoResponse {
    let base = &state.settings.public_url;
    let mut urls = vec![format!("{base}/")];
    match app::accounts::store::list_creators(&state.db, 1000).await {
        Ok(creators) => urls.extend(creators.iter().map(|c| format!("{base}/u/{}", c.handle))),
        Err(e) => tracing::warn!(error = ?e, "sitemap: listing creators failed"),
    }
    let mut entries: Vec<(String, Option<String>)> = urls.into_iter().map(|u| (u, None)).collect();
    match app::campaigns::store::sitemap_entries(&state.db).await {
        Ok(live) => entries.extend(live.into_iter().map(|(slug, at)| {
            (
                format!("{base}/c/{slug}"),
                Some(at.format("%Y-%m-%d").to_string()),
            )
        })),
        Err(e) => tracing::warn!(error = ?e, "sitemap: listing campaigns failed"),
    }
    match app::courses::store::catalogue(&state.db, None, 5000).await {
        Ok(courses) => entries.extend(courses.into_iter().map(|c| {
            let lastmod = c.published_at.map(|at| at.format("%Y-%m-%d").to_string());
            (format!("{base}/courses/{}", c.slug), lastmod)
        })),
        Err(e) => tracing::warn!(error = ?e, "sitemap: listing courses failed"),
    }
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
"#,
    );
    for (url, lastmod) in entries {
        let lastmod = lastmod
            .map(|d| format!("<lastmod>{d}</lastmod>"))
            .unwrap_or_default();
        xml.push_str(&format!(
            "  <url><loc>{}</loc>{lastmod}</url>\n",
            xml_escape(&url)
        ));
    }
    xml.push_str("</urlset>\n");
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
