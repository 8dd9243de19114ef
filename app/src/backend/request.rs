//! What a server function knows about the request it serves: app state, session, viewer, CSRF
//! token, client address and language. Also the CSRF middleware that issues the token.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use tower_sessions::Session;

use super::config::TrustedProxy;
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

/// Counts one search against this address's budget (`COHORT_SEARCH_PER_MINUTE`); fails with
/// `RateLimited` once it is spent.
pub async fn spend_search_budget() -> AppResult<()> {
    let state = state()?;
    let per_minute = state.settings.search_per_minute;
    if per_minute == 0 {
        return Ok(());
    }
    let limit = super::rate_limit::Limit {
        max: per_minute,
        window_secs: 60,
    };
    let key = format!("search:ip:{}", client_ip().await);
    super::rate_limit::hit(&state.db, &key, limit).await
}

/// The address of the person asking: the TCP peer, or, when the peer is one of
/// `COHORT_TRUSTED_PROXIES`, the nearest untrusted address in its `X-Forwarded-For`.
pub async fn client_ip() -> String {
    let Ok(ConnectInfo(peer)) = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await else {
        return "unknown".into();
    };
    let trusted = state()
        .map(|s| s.settings.trusted_proxies.clone())
        .unwrap_or_default();
    let headers = use_context::<http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default();
    resolve_client_ip(peer.ip(), &headers, &trusted).to_string()
}

/// `X-Forwarded-For` is only believed when it comes from a trusted proxy, and only as far as the
/// chain of trusted proxies reaches: reading right to left, the first address that is not a
/// trusted proxy is the client. Anyone can send the header; only proxies we run can vouch for it.
pub fn resolve_client_ip(
    peer: IpAddr,
    headers: &http::HeaderMap,
    trusted: &[TrustedProxy],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| t.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .map(|a| a.parse::<IpAddr>().ok())
        .collect::<Option<Vec<_>>>()
        // A malformed chain cannot be trusted at all.
        .unwrap_or_default();
    let mut client = peer;
    for ip in forwarded.into_iter().rev() {
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
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

/// Where to go after a sign-in or a language switch: `next` when it resolves, relative to
/// `public_url`, to Cohort's own origin; otherwise `/`. So a crafted `?next=` cannot send people
/// elsewhere.
pub fn safe_next(next: Option<String>, public_url: &str) -> String {
    next.and_then(|n| local_target(&n, public_url))
        .unwrap_or_else(|| "/".into())
}

/// The path (with query and fragment) that `next` names on our own origin, or `None`.
fn local_target(next: &str, public_url: &str) -> Option<String> {
    // Browsers drop tabs and newlines from a `Location` and read `\` as `/` before resolving it,
    // so `/\t/evil.example` would become `//evil.example`: such characters are refused outright.
    if !next.starts_with('/')
        || next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    let base = reqwest::Url::parse(&format!("{}/", public_url.trim_end_matches('/'))).ok()?;
    let target = base.join(next).ok()?;
    if target.origin() != base.origin() {
        return None;
    }
    let mut out = target.path().to_string();
    // `/.//evil.example` resolves to the path `//evil.example`, which a browser reads as a host.
    if !out.starts_with('/') || out.starts_with("//") {
        return None;
    }
    if let Some(q) = target.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = target.fragment() {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
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
        let base = "https://cohort.example";
        let next = |n: &str| safe_next(Some(n.to_string()), base);
        assert_eq!(next("/settings"), "/settings");
        assert_eq!(next("/courses?q=rust#top"), "/courses?q=rust#top");
        assert_eq!(next("/a/../b"), "/b");
        for evil in [
            "//evil.example",
            "https://evil.example",
            "https://cohort.example.evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "\t//evil.example",
            "/ /evil.example",
            "/.//evil.example",
            "/..//evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(next(evil), "/", "{evil:?}");
        }
        // Percent-encoded slashes stay a path on our own origin.
        assert_eq!(next("/%2F%2Fevil.example"), "/%2F%2Fevil.example");
        assert_eq!(safe_next(None, base), "/");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: TrustedProxy = "10.0.0.0/8".parse().unwrap();
        let trusted = [proxy];
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.7")]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // From the proxy: the first untrusted address, reading right to left.
        assert_eq!(
            resolve_client_ip(ip("10.0.0.2"), &h, &trusted),
            ip("203.0.113.9")
        );
        // From anyone else: the header is ignored.
        assert_eq!(
            resolve_client_ip(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(resolve_client_ip(ip("10.0.0.2"), &h, &[]), ip("10.0.0.2"));
        // A client that prepends its own entries cannot skip past the proxy's.
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9")]);
        assert_eq!(
            resolve_client_ip(ip("10.0.0.2"), &spoofed, &trusted),
            ip("203.0.113.9")
        );
        // Garbage in the chain: fall back to the proxy itself.
        let junk = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(
            resolve_client_ip(ip("10.0.0.2"), &junk, &trusted),
            ip("10.0.0.2")
        );
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
