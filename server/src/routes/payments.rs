//! Payment routes that are not server functions: Stripe's webhooks (the signature covers the
//! raw body, so it must reach us untouched) and the creator's backer export.

use app::accounts::model::Role;
use app::backend::session_store::USER_KEY;
use app::backend::AppState;
use app::money::Money;
use app::vars;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

/// `POST /webhooks/stripe`.
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    app::payments::webhook::receive(&state, signature, &body).await
}

/// One CSV field, quoted when needed; a leading `=`, `+`, `-` or `@` is defused so the file
/// cannot run formulas when opened in a spreadsheet.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `GET /campaigns/{id}/backers.csv`: every pledge that counts or was paid, for the creator.
pub async fn backers_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    session: Session,
) -> Response {
    let Ok(Some(user_id)) = session.get::<String>(USER_KEY).await else {
        return Redirect::to("/login").into_response();
    };
    let Ok(Some(terms)) = app::payments::store::terms(&state.db, &id).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let admin = matches!(app::accounts::store::get_user(&state.db, &user_id).await, Ok(Some(u)) if u.roles.contains(&Role::Admin));
    if terms.creator != user_id && !admin {
        return StatusCode::NOT_FOUND.into_response();
    }
    #[derive(Deserialize)]
    struct Row {
        backer: String,
        name: String,
        email: String,
        tier: Option<String>,
        amount: i64,
        paid: i64,
        refunded: i64,
        state: String,
        created_at: chrono::DateTime<chrono::Utc>,
    }
    let rows: Vec<Row> = match state
        .db
        .rows(
            "SELECT record::id(backer) AS backer, backer.display_name AS name, backer.email AS email, tier.title AS tier, amount, \
             paid, refunded, state, created_at FROM pledge \
             WHERE campaign = type::record('campaign', $c) \
             AND state IN ['authorized', 'charging', 'paid', 'retrying', 'refunded'] ORDER BY created_at",
            vars!("c" => &terms.id),
        )
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "backer export failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let (questions, answers) = match (
        app::payments::survey::ssr::questions(&state.db, &terms.id).await,
        app::payments::survey::ssr::answers_by_backer(&state.db, &terms.id).await,
    ) {
        (Ok(q), Ok(a)) => (q, a),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = ?e, "backer export: survey answers failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut out = String::from("name,email,reward,pledged,paid,refunded,state,pledged_at");
    for q in &questions {
        out.push(',');
        out.push_str(&csv_field(q));
    }
    out.push('\n');
    for r in rows {
        let m = |v: i64| Money::new(v, terms.currency).to_string();
        let line = [
            csv_field(&r.name),
            csv_field(&r.email),
            csv_field(r.tier.as_deref().unwrap_or("")),
            csv_field(&m(r.amount)),
            csv_field(&m(r.paid)),
            csv_field(&m(r.refunded)),
            r.state,
            r.created_at.to_rfc3339(),
        ]
        .join(",");
        out.push_str(&line);
        let mine = answers.get(&r.backer);
        for i in 0..questions.len() {
            out.push(',');
            let a = mine
                .and_then(|a| a.get(i))
                .map(String::as_str)
                .unwrap_or("");
            out.push_str(&csv_field(a));
        }
        out.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-backers.csv\"", terms.slug),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("Ada"), "Ada");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }
}
