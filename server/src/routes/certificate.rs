//! `GET /certificates/{code}/certificate.png`: the certificate as a PNG to download and keep.
//! Public like the verification page it points to; `?lang=zh-CN` picks the language.

use app::backend::AppState;
use app::i18n::Lang;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::certificate::{plausible_code, render_png, verification_url};
use crate::raster::{png_response, render_off_workers};

pub async fn certificate_png(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if !plausible_code(&code) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let cert = match app::courses::access::certificate(&state.db, &code).await {
        // A withdrawn certificate is not handed out as a document any more.
        Ok(Some(cert)) if cert.withdrawn => return StatusCode::GONE.into_response(),
        Ok(Some(cert)) => cert,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "loading a certificate failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let lang = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::from_tag(&v))
        .unwrap_or_default();
    let url = verification_url(&state.settings.public_url, &cert.code);
    let png = render_off_workers(move || render_png(&cert, lang, &url)).await;
    png_response(
        png,
        "certificate",
        &[
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"cohort-certificate-{code}.png\""),
            ),
            // Its text never changes once issued (the language is part of the URL), but it can
            // be withdrawn: caches keep it for minutes, not a day.
            (header::CACHE_CONTROL, "public, max-age=300".into()),
        ],
    )
}
