//! Campaign routes that speak plain HTTP: the cover upload (a multipart form) and the Open Graph
//! share image (a PNG that crawlers fetch).

use app::accounts::model::Role;
use app::backend::request::CsrfToken;
use app::backend::session_store::USER_KEY;
use app::backend::AppState;
use app::campaigns::model::percent;
use app::campaigns::rules::CampaignState;
use app::campaigns::store;
use app::i18n::Lang;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use tower_sessions::Session;

use crate::og::{render_png, OgCard};
use crate::raster::{png_response, render_off_workers};

pub const COVER_MAX_BYTES: usize = 5 * 1024 * 1024;

/// `POST /campaigns/{id}/cover` (multipart: `csrf`, `cover`): the owner replaces the cover.
pub async fn upload_cover(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(id): Path<String>,
    session: Session,
    mut multipart: Multipart,
) -> Response {
    let back = |outcome: &str| {
        Redirect::to(&format!("/campaigns/{id}/edit?cover={outcome}")).into_response()
    };
    let Ok(Some(user_id)) = session.get::<String>(USER_KEY).await else {
        return Redirect::to("/login").into_response();
    };
    let owner = match store::get(&state.db, &id).await {
        Ok(Some(row)) => row.creator == user_id,
        Ok(None) => false,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let admin = matches!(app::accounts::store::get_user(&state.db, &user_id).await, Ok(Some(u)) if u.roles.contains(&Role::Admin));
    if !owner && !admin {
        return StatusCode::NOT_FOUND.into_response();
    }
    if app::backend::rate_limit::hit(
        &state.db,
        &format!("upload:{user_id}"),
        app::backend::rate_limit::UPLOAD_PER_USER,
    )
    .await
    .is_err()
    {
        return back("rate");
    }
    let (bytes, ext) =
        match super::upload::read_image_form(&mut multipart, "cover", COVER_MAX_BYTES, &csrf).await
        {
            Ok(image) => image,
            Err(outcome) => return back(outcome),
        };
    let dir = state.settings.media_dir.join("covers");
    let (db, campaign) = (state.db.clone(), id.clone());
    let stored = super::upload::store_replacing(&dir, &bytes, ext, |file| async move {
        store::set_cover(&db, &campaign, &file).await
    })
    .await;
    if !stored {
        return back("error");
    }
    back("ok")
}

/// `GET /c/{slug}/og.png`: the share card, 1200×630. Only public campaigns have one.
pub async fn og_image(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let row = match store::get_by_slug(&state.db, &slug).await {
        Ok(Some(row)) if row.state.is_public() => row,
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let creator = app::accounts::store::get_user(&state.db, &row.creator)
        .await
        .ok()
        .flatten()
        .map(|u| u.display_name.to_string())
        .unwrap_or_default();
    let c = Lang::En.strings().campaign;
    let status = match row.state {
        CampaignState::Live => {
            let days = (row.ends_at - chrono::Utc::now()).num_days().max(0);
            format!("{} · {days}{}", c.state_label(row.state), c.days_left)
        }
        other => c.state_label(other).to_string(),
    };
    let (pledged, goal) = (
        row.pledged_money().to_string(),
        row.goal_money().to_string(),
    );
    let pct = percent(row.pledged_money(), row.goal_money());
    let (title, backers) = (row.title.clone(), row.backers);
    let png = render_off_workers(move || {
        render_png(&OgCard {
            title: &title,
            creator: &creator,
            pledged: &pledged,
            goal: &goal,
            percent: pct,
            backers,
            status: &status,
        })
    })
    .await;
    png_response(
        png,
        "share card",
        &[(header::CACHE_CONTROL, "public, max-age=600".into())],
    )
}
