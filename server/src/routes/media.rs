//! Lesson files: the Range-capable route that hands a lesson's video, audio and attachments only
//! to viewers the lesson opens for, and the studio's uploads of them (see `media/upload.rs`).

mod upload;

use app::accounts::model::Viewer;
use app::backend::session_store::USER_KEY;
use app::backend::AppState;
use app::courses::access;
use app::courses::model::{Gate, MediaKind};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use tower_http::services::ServeFile;
use tower_sessions::Session;

pub use upload::{media_max_bytes, ATTACHMENT_MAX_BYTES};

/// The lesson media routes: `GET /media/lessons/{lesson}/{file}` and the two studio uploads.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/media/lessons/{lesson}/{file}", get(lesson_file))
        .merge(upload::routes())
}

/// Where lesson files live: outside the statically served folders, so the only way to their
/// bytes is [`lesson_file`] and its entitlement check.
fn lessons_dir(state: &AppState) -> std::path::PathBuf {
    state.settings.media_dir.join("lessons")
}

/// Names we write are letters and digits, a dot and the extension. Anything else (a path, `..`,
/// a backslash, a percent-decoded `/`) is refused before it comes near the file system.
fn plain_file_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The signed-in viewer, read fresh (an admin role or a deleted account counts at once).
async fn signed_in(state: &AppState, session: &Session) -> Result<Option<Viewer>, StatusCode> {
    let id = session.get::<String>(USER_KEY).await.map_err(|e| {
        tracing::error!(error = %e, "session load failed");
        StatusCode::INTERNAL_SERVER_ERROR
    })?;
    let Some(id) = id else {
        return Ok(None);
    };
    app::accounts::store::get_user(&state.db, &id)
        .await
        .map(|u| u.map(|u| u.into_viewer()))
        .map_err(|e| e.status())
}

/// Refusals must not be remembered by the browser: a learner who buys the course a minute
/// later should get the file, not a cached 403.
fn refuse(status: StatusCode) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")]).into_response()
}

/// `GET /media/lessons/{lesson}/{file}`: the file when the lesson opens for the viewer (401
/// signed out, 403 signed in without access, 404 for anything that is not one of the lesson's
/// files). Ranges, 206/416 and conditional requests are tower-http's `ServeFile`; files never
/// change under a name (a replacement gets a new one), so its lack of ETag/If-Range is harmless.
/// Reads only: streaming a video must not write to the database once per range request.
pub async fn lesson_file(
    State(state): State<AppState>,
    Path((lesson_id, file)): Path<(String, String)>,
    session: Session,
    req: Request,
) -> Response {
    if !plain_file_name(&file) {
        return refuse(StatusCode::NOT_FOUND);
    }
    let viewer = match signed_in(&state, &session).await {
        Ok(v) => v,
        Err(status) => return refuse(status),
    };
    let (lesson, gate) = match access::lesson_gate(&state.db, viewer.as_ref(), &lesson_id).await {
        Ok((lesson, _, _, gate)) => (lesson, gate),
        Err(e) => return refuse(e.status()),
    };
    // The gate comes before the name check, so someone without access cannot even learn which
    // file names a lesson has.
    if gate != Gate::Open {
        return refuse(if viewer.is_some() {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        });
    }
    let Some(info) = lesson
        .media
        .into_iter()
        .chain(lesson.attachments)
        .find(|m| m.file == file)
    else {
        return refuse(StatusCode::NOT_FOUND);
    };
    let Ok(res) = ServeFile::new(lessons_dir(&state).join(&info.file))
        .oneshot(req)
        .await;
    let mut res = res.map(Body::new);
    let status = res.status();
    if status == StatusCode::NOT_FOUND {
        tracing::warn!(lesson = %lesson_id, file = %info.file, "lesson file missing on disk");
    }
    let headers = res.headers_mut();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        // Private: paid content must never sit in a shared cache.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=3600"),
        );
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Ok(mime) = HeaderValue::from_str(&info.mime) {
            headers.insert(header::CONTENT_TYPE, mime);
        }
        if info.kind == MediaKind::File {
            headers.insert(
                header::CONTENT_DISPOSITION,
                attachment_disposition(&info.name),
            );
        }
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// `attachment; filename="…"` with an ASCII stand-in for old clients, plus the exact name as
/// `filename*` (RFC 6266) when it is not ASCII (Chinese file names, accents).
fn attachment_disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut value = format!("attachment; filename=\"{ascii}\"");
    if !name.is_ascii() {
        value.push_str("; filename*=UTF-8''");
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                value.push(char::from(b));
            } else {
                value.push_str(&format!("%{b:02X}"));
            }
        }
    }
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_we_could_have_written_are_looked_up() {
        assert!(plain_file_name("a1B2c3.mp4"));
        for bad in [
            "", "..", "../x.mp4", "a/b.mp4", "a\\b.mp4", ".hidden", "a..mp4", "a%2Fb", "a b",
        ] {
            assert!(!plain_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn attachment_names_cannot_break_out_of_the_header() {
        assert_eq!(
            attachment_disposition("notes \"week 1\".txt"),
            "attachment; filename=\"notes _week 1_.txt\""
        );
        assert_eq!(
            attachment_disposition("讲义.pdf"),
            "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E8%AE%B2%E4%B9%89.pdf"
        );
        assert_eq!(
            attachment_disposition("a\r\nSet-Cookie: x"),
            "attachment; filename=\"a__Set-Cookie: x\""
        );
    }
}
