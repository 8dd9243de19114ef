//! Typed configuration from the environment (the runtime contract in docs/design.md).

use std::net::{IpAddr, SocketAddr};
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
    pub stripe: StripeSettings,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`COHORT_TRUSTED_PROXIES`, e.g.
    /// `127.0.0.1,10.0.0.0/8`), so per-IP limits see the real client behind them.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Bearer token `/metrics` asks for (`COHORT_METRICS_TOKEN`); without one `/metrics` is off.
    pub metrics_token: Option<Secret>,
    /// Searches (campaign discovery, course catalogue) one address may run per minute
    /// (`COHORT_SEARCH_PER_MINUTE`, default 120; 0 turns the budget off, for benchmarks).
    pub search_per_minute: u32,
}

/// Plenty for people searching (a discovery search counts twice: campaigns and courses), even
/// behind a shared address; too few to keep a core busy.
pub const DEFAULT_SEARCH_PER_MINUTE: u32 = 120;

/// One address or network (`10.0.0.0/8`, `::1`) that `COHORT_TRUSTED_PROXIES` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    net: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    pub fn contains(&self, ip: &IpAddr) -> bool {
        fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
            if prefix == 0 {
                0
            } else {
                bits >> (width - prefix)
            }
        }
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n).into(), 32, self.prefix)
                    == masked(u32::from(a).into(), 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), 128, self.prefix) == masked(u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> Result<TrustedProxy, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network"))?;
        let net = net.to_canonical();
        let width = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("{s:?} has a bad prefix length"))?,
            None => width,
        };
        Ok(TrustedProxy { net, prefix })
    }
}

fn trusted_proxies_from(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<TrustedProxy>, ConfigError> {
    get("COHORT_TRUSTED_PROXIES")
        .map(|raw| {
            raw.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(str::parse::<TrustedProxy>)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|reason| ConfigError::Invalid {
                    name: "COHORT_TRUSTED_PROXIES",
                    reason,
                })
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Where payments go. Without `STRIPE_SECRET_KEY` the built-in simulator answers on this same
/// server under `/_stripe/` (see docs/payments.md).
#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// Empty until start-up when Cohort makes its own (see [`StripeSettings::generates_keys`]).
    pub secret_key: Secret,
    /// Empty until start-up when Cohort makes its own (no `STRIPE_WEBHOOK_SECRET`).
    pub webhook_secret: Secret,
    /// Base URL the client calls, ending in `/` (the client appends `v1/…`).
    pub api_base: Option<String>,
    /// True when Cohort serves the simulator itself.
    pub simulated: bool,
    /// True when `STRIPE_SECRET_KEY` names a Stripe account; otherwise no real money moves
    /// (the simulator, or another fake at `STRIPE_API_BASE`) and every page says so.
    pub stripe_account: bool,
    /// The simulator's test controls (`/_stripe/test/…`) are served: only when the server is
    /// started for tests (`COHORT_STRIPE_TEST_CONTROLS=1`), never with a Stripe account.
    pub test_controls: bool,
    /// Waits before each retry of a declined settlement charge (`COHORT_CHARGE_RETRIES`, e.g.
    /// `1d,3d,5d`); after the last one the pledge is dropped.
    pub retry_schedule: Vec<std::time::Duration>,
    /// How long after being charged a backer may refund a flexible pledge themselves.
    pub refund_window: std::time::Duration,
    /// How long backers may object after a milestone is marked delivered.
    pub milestone_window: std::time::Duration,
}

impl StripeSettings {
    /// The self-service refund window as a calendar span (7 days if the configured one does
    /// not fit one).
    pub fn refund_period(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.refund_window).unwrap_or_else(|_| chrono::Duration::days(7))
    }

    /// The refund window in whole days, as people are told it.
    pub fn refund_days(&self) -> u32 {
        u32::try_from(self.refund_period().num_days()).unwrap_or(u32::MAX)
    }
}

impl StripeSettings {
    /// Whether a key still has to be made at start-up (generated once, then stored in the
    /// database so the app and its simulator agree after a restart).
    pub fn generates_keys(&self) -> bool {
        self.secret_key.expose().is_empty() || self.webhook_secret.expose().is_empty()
    }
}

/// Whether a flag variable is on (`1`, `true`, `yes`, `on`).
fn flag(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::Invalid {
            name,
            reason: format!("{v:?} is not 1/true or 0/false"),
        }),
    }
}

