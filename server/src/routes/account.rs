//! The language switch and the avatar upload: plain HTTP so they work without WebAssembly too.

use app::accounts::store;
use app::backend::rate_limit;
use app::backend::request::{safe_next, CsrfToken};
use app::backend::security::{constant_time_eq, random_token};
use app::backend::session_store::USER_KEY;
use app::backend::AppState;
use app::i18n::Lang;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use tower_sessions::Session;

pub const AVATAR_MAX_BYTES: usize = 2 * 1024 * 1024;

#[derive(serde::Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// `GET /lang/{tag}?next=/path`: remembers the choice for a year and goes back.
pub async fn switch_language(Path(tag): Path<String>, Query(q): Query<Next>) -> Response {
    let next = safe_next(q.next);
    let Some(lang) = Lang::from_tag(&tag) else {
        return Redirect::to(&next).into_response();
    };
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        Lang::COOKIE,
        lang.tag()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

fn back(outcome: &str) -> Response {
    Redirect::to(&format!("/settings?avatar={outcome}")).into_response()
}

/// `POST /settings/avatar` (multipart: `csrf`, `avatar`). Checks the token, the size and the
/// real file type (by its bytes, not its name), stores it and answers with a redirect.
pub async fn upload_avatar(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    session: Session,
    mut multipart: Multipart,
) -> Response {
    let Ok(Some(user_id)) = session.get::<String>(USER_KEY).await else {
        return Redirect::to("/login?next=/settings").into_response();
    };
    if rate_limit::hit(
        &state.db,
        &format!("avatar:{user_id}"),
        rate_limit::UPLOAD_PER_USER,
    )
    .await
    .is_err()
    {
        return back("rate");
    }
    let mut token_ok = false;
    let mut image: Option<Vec<u8>> = None;
    let mut refused: Option<&'static str> = None;
    // Read the whole body even after deciding to refuse it: answering while the browser is still
    // uploading makes it see a reset connection instead of our message.
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // The body was cut off by the size limit (or is not multipart at all).
            Err(_) => {
                refused.get_or_insert("size");
                break;
            }
        };
        match field.name() {
            Some("csrf") => {
                let value = field.text().await.unwrap_or_default();
                token_ok = constant_time_eq(&value, &csrf.0);
            }
            Some("avatar") => match read_limited(field, AVATAR_MAX_BYTES).await {
                Ok(bytes) => image = Some(bytes),
                Err(outcome) => {
                    refused.get_or_insert(outcome);
                }
            },
            _ => {}
        }
    }
    if let Some(outcome) = refused {
        return back(outcome);
    }
    if !token_ok {
        tracing::warn!("avatar upload with a bad CSRF token");
        return back("csrf");
    }
    let Some(bytes) = image.filter(|b| !b.is_empty()) else {
        return back("type");
    };
    let Some(ext) = image_extension(&bytes) else {
        return back("type");
    };
    let file = format!("{}.{ext}", random_token());
    let dir = state.settings.media_dir.join("avatars");
    if let Err(e) = tokio::fs::write(dir.join(&file), &bytes).await {
        tracing::error!(error = %e, "writing avatar failed");
        return back("error");
    }
    match store::set_avatar(&state.db, &user_id, &file).await {
        Ok(Some(old)) if !old.contains('/') && !old.contains("..") => {
            let _ = tokio::fs::remove_file(dir.join(old)).await;
        }
        Ok(_) => {}
        Err(_) => return back("error"),
    }
    back("ok")
}

async fn read_limited(
    mut field: axum::extract::multipart::Field<'_>,
    max: usize,
) -> Result<Vec<u8>, &'static str> {
    let mut buf = Vec::new();
    let mut too_big = false;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) if too_big => drop(chunk),
            Ok(Some(chunk)) if buf.len() + chunk.len() > max => {
                too_big = true;
                buf = Vec::new();
            }
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            Ok(None) if too_big => return Err("size"),
            Ok(None) => return Ok(buf),
            Err(_) => return Err("size"),
        }
    }
}

/// The extension for an accepted image format, decided by the file's bytes. Refuses formats we
/// do not accept and images whose header is corrupt or absurdly large.
pub fn image_extension(bytes: &[u8]) -> Option<&'static str> {
    use imagesize::ImageType;
    let ext = match imagesize::image_type(bytes).ok()? {
        ImageType::Png => "png",
        ImageType::Jpeg => "jpg",
        ImageType::Gif => "gif",
        ImageType::Webp => "webp",
        _ => return None,
    };
    let size = imagesize::blob_size(bytes).ok()?;
    (size.width > 0 && size.height > 0 && size.width <= 8192 && size.height <= 8192).then_some(ext)
}

#[cfg(test)]
mod tests {
    use super::image_extension;

    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89,
    ];

    #[test]
    fn real_images_are_recognised_by_their_bytes() {
        assert_eq!(image_extension(PNG_1X1), Some("png"));
    }

    #[test]
    fn text_renamed_to_png_is_refused() {
        assert_eq!(image_extension(b"definitely not an image, just text"), None);
        assert_eq!(
            image_extension(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(image_extension(&[]), None);
    }
}
