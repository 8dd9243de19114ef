//! Typed configuration from the environment (the runtime contract in docs/design.md).

use std::net::SocketAddr;
use std::path::PathBuf;

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub database_url: String,
    pub database_user: Option<String>,
    pub database_pass: Option<Secret>,
    /// Absolute base URL without a trailing slash, used in mail and share links.
    pub public_url: String,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub media_dir: PathBuf,
    /// Sign-in with an OpenID Connect provider, when `OIDC_ISSUER` and friends are set.
    pub oidc: Option<OidcSettings>,
}

#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// What the button says after "Continue with", e.g. "Google" or "Company SSO".
    pub label: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl Settings {
    /// Reads the environment; every knob has a default that works on a laptop.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let addr_raw = get("COHORT_ADDR")
            .or_else(|| get("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_raw.parse().map_err(|e| ConfigError::Invalid {
            name: "COHORT_ADDR",
            reason: format!("{addr_raw:?}: {e}"),
        })?;
        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "surrealkv://./data/cohort.db".into());
        let known = ["surrealkv://", "mem://", "memory", "ws://", "wss://"];
        if !known.iter().any(|p| database_url.starts_with(p)) {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                reason: format!(
                    "{database_url:?} must start with surrealkv://, mem://, ws:// or wss://"
                ),
            });
        }
        let public_url = get("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name: "PUBLIC_URL",
                reason: "must start with http:// or https://".into(),
            });
        }
        Ok(Settings {
            addr,
            database_url,
            database_user: get("DATABASE_USER"),
            database_pass: get("DATABASE_PASS").map(Secret::new),
            public_url,
            smtp_url: get("SMTP_URL").map(Secret::new),
            mail_from: get("MAIL_FROM").unwrap_or_else(|| "Cohort <no-reply@cohort.local>".into()),
            media_dir: get("MEDIA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("./data/media")),
            oidc: oidc_from(&get)?,
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Settings for tests: in-memory database, a temporary media folder.
    pub fn for_tests(media_dir: PathBuf) -> Settings {
        Settings {
            addr: "127.0.0.1:0".parse().expect("literal address"),
            database_url: "mem://".into(),
            database_user: None,
            database_pass: None,
            public_url: "http://127.0.0.1".into(),
            smtp_url: None,
            mail_from: "Cohort <no-reply@cohort.local>".into(),
            media_dir,
            oidc: None,
        }
    }
}

fn oidc_from(get: &impl Fn(&str) -> Option<String>) -> Result<Option<OidcSettings>, ConfigError> {
    let Some(issuer) = get("OIDC_ISSUER") else {
        return Ok(None);
    };
    let need = |name: &'static str| {
        get(name).ok_or(ConfigError::Invalid {
            name,
            reason: "required when OIDC_ISSUER is set".into(),
        })
    };
    Ok(Some(OidcSettings {
        issuer: issuer.trim_end_matches('/').to_string(),
        client_id: need("OIDC_CLIENT_ID")?,
        client_secret: Secret::new(need("OIDC_CLIENT_SECRET")?),
        label: get("OIDC_LABEL").unwrap_or_else(|| "single sign-on".into()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_runtime_contract() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.database_url, "surrealkv://./data/cohort.db");
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert!(s.smtp_url.is_none());
        assert!(!s.secure_cookies());
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_name() {
        let e = settings(&[("DATABASE_URL", "postgres://x")]).unwrap_err();
        assert!(e.to_string().contains("DATABASE_URL"));
        assert!(settings(&[("COHORT_ADDR", "nowhere")]).is_err());
        assert!(settings(&[("PUBLIC_URL", "ftp://x")]).is_err());
    }

    #[test]
    fn oidc_needs_its_client_when_an_issuer_is_set() {
        assert!(settings(&[]).unwrap().oidc.is_none());
        let e = settings(&[("OIDC_ISSUER", "http://localhost:9000")]).unwrap_err();
        assert!(e.to_string().contains("OIDC_CLIENT_ID"));
        let s = settings(&[
            ("OIDC_ISSUER", "http://localhost:9000/"),
            ("OIDC_CLIENT_ID", "cohort"),
            ("OIDC_CLIENT_SECRET", "s3cret-value"),
        ])
        .unwrap();
        let oidc = s.oidc.clone().unwrap();
        assert_eq!(oidc.issuer, "http://localhost:9000");
        assert!(!format!("{s:?}").contains("s3cret-value"));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = settings(&[("SMTP_URL", "smtp://user:hunter2@mail")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        let s = settings(&[("PUBLIC_URL", "https://cohort.example/")]).unwrap();
        assert_eq!(s.public_url, "https://cohort.example");
        assert!(s.secure_cookies());
    }
}
