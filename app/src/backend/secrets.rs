//! Keys Cohort makes for itself: without a Stripe account, the secret key the app sends to the
//! simulator (or another fake) and the webhook signing secret. Each is generated on first start
//! and stored in the database, so the app, its simulator and every instance sharing the
//! database agree, before and after a restart.

use super::config::{Secret, StripeSettings};
use super::db::{Db, DbError};
use super::security::random_token;
use crate::vars;

/// The stored value of secret `name`, created from `fresh` if there is none yet. Two instances
/// starting together both end with the value the first one stored.
async fn load_or_create(db: &Db, name: &str, fresh: String) -> Result<String, DbError> {
    let stored: Option<String> = db
        .row(
            "UPSERT type::record('app_secret', $name) SET secret = secret ?? $fresh \
             RETURN VALUE secret",
            vars!("name" => name, "fresh" => fresh),
        )
        .await?;
    stored.ok_or_else(|| {
        use serde::de::Error as _;
        DbError::Decode(serde_json::Error::custom(format!(
            "secret {name} was not stored"
        )))
    })
}

/// A random value shaped like Stripe's (`prefix` + 43 URL-safe characters).
fn generate(prefix: &str) -> String {
    format!("{prefix}{}", random_token().replace(['-', '_'], "x"))
}

/// Fills in the keys the settings leave to Cohort (see [`StripeSettings::generates_keys`]).
pub async fn fill_stripe_keys(db: &Db, stripe: &mut StripeSettings) -> Result<(), DbError> {
    if stripe.secret_key.expose().is_empty() {
        let key = load_or_create(db, "stripe_secret_key", generate("sk_test_")).await?;
        stripe.secret_key = Secret::new(key);
    }
    if stripe.webhook_secret.expose().is_empty() {
        let secret = load_or_create(db, "stripe_webhook_secret", generate("whsec_")).await?;
        stripe.webhook_secret = Secret::new(secret);
    }
    Ok(())
}
