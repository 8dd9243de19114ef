//! Account server functions. Each one checks who is asking (and the CSRF token when it changes
//! anything), validates with the shared newtypes, and maps failures to a status via `respond`.

use leptos::prelude::*;

use super::model::{PublicProfile, SessionInfo};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::mails;
    pub use super::super::model::{Bio, DisplayName, Email, Handle, Password, Role};
    pub use super::super::store::{self, NewUser, TokenKind};
    pub use crate::backend::rate_limit;
    pub use crate::backend::request::{
        check_csrf, client_ip, csrf_token, request_lang, require_viewer, respond, safe_next,
        session, state, viewer,
    };
    pub use crate::backend::security::{hash_password, random_token, token_hash, verify_password};
    pub use crate::backend::session_store::{delete_user_sessions, USER_KEY};
    pub use crate::error::{AppResult, Problem};

    pub fn session_err(e: impl std::fmt::Display) -> crate::error::AppError {
        tracing::error!(error = %e, "session store failed");
        crate::error::AppError::Internal
    }

    pub const VERIFY_TTL_MINUTES: i64 = 48 * 60;
    pub const RESET_TTL_MINUTES: i64 = 60;

    /// Issues a verification token and mails its link.
    pub async fn send_verification(
        user_id: &str,
        email: &Email,
        name: &DisplayName,
    ) -> AppResult<()> {
        let state = state()?;
        let token = random_token();
        store::revoke_tokens(&state.db, user_id, TokenKind::VerifyEmail).await?;
        store::create_token(
            &state.db,
            user_id,
            TokenKind::VerifyEmail,
            &token_hash(&token),
            VERIFY_TTL_MINUTES,
        )
        .await?;
        let link = format!("{}/verify/{token}", state.settings.public_url);
        let mail = mails::verify(request_lang(), name.as_str(), &link);
        state.mailer.send(email, mail.subject, &mail.body).await?;
        Ok(())
    }
}

/// Who is asking, and the CSRF token for this browser's forms.
#[server(endpoint = "get_session")]
pub async fn get_session() -> Result<SessionInfo, AppError> {
    use ssr::*;
    respond(
        async {
            let state = state()?;
            let sso = state.oidc.as_ref().map(|o| o.label().to_string());
            Ok(SessionInfo {
                viewer: viewer().await?,
                csrf: csrf_token().await?,
                sso,
                test_mode: !state.settings.stripe.stripe_account,
            })
        }
        .await,
    )
}

/// Creates an account, signs it in and mails a verification link. Returns the address. For an
/// address that already has an account it answers the same, creates nothing, and mails the
/// owner instead.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    csrf: String,
    email: String,
    display_name: String,
    handle: String,
    password: String,
) -> Result<String, AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let email = Email::parse(&email)?;
            let display_name = DisplayName::parse(&display_name)?;
            let handle = Handle::parse(&handle)?;
            let password = Password::parse(&password)?;
            let state = state()?;
            rate_limit::hit(
                &state.db,
                &format!("signup:ip:{}", client_ip().await),
                rate_limit::SIGNUP_PER_IP,
            )
            .await?;
            let hash = hash_password(&password).await?;
            if let Some(owner) = store::find_by_email(&state.db, &email).await? {
                // Same answer as for a new address, so sign-up does not tell who has an account;
                // the owner learns of it by mail (at most a few times an hour).
                let notice = rate_limit::hit(
                    &state.db,
                    &format!("signup:existing:{email}"),
                    rate_limit::RESET_PER_EMAIL,
                )
                .await;
                if notice.is_ok() {
                    let base = &state.settings.public_url;
                    let mail = mails::signup_existing(
                        request_lang(),
                        owner.display_name.as_str(),
                        &format!("{base}/login"),
                        &format!("{base}/forgot"),
                    );
                    state.mailer.send(&email, mail.subject, &mail.body).await?;
                }
                tracing::info!(user = %owner.id, "sign-up attempted with an existing address");
                return Ok(email.to_string());
            }
            let created = store::create_user(
                &state.db,
                NewUser {
                    email: &email,
                    handle: &handle,
                    display_name: &display_name,
                    password_hash: Some(&hash),
                    roles: &[],
                    verified: false,
                },
            )
            .await;
            let user = match created {
                // Lost a race with another sign-up for this address: the same answer again.
                Err(AppError::Invalid(Problem::EmailTaken)) => return Ok(email.to_string()),
                other => other?,
            };
            let session = session().await?;
            session.cycle_id().await.map_err(session_err)?;
            session
                .insert(USER_KEY, &user.id)
                .await
                .map_err(session_err)?;
            send_verification(&user.id, &email, &display_name).await?;
            tracing::info!(user = %user.id, "account created");
            Ok(email.to_string())
        }
        .await,
    )
}

