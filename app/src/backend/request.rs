//! What a server function knows about the request it serves: app state, session, viewer, CSRF
//! token, client address and language. Also the CSRF middleware that issues the token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use tower_sessions::Session;

use super::security::{constant_time_eq, random_token};
use super::session_store::USER_KEY;
use super::AppState;
use crate::accounts::model::{Role, Viewer};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;

pub const CSRF_COOKIE: &str = "cohort_csrf";

/// The CSRF token of this browser (double-submit cookie), put in request extensions by
/// [`csrf_middleware`].
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

pub fn state() -> AppResult<AppState> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

/// Where server functions are served (server_fn's default prefix).
const SERVER_FN_PREFIX: &str = "/api/";

/// Whether the request being served is a call of a server function itself, rather than a page
/// whose render calls server functions directly.
fn serving_a_server_fn() -> bool {
    use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with(SERVER_FN_PREFIX))
}

/// Sets the HTTP status for an error result, so programs see 4xx/5xx and people see a sentence.
/// Only for a server-function call: while a page renders, one of its parts failing (a survey a
/// campaign does not have) must not turn the whole page into a 404. Pages set their own status
/// (`NotFound`, `ErrorPage`).
pub fn respond<T>(result: AppResult<T>) -> AppResult<T> {
    if let Err(e) = &result {
        if !serving_a_server_fn() {
            return result;
        }
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(e.status());
            if let AppError::RateLimited { retry_after_secs } = e {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    res.insert_header(header::RETRY_AFTER, v);
                }
            }
        }
    }
    result
}

pub async fn session() -> AppResult<Session> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        AppError::Internal
    })
}

pub async fn viewer_id() -> AppResult<Option<String>> {
    session().await?.get::<String>(USER_KEY).await.map_err(|e| {
        tracing::error!(error = %e, "session load failed");
        AppError::Internal
    })
}

/// The signed-in user, freshly read from the database (roles may have changed).
pub async fn viewer() -> AppResult<Option<Viewer>> {
    let Some(id) = viewer_id().await? else {
        return Ok(None);
    };
    let state = state()?;
    Ok(crate::accounts::store::get_user(&state.db, &id)
        .await?
        .map(|u| u.into_viewer()))
}

pub async fn require_viewer() -> AppResult<Viewer> {
    viewer().await?.ok_or(AppError::Unauthenticated)
}

pub async fn require_role(role: Role) -> AppResult<Viewer> {
    let v = require_viewer().await?;
    if v.has(role) {
        Ok(v)
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn csrf_token() -> AppResult<String> {
    let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    parts
        .extensions
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .ok_or_else(|| {
            tracing::error!("CSRF middleware missing");
            AppError::Internal
        })
}

/// Every state-changing server function calls this with the token its form carried.
pub async fn check_csrf(submitted: &str) -> AppResult<()> {
    let expected = csrf_token().await?;
    if !submitted.is_empty() && constant_time_eq(submitted, &expected) {
        Ok(())
    } else {
        tracing::warn!("CSRF token mismatch");
        Err(AppError::Csrf)
    }
}

pub async fn client_ip() -> String {
    leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map(|ConnectInfo(a)| a.ip().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Language for this request: the `cohort_lang` cookie, else `Accept-Language`.
pub fn lang_of(headers: &http::HeaderMap) -> Lang {
    cookie(headers, Lang::COOKIE)
        .and_then(|v| Lang::from_tag(&v))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::negotiate)
        })
        .unwrap_or_default()
}

pub fn request_lang() -> Lang {
    use_context::<http::request::Parts>()
        .map(|p| lang_of(&p.headers))
        .unwrap_or_default()
}

/// Only same-site paths, so a crafted `?next=` cannot send people elsewhere.
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".into())
}

pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn plausible_token(t: &str) -> bool {
    t.len() == 43
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Issues the CSRF cookie and refuses cross-site state-changing requests outright (by `Origin`
/// and `Sec-Fetch-Site`). The per-form token check happens in each server function.
pub async fn csrf_middleware(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Stripe's webhooks and the simulator's API are called by programs with a secret (the
    // signature, the key), never by a browser; the simulator's hosted page and its test
    // controls are not exempt.
    let exempt =
        req.uri().path().starts_with("/webhooks/") || req.uri().path().starts_with("/_stripe/v1/");
    if unsafe_method && !exempt && is_cross_site(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    let existing = cookie(req.headers(), CSRF_COOKIE).filter(|t| plausible_token(t));
    let token = existing.clone().unwrap_or_else(random_token);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if existing.is_none() {
        let secure = if state.settings.secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        let value = format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}");
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

fn is_cross_site(headers: &http::HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or(origin);
            origin_host != host
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cookies_are_found_among_several() {
        let h = headers(&[("cookie", "a=1; cohort_lang=zh-CN; b=2")]);
        assert_eq!(cookie(&h, "cohort_lang").as_deref(), Some("zh-CN"));
        assert_eq!(lang_of(&h), Lang::ZhCn);
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn language_cookie_beats_accept_language() {
        let h = headers(&[("cookie", "cohort_lang=en"), ("accept-language", "zh-CN")]);
        assert_eq!(lang_of(&h), Lang::En);
        let h = headers(&[("accept-language", "zh-CN,zh;q=0.9")]);
        assert_eq!(lang_of(&h), Lang::ZhCn);
    }

    #[test]
    fn next_only_allows_local_paths() {
        assert_eq!(safe_next(Some("/settings".into())), "/settings");
        assert_eq!(safe_next(Some("//evil.example".into())), "/");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cross_site_detection() {
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "cohort.example")
        ])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "cohort.example")
        ])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "https://cohort.example"),
            ("host", "cohort.example")
        ])));
        assert!(!is_cross_site(&headers(&[("host", "cohort.example")])));
    }
}
