//! The studio's lesson uploads (`POST /studio/lessons/{lesson}/media` and `…/attachments`,
//! multipart: `csrf`, then `file`). Files are streamed to disk chunk by chunk, never held in
//! memory, and typed by their first bytes. Outcomes travel back as `?upload=` codes the studio
//! turns into a sentence: ok, size, type, csrf, rate, error.

use std::path::{Path as FsPath, PathBuf};

use app::backend::rate_limit;
use app::backend::request::CsrfToken;
use app::backend::security::{constant_time_eq, random_token};
use app::backend::AppState;
use app::courses::model::{MediaInfo, MediaKind};
use app::courses::{access, rules, store};
use app::error::AppError;
use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{post, MethodRouter};
use axum::{Extension, Router};
use tokio::io::{AsyncWriteExt, BufWriter};
use tower_sessions::Session;

const MIB: u64 = 1024 * 1024;
pub const ATTACHMENT_MAX_BYTES: u64 = 50 * MIB;
const MEDIA_MAX_DEFAULT_MB: u64 = 512;
/// Enough for every signature `rules::sniff` knows and a fair look at a text file.
const HEAD_BYTES: usize = 1024;
/// How much more than the limit we read (and drop) after refusing, so the browser is still
/// listening when the redirect comes; past that we stop paying for the upload.
const DRAIN_SLACK: u64 = MIB;
const WRITE_BUFFER: usize = 256 * 1024;
const NAME_MAX: usize = 120;

/// The video/audio limit: `COHORT_MEDIA_MAX_MB` MiB (default 512), read once when the router is
/// built so that the body limit and the handler's own check agree.
pub fn media_max_bytes() -> u64 {
    std::env::var("COHORT_MEDIA_MAX_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|mb| *mb > 0)
        .unwrap_or(MEDIA_MAX_DEFAULT_MB)
        .saturating_mul(MIB)
}

#[derive(Clone, Copy)]
struct Target {
    attachment: bool,
    max: u64,
}

pub(super) fn routes() -> Router<AppState> {
    let media = Target {
        attachment: false,
        max: media_max_bytes(),
    };
    let attachment = Target {
        attachment: true,
        max: ATTACHMENT_MAX_BYTES,
    };
    Router::new()
        .route("/studio/lessons/{lesson}/media", route(media))
        .route("/studio/lessons/{lesson}/attachments", route(attachment))
}

fn route(target: Target) -> MethodRouter<AppState> {
    // The body limit sits above what the handler reads, so the handler is the one refusing
    // and can answer with its friendly code rather than a bare 413.
    let limit = usize::try_from(target.max + 2 * DRAIN_SLACK).unwrap_or(usize::MAX);
    post(
        move |State(state): State<AppState>,
              Extension(csrf): Extension<CsrfToken>,
              Path(lesson): Path<String>,
              session: Session,
              multipart: Multipart| {
            upload_lesson_file(state, csrf, lesson, session, multipart, target)
        },
    )
    .layer(DefaultBodyLimit::max(limit))
}

#[tracing::instrument(skip_all, fields(lesson = %lesson_id, attachment = target.attachment))]
async fn upload_lesson_file(
    state: AppState,
    csrf: CsrfToken,
    lesson_id: String,
    session: Session,
    mut multipart: Multipart,
    target: Target,
) -> Response {
    let cap = target.max + DRAIN_SLACK;
    let (user, course_id, lesson_id) = match admit(&state, &session, &lesson_id).await {
        Ok(ids) => ids,
        Err(refusal) => {
            drain(&mut multipart, 0, cap).await;
            return refusal;
        }
    };
    let back = |outcome: &str| {
        Redirect::to(&format!(
            "/studio/courses/{course_id}/lessons/{lesson_id}?upload={outcome}"
        ))
        .into_response()
    };
    let limited = rate_limit::hit(
        &state.db,
        &format!("lesson-upload:{user}"),
        rate_limit::UPLOAD_PER_USER,
    )
    .await;
    if limited.is_err() {
        drain(&mut multipart, 0, cap).await;
        return back("rate");
    }
    let dir = super::lessons_dir(&state);
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        tracing::error!(error = %e, dir = %dir.display(), "cannot create the lessons folder");
        drain(&mut multipart, 0, cap).await;
        return back("error");
    }
    match receive(&mut multipart, &csrf, &dir, target).await {
        Ok(received) => back(record(&state, &lesson_id, received, target).await),
        Err(outcome) => back(outcome),
    }
}

