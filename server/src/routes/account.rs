//! The language switch and the avatar upload: plain HTTP so they work without WebAssembly too.

use app::accounts::store;
use app::backend::rate_limit;
use app::backend::request::{safe_next, CsrfToken};
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
pub async fn switch_language(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    Query(q): Query<Next>,
) -> Response {
    let next = safe_next(q.next, &state.settings.public_url);
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
    let (bytes, ext) =
        match super::upload::read_image_form(&mut multipart, "avatar", AVATAR_MAX_BYTES, &csrf)
            .await
        {
            Ok(image) => image,
            Err(outcome) => return back(outcome),
        };
    let dir = state.settings.media_dir.join("avatars");
    let db = state.db.clone();
    let stored = super::upload::store_replacing(&dir, &bytes, ext, |file| async move {
        store::set_avatar(&db, &user_id, &file).await
    })
    .await;
    if !stored {
        return back("error");
    }
    back("ok")
}