#[server(endpoint = "log_in")]
pub async fn log_in(
    csrf: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let email = Email::parse(&email)?;
            let state = state()?;
            let ip = client_ip().await;
            let by_ip = format!("login:ip:{ip}");
            // One key per step of the backoff staircase, per (account, address).
            let by_account_ip: Vec<(String, rate_limit::Limit)> = rate_limit::LOGIN_PER_ACCOUNT_IP
                .iter()
                .map(|l| (format!("login:{email}|{ip}|{}", l.window_secs), *l))
                .collect();
            for (key, limit) in &by_account_ip {
                rate_limit::check(&state.db, key, *limit).await?;
            }
            rate_limit::check(&state.db, &by_ip, rate_limit::LOGIN_PER_IP).await?;
            let user = store::find_by_email(&state.db, &email).await?;
            let stored = user.as_ref().and_then(|u| u.password_hash.clone());
            let user = match (verify_password(&password, stored).await?, user) {
                (true, Some(user)) => user,
                _ => {
                    for (key, limit) in &by_account_ip {
                        rate_limit::hit(&state.db, key, *limit).await.ok();
                    }
                    rate_limit::hit(&state.db, &by_ip, rate_limit::LOGIN_PER_IP)
                        .await
                        .ok();
                    return Err(Problem::WrongCredentials.into());
                }
            };
            let session = session().await?;
            // A fresh id on sign-in defeats session fixation.
            session.cycle_id().await.map_err(session_err)?;
            session
                .insert(USER_KEY, &user.id)
                .await
                .map_err(session_err)?;
            leptos_axum::redirect(&safe_next(next, &state.settings.public_url));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "log_out")]
pub async fn log_out(csrf: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            session().await?.flush().await.map_err(session_err)?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Consumes a verification link. The token is the secret, so no CSRF token is needed.
#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            let state = state()?;
            let user = store::consume_token(&state.db, TokenKind::VerifyEmail, &token_hash(&token))
                .await?
                .ok_or(Problem::InvalidVerifyLink)?;
            store::mark_verified(&state.db, &user).await?;
            tracing::info!(%user, "email verified");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "resend_verification")]
pub async fn resend_verification(csrf: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let v = require_viewer().await?;
            let state = state()?;
            rate_limit::hit(
                &state.db,
                &format!("verify:{}", v.id),
                rate_limit::RESET_PER_EMAIL,
            )
            .await?;
            if !v.email_verified {
                send_verification(&v.id, &v.email, &v.display_name).await?;
            }
            Ok(())
        }
        .await,
    )
}

/// Mails a reset link if the account exists; answers the same either way.
#[server(endpoint = "request_reset")]
pub async fn request_reset(csrf: String, email: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let email = Email::parse(&email)?;
            let state = state()?;
            rate_limit::hit(
                &state.db,
                &format!("reset:ip:{}", client_ip().await),
                rate_limit::RESET_PER_IP,
            )
            .await?;
            rate_limit::hit(
                &state.db,
                &format!("reset:email:{email}"),
                rate_limit::RESET_PER_EMAIL,
            )
            .await?;
            if let Some(user) = store::find_by_email(&state.db, &email).await? {
                let token = random_token();
                store::revoke_tokens(&state.db, &user.id, TokenKind::ResetPassword).await?;
                store::create_token(
                    &state.db,
                    &user.id,
                    TokenKind::ResetPassword,
                    &token_hash(&token),
                    RESET_TTL_MINUTES,
                )
                .await?;
                let link = format!("{}/reset/{token}", state.settings.public_url);
                let mail = mails::reset(request_lang(), user.display_name.as_str(), &link);
                state.mailer.send(&email, mail.subject, &mail.body).await?;
            }
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(csrf: String, token: String, password: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            // Check the password first so a weak one does not burn the link.
            let password = Password::parse(&password)?;
            let state = state()?;
            let user =
                store::consume_token(&state.db, TokenKind::ResetPassword, &token_hash(&token))
                    .await?
                    .ok_or(Problem::InvalidResetLink)?;
            let hash = hash_password(&password).await?;
            store::set_password(&state.db, &user, &hash).await?;
            // Whoever knew the old password is signed out everywhere; the mail proved ownership.
            delete_user_sessions(&state.db, &user).await?;
            store::mark_verified(&state.db, &user).await?;
            tracing::info!(%user, "password reset");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "save_profile")]
pub async fn save_profile(
    csrf: String,
    display_name: String,
    handle: String,
    bio: String,
) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let v = require_viewer().await?;
            let (name, handle, bio) = (
                DisplayName::parse(&display_name)?,
                Handle::parse(&handle)?,
                Bio::parse(&bio)?,
            );
            let state = state()?;
            store::update_profile(&state.db, &v.id, &name, &handle, &bio).await?;
            state.creators_cache.clear();
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "become_creator")]
pub async fn become_creator(csrf: String) -> Result<(), AppError> {
    use ssr::*;
    respond(
        async {
            check_csrf(&csrf).await?;
            let v = require_viewer().await?;
            let state = state()?;
            store::add_role(&state.db, &v.id, Role::Creator).await?;
            state.creators_cache.clear();
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "get_profile")]
pub async fn get_profile(handle: String) -> Result<PublicProfile, AppError> {
    use ssr::*;
    respond(
        async {
            let handle = Handle::parse(&handle).map_err(|_| AppError::NotFound)?;
            store::find_by_handle(&state()?.db, &handle)
                .await?
                .map(|u| u.into_profile())
                .ok_or(AppError::NotFound)
        }
        .await,
    )
}

#[server(endpoint = "list_creators")]
pub async fn list_creators() -> Result<Vec<PublicProfile>, AppError> {
    use ssr::*;
    respond(
        async {
            let state = state()?;
            if let Some(list) = state.creators_cache.get() {
                return Ok(list);
            }
            let list: Vec<PublicProfile> = store::list_creators(&state.db, 12)
                .await?
                .into_iter()
                .map(|u| u.into_profile())
                .collect();
            state.creators_cache.put(list.clone());
            Ok(list)
        }
        .await,
    )
}