/// The (user, course, lesson) ids when the signed-in viewer manages the lesson's course;
/// otherwise the answer to send: the log-in page when signed out, 404 for anyone else.
async fn admit(
    state: &AppState,
    session: &Session,
    lesson_id: &str,
) -> Result<(String, String, String), Response> {
    let viewer = match super::signed_in(state, session).await {
        Ok(Some(v)) => v,
        Ok(None) => return Err(Redirect::to("/login").into_response()),
        Err(status) => return Err(status.into_response()),
    };
    let lesson = match store::lesson(&state.db, lesson_id).await {
        Ok(Some(l)) => l,
        Ok(None) => return Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => return Err(e.status().into_response()),
    };
    match access::managed(&state.db, &viewer, &lesson.course).await {
        Ok(course) => Ok((viewer.id, course.id, lesson.id)),
        Err(AppError::NotFound) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => Err(e.status().into_response()),
    }
}

/// An upload being written. Deleted on drop unless kept, so a refusal, a failed write or a
/// browser that hangs up (axum then drops the handler mid-await) leaves nothing behind.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

struct Received {
    temp: TempFile,
    kind: MediaKind,
    mime: &'static str,
    ext: &'static str,
    size: u64,
    name: Option<String>,
}

/// Reads the form: the `csrf` field must come before `file` (the studio form puts it first),
/// so nothing reaches the disk for a forged request. Whatever follows a refusal is drained.
async fn receive(
    multipart: &mut Multipart,
    csrf: &CsrfToken,
    dir: &FsPath,
    target: Target,
) -> Result<Received, &'static str> {
    let cap = target.max + DRAIN_SLACK;
    let mut read = 0u64;
    let mut token_ok = false;
    let mut outcome: Option<Result<Received, &'static str>> = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "malformed or interrupted lesson upload");
                outcome.get_or_insert(Err("error"));
                break;
            }
        };
        match field.name() {
            Some("csrf") if outcome.is_none() => {
                token_ok = read_token(&mut field, &mut read, &csrf.0).await;
            }
            Some("file") if outcome.is_none() => {
                outcome = Some(if token_ok {
                    write_field(&mut field, dir, target, &mut read).await
                } else {
                    tracing::warn!("lesson upload with a bad CSRF token");
                    Err("csrf")
                });
            }
            _ => {}
        }
        if !skip(&mut field, &mut read, cap).await {
            break;
        }
    }
    outcome.unwrap_or(Err(if token_ok { "type" } else { "csrf" }))
}

async fn read_token(field: &mut Field<'_>, read: &mut u64, expected: &str) -> bool {
    let mut value = Vec::new();
    while let Ok(Some(chunk)) = field.chunk().await {
        *read += chunk.len() as u64;
        value.extend_from_slice(&chunk);
        if value.len() > 128 {
            return false;
        }
    }
    std::str::from_utf8(&value).is_ok_and(|v| constant_time_eq(v, expected))
}

/// Streams one file field to a temporary file next to its final place, stopping at the first
/// byte over the limit and as soon as the head shows a type we do not take.
async fn write_field(
    field: &mut Field<'_>,
    dir: &FsPath,
    target: Target,
    read: &mut u64,
) -> Result<Received, &'static str> {
    let name = field.file_name().map(str::to_string);
    let temp = TempFile {
        path: dir.join(format!("tmp-{}.part", random_name())),
        keep: false,
    };
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp.path)
        .await
        .map_err(|e| io_failed(&e))?;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut head: Vec<u8> = Vec::with_capacity(HEAD_BYTES);
    let mut sniffed = None;
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        tracing::warn!(error = %e, "lesson upload interrupted");
        "error"
    })? {
        *read += chunk.len() as u64;
        size += chunk.len() as u64;
        if size > target.max {
            return Err("size");
        }
        if sniffed.is_none() {
            let take = (HEAD_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            if head.len() == HEAD_BYTES {
                sniffed = Some(sniff_head(&head, target.attachment).ok_or("type")?);
            }
        }
        out.write_all(&chunk).await.map_err(|e| io_failed(&e))?;
    }
    let (kind, mime, ext) = match sniffed {
        Some(s) => s,
        None => sniff_head(&head, target.attachment).ok_or("type")?,
    };
    out.flush().await.map_err(|e| io_failed(&e))?;
    Ok(Received {
        temp,
        kind,
        mime,
        ext,
        size,
        name,
    })
}