/// Parses `30s`, `5m`, `2h`, `3d` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: u64 = num.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(secs))
}

fn stripe_from(
    get: &impl Fn(&str) -> Option<String>,
    addr: SocketAddr,
) -> Result<StripeSettings, ConfigError> {
    let retries_raw = get("COHORT_CHARGE_RETRIES").unwrap_or_else(|| "1d,3d,5d".into());
    let retry_schedule = retries_raw
        .split(',')
        .map(parse_duration)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ConfigError::Invalid {
            name: "COHORT_CHARGE_RETRIES",
            reason: format!("{retries_raw:?} is not a list like 1d,3d,5d"),
        })?;
    let window_raw = get("COHORT_REFUND_WINDOW").unwrap_or_else(|| "7d".into());
    let refund_window = parse_duration(&window_raw).ok_or_else(|| ConfigError::Invalid {
        name: "COHORT_REFUND_WINDOW",
        reason: format!("{window_raw:?} is not a duration like 7d"),
    })?;
    let milestone_raw = get("COHORT_MILESTONE_WINDOW").unwrap_or_else(|| "7d".into());
    let milestone_window = parse_duration(&milestone_raw).ok_or_else(|| ConfigError::Invalid {
        name: "COHORT_MILESTONE_WINDOW",
        reason: format!("{milestone_raw:?} is not a duration like 7d"),
    })?;
    let key = get("STRIPE_SECRET_KEY");
    let api_base = get("STRIPE_API_BASE").map(|b| format!("{}/", b.trim_end_matches('/')));
    let simulated = key.is_none() && api_base.is_none();
    let api_base = if simulated {
        // The simulator runs inside this server; call it on the loopback address.
        let host = if addr.ip().is_unspecified() {
            format!("127.0.0.1:{}", addr.port())
        } else {
            addr.to_string()
        };
        Some(format!("http://{host}/_stripe/"))
    } else {
        api_base
    };
    let test_controls = flag(get, "COHORT_STRIPE_TEST_CONTROLS")?;
    if test_controls && !simulated {
        return Err(ConfigError::Invalid {
            name: "COHORT_STRIPE_TEST_CONTROLS",
            reason: "only the built-in simulator has test controls; unset it with \
                     STRIPE_SECRET_KEY or STRIPE_API_BASE"
                .into(),
        });
    }
    // Without a Stripe account both keys are generated on first start (empty until then).
    let webhook_secret = match (get("STRIPE_WEBHOOK_SECRET"), &key) {
        (Some(s), _) => s,
        (None, None) => String::new(),
        (None, Some(_)) => {
            return Err(ConfigError::Invalid {
                name: "STRIPE_WEBHOOK_SECRET",
                reason: "required when STRIPE_SECRET_KEY is set".into(),
            })
        }
    };
    Ok(StripeSettings {
        stripe_account: key.is_some(),
        secret_key: Secret::new(key.unwrap_or_default()),
        webhook_secret: Secret::new(webhook_secret),
        api_base,
        simulated,
        test_controls,
        retry_schedule,
        refund_window,
        milestone_window,
    })
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
        let stripe = stripe_from(&get, addr)?;
        // A public https address with pretend payments would let people believe they paid.
        if public_url.starts_with("https://")
            && !stripe.stripe_account
            && !flag(&get, "COHORT_DEMO")?
        {
            return Err(ConfigError::Invalid {
                name: "PUBLIC_URL",
                reason: "is https, but no STRIPE_SECRET_KEY is set, so payments would go to the \
                         built-in Stripe simulator; set STRIPE_SECRET_KEY, or COHORT_DEMO=1 if \
                         this server is a demo"
                    .into(),
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
            stripe,
            trusted_proxies: trusted_proxies_from(&get)?,
            metrics_token: get("COHORT_METRICS_TOKEN").map(Secret::new),
            search_per_minute: match get("COHORT_SEARCH_PER_MINUTE") {
                None => DEFAULT_SEARCH_PER_MINUTE,
                Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                    name: "COHORT_SEARCH_PER_MINUTE",
                    reason: format!("{raw:?} is not a whole number"),
                })?,
            },
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Settings for tests: in-memory database, a temporary media folder, the simulator with
    /// its test controls.
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
            stripe: stripe_from(
                &|k: &str| (k == "COHORT_STRIPE_TEST_CONTROLS").then(|| "1".to_string()),
                "127.0.0.1:0".parse().expect("literal address"),
            )
            .expect("default Stripe settings"),
            trusted_proxies: Vec::new(),
            metrics_token: None,
            search_per_minute: DEFAULT_SEARCH_PER_MINUTE,
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
    fn without_a_stripe_key_the_keys_are_generated_not_fixed() {
        let s = settings(&[]).unwrap().stripe;
        assert!(s.simulated && !s.stripe_account && !s.test_controls);
        assert!(s.generates_keys());
        // Another fake at STRIPE_API_BASE gets a generated webhook secret too.
        let s = settings(&[("STRIPE_API_BASE", "http://127.0.0.1:12111")])
            .unwrap()
            .stripe;
        assert!(!s.simulated && s.webhook_secret.expose().is_empty());
        let s = settings(&[
            ("STRIPE_SECRET_KEY", "sk_test_real"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_real"),
        ])
        .unwrap()
        .stripe;
        assert!(s.stripe_account && !s.generates_keys());
    }

    #[test]
    fn test_controls_are_off_by_default_and_never_with_stripe() {
        let on = settings(&[("COHORT_STRIPE_TEST_CONTROLS", "1")]).unwrap();
        assert!(on.stripe.test_controls);
        let e = settings(&[
            ("COHORT_STRIPE_TEST_CONTROLS", "1"),
            ("STRIPE_SECRET_KEY", "sk_test_real"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_real"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("COHORT_STRIPE_TEST_CONTROLS"), "{e}");
        assert!(settings(&[("COHORT_STRIPE_TEST_CONTROLS", "maybe")]).is_err());
    }

    #[test]
    fn an_https_server_refuses_the_simulator_unless_it_is_a_demo() {
        let https = ("PUBLIC_URL", "https://cohort.example");
        let e = settings(&[https]).unwrap_err();
        assert!(e.to_string().contains("COHORT_DEMO"), "{e}");
        assert!(settings(&[https, ("COHORT_DEMO", "1")]).is_ok());
        assert!(settings(&[https, ("COHORT_DEMO", "0")]).is_err());
        assert!(settings(&[
            https,
            ("STRIPE_SECRET_KEY", "sk_live_real"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_real"),
        ])
        .is_ok());
        assert!(settings(&[("PUBLIC_URL", "http://demo.local")]).is_ok());
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_networks() {
        let s = settings(&[("COHORT_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")]).unwrap();
        let ip = |a: &str| a.parse::<IpAddr>().unwrap();
        let trusts = |a: &str| s.trusted_proxies.iter().any(|t| t.contains(&ip(a)));
        assert!(trusts("127.0.0.1"));
        assert!(trusts("10.200.3.4"));
        assert!(trusts("::1"));
        assert!(trusts("::ffff:10.1.1.1"));
        assert!(!trusts("127.0.0.2"));
        assert!(!trusts("11.0.0.1"));
        assert!(settings(&[]).unwrap().trusted_proxies.is_empty());
        let e = settings(&[("COHORT_TRUSTED_PROXIES", "10.0.0.0/33")]).unwrap_err();
        assert!(e.to_string().contains("COHORT_TRUSTED_PROXIES"));
        assert!(settings(&[("COHORT_TRUSTED_PROXIES", "proxy.local")]).is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let s = settings(&[("SMTP_URL", "smtp://user:hunter2@mail")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        let s = settings(&[
            ("PUBLIC_URL", "https://cohort.example/"),
            ("COHORT_DEMO", "1"),
        ])
        .unwrap();
        assert_eq!(s.public_url, "https://cohort.example");
        assert!(s.secure_cookies());
    }
}
