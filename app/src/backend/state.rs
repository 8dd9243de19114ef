//! `AppState`: everything a request handler needs, built once at start-up and shared by axum
//! routes (as state) and server functions (as context).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::config::Settings;
use super::db::Db;
use super::mail::Mailer;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub settings: Arc<Settings>,
    pub mailer: Mailer,
    pub oidc: Option<crate::accounts::oidc::OidcClient>,
    /// The home page's creator list, kept for a few seconds: it is read on every visit.
    pub creators_cache: super::cache::TtlCache<Vec<crate::accounts::model::PublicProfile>>,
    /// Visitors' view of each campaign's newest comment threads, for a few seconds: a popular
    /// campaign's page reads them on every view. Cleared locally when a comment changes.
    /// Stripe, or the built-in simulator when no key is configured.
    pub payments: crate::payments::stripe::Payments,
    pub comments_cache: super::cache::KeyedTtlCache<Vec<crate::campaigns::model::CommentView>>,
    /// Campaign page views, written in batches by the visits job.
    pub visits: super::visits::VisitCounter,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] super::db::DbError),
    #[error(transparent)]
    Mail(#[from] super::mail::MailError),
    #[error("media directory {0}: {1}")]
    Media(String, std::io::Error),
    #[error("payments: {0}")]
    Payments(String),
}

impl AppState {
    /// Connects to the database, applies migrations and prepares mail and media.
    pub async fn init(
        mut settings: Settings,
        leptos_options: LeptosOptions,
    ) -> Result<AppState, StartError> {
        let db = Db::connect(
            &settings.database_url,
            settings.database_user.as_deref(),
            settings.database_pass.as_ref().map(|s| s.expose()),
        )
        .await?;
        super::migrations::migrate(&db).await?;
        super::secrets::fill_stripe_keys(&db, &mut settings.stripe).await?;
        for sub in ["avatars", "covers"] {
            let dir = settings.media_dir.join(sub);
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| StartError::Media(dir.display().to_string(), e))?;
        }
        let mailer = Mailer::new(db.clone(), &settings)?;
        let oidc = settings
            .oidc
            .clone()
            .map(|o| crate::accounts::oidc::OidcClient::new(o, &settings.public_url));
        let payments = crate::payments::stripe::Payments::new(&settings.stripe)
            .map_err(|e| StartError::Payments(e.to_string()))?;
        Ok(AppState {
            payments,
            leptos_options,
            oidc,
            creators_cache: super::cache::TtlCache::new(std::time::Duration::from_secs(10)),
            visits: Default::default(),
            comments_cache: super::cache::KeyedTtlCache::new(
                std::time::Duration::from_secs(5),
                1000,
            ),
            db,
            settings: Arc::new(settings),
            mailer,
        })
    }
}