fn io_failed(e: &std::io::Error) -> &'static str {
    tracing::error!(error = %e, "writing a lesson upload failed");
    "error"
}

/// A head cut inside a multi-byte character would make a UTF-8 text file look binary; sniff
/// up to the last whole character instead.
fn sniff_head(head: &[u8], attachment: bool) -> Option<(MediaKind, &'static str, &'static str)> {
    let head = match std::str::from_utf8(head) {
        Err(e) if e.error_len().is_none() => &head[..e.valid_up_to()],
        _ => head,
    };
    rules::sniff(head, attachment)
}

/// Reads and drops the rest of a field; false once the body broke off or `cap` was passed.
async fn skip(field: &mut Field<'_>, read: &mut u64, cap: u64) -> bool {
    while *read <= cap {
        match field.chunk().await {
            Ok(Some(chunk)) => *read += chunk.len() as u64,
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
    false
}

/// Answering while the browser is still sending makes it show a reset connection instead of
/// our redirect, so a refused body is read to its end (up to `cap`).
async fn drain(multipart: &mut Multipart, mut read: u64, cap: u64) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        if !skip(&mut field, &mut read, cap).await {
            return;
        }
    }
}

/// Moves the upload to its final random name and records it on the lesson; a replaced media
/// file is deleted. Answers the outcome code.
async fn record(state: &AppState, lesson: &str, r: Received, target: Target) -> &'static str {
    let Received {
        mut temp,
        kind,
        mime,
        ext,
        size,
        name,
    } = r;
    let file = format!("{}.{ext}", random_name());
    let path = super::lessons_dir(state).join(&file);
    if let Err(e) = tokio::fs::rename(&temp.path, &path).await {
        return io_failed(&e);
    }
    // Until the database knows it, the file is still ours to clean up.
    temp.path = path;
    let info = MediaInfo {
        file,
        kind,
        mime: mime.to_string(),
        size: i64::try_from(size).unwrap_or(i64::MAX),
        name: display_name(name.as_deref(), ext),
    };
    let recorded = if target.attachment {
        store::add_attachment(&state.db, lesson, &info)
            .await
            .map(|()| None)
    } else {
        store::set_media(&state.db, lesson, &info).await
    };
    match recorded {
        Ok(replaced) => {
            temp.keep = true;
            if let Some(old) = replaced.filter(|old| super::plain_file_name(old)) {
                let _ = tokio::fs::remove_file(super::lessons_dir(state).join(old)).await;
            }
            "ok"
        }
        Err(_) => "error",
    }
}

fn random_name() -> String {
    random_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The uploaded file's name as learners will see it: no folders, no control characters or
/// quotes, at most 120 characters; `lesson.<ext>` when the browser sent none.
fn display_name(raw: Option<&str>, ext: &str) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(NAME_MAX)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        format!("lesson.{ext}")
    } else {
        clean.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_lose_folders_quotes_and_length() {
        assert_eq!(
            display_name(Some("C:\\Users\\me\\week 1.pdf"), "pdf"),
            "week 1.pdf"
        );
        assert_eq!(display_name(Some("../../etc/pa\"ss\nwd"), "txt"), "passwd");
        assert_eq!(display_name(Some("   "), "zip"), "lesson.zip");
        assert_eq!(display_name(None, "mp4"), "lesson.mp4");
        let long = "é".repeat(300);
        assert_eq!(display_name(Some(&long), "txt").chars().count(), NAME_MAX);
    }

    #[test]
    fn a_head_cut_inside_a_character_is_still_text() {
        let mut head = "讲义".repeat(200).into_bytes();
        head.truncate(HEAD_BYTES);
        assert!(
            std::str::from_utf8(&head).is_err(),
            "the cut falls inside a character"
        );
        assert_eq!(sniff_head(&head, true).map(|s| s.2), Some("txt"));
        assert_eq!(sniff_head(&[0xFF, 0xFE, 0, 1], true), None);
    }

    #[test]
    fn the_media_limit_defaults_to_512_mib() {
        if std::env::var_os("COHORT_MEDIA_MAX_MB").is_none() {
            assert_eq!(media_max_bytes(), 512 * MIB);
        }
    }
}
