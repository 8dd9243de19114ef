//! Sign-in with an OpenID Connect provider (authorization code flow with PKCE). The ID token is
//! checked against the provider's published keys, issuer, audience, expiry and our nonce; only
//! then is the person matched to an account.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{DisplayName, Email, Handle, Role};
use super::store::{self, NewUser, UserRow};
use crate::backend::config::OidcSettings;
use crate::backend::db::Db;
use crate::backend::security::random_token;
use crate::error::AppError;
use crate::vars;

/// What we keep in the session between sending someone to the provider and their return.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub next: String,
}

impl Pending {
    pub const SESSION_KEY: &'static str = "oidc_pending";

    pub fn new(next: String) -> Pending {
        Pending {
            state: random_token(),
            nonce: random_token(),
            verifier: random_token(),
            next,
        }
    }

    fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// The claims Cohort reads from an ID token.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub nonce: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("talking to the provider: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the ID token was refused: {0}")]
    Token(#[from] jsonwebtoken::errors::Error),
    #[error("{0}")]
    Protocol(&'static str),
    #[error("an account with this email exists and the provider did not verify the address")]
    EmailUnverified,
    /// The local account was never verified: whoever signed up with the address may not own
    /// it, and may still hold its password, so the provider's identity is not joined to it.
    #[error("an account with this email exists but its address is not verified")]
    LocalUnverified,
    #[error(transparent)]
    App(#[from] AppError),
}

#[derive(Clone)]
pub struct OidcClient {
    settings: OidcSettings,
    http: reqwest::Client,
    redirect_uri: String,
}

impl OidcClient {
    pub fn new(settings: OidcSettings, public_url: &str) -> OidcClient {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        OidcClient {
            settings,
            http,
            redirect_uri: format!("{public_url}/auth/oidc/callback"),
        }
    }

    pub fn label(&self) -> &str {
        &self.settings.label
    }

    pub fn issuer(&self) -> &str {
        &self.settings.issuer
    }

    async fn discover(&self) -> Result<Discovery, OidcError> {
        let url = format!("{}/.well-known/openid-configuration", self.settings.issuer);
        let d: Discovery = self
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if d.issuer.trim_end_matches('/') != self.settings.issuer {
            return Err(OidcError::Protocol("the provider names a different issuer"));
        }
        Ok(d)
    }

    /// Where to send the browser.
    pub async fn authorize_url(&self, pending: &Pending) -> Result<String, OidcError> {
        let d = self.discover().await?;
        let mut url = reqwest::Url::parse(&d.authorization_endpoint).map_err(|_| {
            OidcError::Protocol("the provider's authorization endpoint is not a URL")
        })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &pending.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Trades the code for an ID token and returns its verified claims.
    pub async fn finish(&self, pending: &Pending, code: &str) -> Result<Claims, OidcError> {
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: String,
        }
        let d = self.discover().await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("client_id", &self.settings.client_id),
            ("client_secret", self.settings.client_secret.expose()),
            ("code_verifier", &pending.verifier),
        ];
        let tokens: TokenResponse = self
            .http
            .post(&d.token_endpoint)
            .form(&form)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let keys: JwkSet = self
            .http
            .get(&d.jwks_uri)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;

        let header = decode_header(&tokens.id_token)?;
        let jwk = match &header.kid {
            Some(kid) => keys.find(kid),
            None => keys.keys.first(),
        }
        .ok_or(OidcError::Protocol("no provider key matches the ID token"))?;
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[&self.settings.client_id]);
        validation.set_issuer(&[&d.issuer]);
        let claims =
            decode::<Claims>(&tokens.id_token, &DecodingKey::from_jwk(jwk)?, &validation)?.claims;
        if claims.nonce.as_deref() != Some(pending.nonce.as_str()) {
            return Err(OidcError::Protocol(
                "the ID token's nonce does not match this sign-in",
            ));
        }
        Ok(claims)
    }
}

/// Finds or creates the Cohort account for verified `claims`. An existing account is joined
/// only through an identity already linked, or an email address the provider verified and the
/// local account verified too: an unverified address must never take over someone's account,
/// and a provider's word must never hand over an account someone else pre-registered.
pub async fn account_for(db: &Db, issuer: &str, claims: &Claims) -> Result<UserRow, OidcError> {
    #[derive(Deserialize)]
    struct Linked {
        user: String,
    }
    let linked: Option<Linked> = db
        .row(
            "SELECT record::id(user) AS user FROM identity WHERE issuer = $issuer AND subject = $sub LIMIT 1",
            vars!("issuer" => issuer, "sub" => &claims.sub),
        )
        .await
        .map_err(AppError::from)?;
    if let Some(l) = linked {
        if let Some(user) = store::get_user(db, &l.user).await? {
            return Ok(user);
        }
    }
    let email = claims
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .ok_or(OidcError::Protocol(
            "the provider did not share an email address",
        ))?;
    let user = match store::find_by_email(db, &email).await? {
        Some(_) if !claims.email_verified => return Err(OidcError::EmailUnverified),
        Some(existing) if existing.email_verified_at.is_none() => {
            return Err(OidcError::LocalUnverified)
        }
        Some(existing) => existing,
        None => create_from_claims(db, &email, claims).await?,
    };
    db.run(
        "CREATE identity SET issuer = $issuer, subject = $sub, user = type::record('user', $user)",
        vars!("issuer" => issuer, "sub" => &claims.sub, "user" => &user.id),
    )
    .await
    .map_err(AppError::from)?;
    if claims.email_verified {
        store::mark_verified(db, &user.id).await?;
    }
    Ok(user)
}

async fn create_from_claims(db: &Db, email: &Email, claims: &Claims) -> Result<UserRow, OidcError> {
    let local = email.as_str().split('@').next().unwrap_or("learner");
    let name = claims
        .name
        .as_deref()
        .and_then(|n| DisplayName::parse(n).ok())
        .or_else(|| DisplayName::parse(local).ok())
        .ok_or(OidcError::Protocol("no usable name"))?;
    let base = handle_base(claims.preferred_username.as_deref().unwrap_or(local));
    let mut handle = Handle::parse(&base).map_err(AppError::from)?;
    for _ in 0..20 {
        if store::find_by_handle(db, &handle).await?.is_none() {
            break;
        }
        let suffix: String = random_token()
            .chars()
            .filter(char::is_ascii_digit)
            .take(4)
            .collect();
        handle = Handle::parse(&format!("{}_{suffix}", &base[..base.len().min(24)]))
            .map_err(AppError::from)?;
    }
    Ok(store::create_user(
        db,
        NewUser {
            email,
            handle: &handle,
            display_name: &name,
            password_hash: None,
            roles: &[] as &[Role],
            verified: claims.email_verified,
        },
    )
    .await?)
}

/// A valid handle made from whatever the provider offers.
fn handle_base(raw: &str) -> String {
    let mut h: String = raw
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .take(30)
        .collect();
    if !h.starts_with(|c: char| c.is_ascii_lowercase()) {
        h.insert(0, 'u');
        h.truncate(30);
    }
    while h.len() < 3 {
        h.push('_');
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_from_provider_names_are_always_valid() {
        for raw in [
            "John.Doe",
            "42",
            "李雷",
            "a",
            "x".repeat(40).as_str(),
            "_under",
        ] {
            let h = handle_base(raw);
            assert!(Handle::parse(&h).is_ok(), "{raw} -> {h}");
        }
        assert_eq!(handle_base("John.Doe"), "johndoe");
    }

    #[test]
    fn pkce_challenge_is_the_s256_of_the_verifier() {
        let p = Pending {
            state: "s".into(),
            nonce: "n".into(),
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
            next: "/".into(),
        };
        // The example from RFC 7636, appendix B.
        assert_eq!(p.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
