//! `spawn_app()`: the whole server on its own port with a fresh in-memory database.

#![allow(dead_code)]

use app::accounts::model::{DisplayName, Email, Handle, Password, Role};
use app::accounts::store::{self, NewUser};
use app::backend::config::Settings;
use app::backend::security::{hash_password, random_token};
use app::backend::AppState;
use leptos::config::LeptosOptions;

/// A 1×1 transparent PNG.
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0xE9, 0xFA, 0xDC, 0xD8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
    0xAE, 0x42, 0x60, 0x82,
];

#[derive(Clone)]
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("http client")
}

/// The `/metrics` bearer token every test app is configured with.
pub const METRICS_TOKEN: &str = "test-metrics-token";

/// The server as tests usually want it: the simulator with its test controls.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with `configure` applied to the settings last (test controls off, SMTP,
/// trusted proxies, …).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    server::telemetry::install_crypto_provider();
    // `TEST_LOG=1` shows the server's log (e.g. the cause behind a 500).
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn,app=info,server=info")
            .with_test_writer()
            .try_init();
    }
    let dir = std::env::temp_dir().join(format!("cohort-test-{}", random_token()));
    let mut settings = Settings::for_tests(dir.join("media"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    settings.addr = addr;
    settings.public_url = format!("http://{addr}");
    settings.stripe.api_base = Some(format!("http://{addr}/_stripe/"));
    settings.metrics_token = Some(app::backend::config::Secret::new(METRICS_TOKEN));
    configure(&mut settings);
    let options = LeptosOptions::builder()
        .output_name("cohort")
        .site_root(dir.join("site").display().to_string())
        .site_addr(addr)
        .build();
    let state = AppState::init(settings, options).await.expect("app state");
    let router = server::router(state.clone());
    tokio::spawn(async move {
        let _ = server::serve(listener, router).await;
    });
    TestApp {
        base: format!("http://{addr}"),
        client: client(),
        state,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `Authorization` for the simulator: the secret key this app generated and uses.
    pub fn stripe_auth(&self) -> String {
        format!("Bearer {}", self.state.settings.stripe.secret_key.expose())
    }

    /// Same server and database, a different browser (its own cookies).
    pub async fn fresh_client(&self) -> TestApp {
        TestApp {
            client: client(),
            ..self.clone()
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Calls a server function the way a form does (POST, urlencoded).
    pub async fn call(&self, name: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/{name}")))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// The CSRF token the server wrote into a page for this browser.
    pub async fn csrf(&self) -> String {
        let html = self.get("/").await.text().await.expect("html");
        let start = html
            .find("name=\"csrf-token\" content=\"")
            .expect("csrf meta")
            + 27;
        html[start..start + 43].to_string()
    }

    pub async fn sign_up(&self, email: &str, handle: &str, password: &str) -> String {
        let csrf = self.csrf().await;
        let mut name = handle.to_string();
        name[..1].make_ascii_uppercase();
        let res = self
            .call(
                "sign_up",
                &[
                    ("csrf", &csrf),
                    ("email", email),
                    ("display_name", &name),
                    ("handle", handle),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(res.status(), 200, "sign up of {email}");
        serde_json::from_str(&res.text().await.expect("body")).expect("email in JSON")
    }

    async fn session(&self) -> serde_json::Value {
        let res = self.call("get_session", &[]).await;
        assert_eq!(res.status(), 200);
        res.json().await.expect("session json")
    }

    pub async fn viewer_name(&self) -> Option<String> {
        self.session().await["viewer"]["display_name"]
            .as_str()
            .map(String::from)
    }

    pub async fn viewer_verified(&self) -> bool {
        self.session().await["viewer"]["email_verified"]
            .as_bool()
            .unwrap_or(false)
    }

    pub async fn viewer_avatar(&self) -> Option<String> {
        self.session().await["viewer"]["avatar_url"]
            .as_str()
            .map(String::from)
    }

    pub async fn user_count(&self) -> u64 {
        store::count_users(&self.state.db).await.expect("count")
    }

    /// The link in the newest mail to `to` with `subject`, read from the outbox.
    pub async fn last_mail_link(&self, to: &str, subject: &str) -> String {
        let mails = self.state.mailer.outbox(50).await.expect("outbox");
        let mail = mails
            .iter()
            .find(|m| m.to == to && m.subject == subject)
            .expect("mail in outbox");
        mail.body
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .expect("link in mail")
            .to_string()
    }

    /// Creates an admin account directly and logs this client in as it.
    pub async fn login_admin(&self) {
        let hash = hash_password(&Password::parse("admin password 1").unwrap())
            .await
            .unwrap();
        let email = format!(
            "admin-{}@example.com",
            &random_token()[..8].to_lowercase().replace(['-', '_'], "x")
        );
        store::create_user(
            &self.state.db,
            NewUser {
                email: &Email::parse(&email).unwrap(),
                handle: &Handle::parse(&format!(
                    "admin_{}",
                    &random_token()[..6].to_lowercase().replace(['-', '_'], "x")
                ))
                .unwrap_or_else(|_| Handle::parse("admin_x").unwrap()),
                display_name: &DisplayName::parse("Admin").unwrap(),
                password_hash: Some(&hash),
                roles: &[Role::Admin],
                verified: true,
            },
        )
        .await
        .expect("admin");
        let csrf = self.csrf().await;
        let res = self
            .call(
                "log_in",
                &[
                    ("csrf", &csrf),
                    ("email", &email),
                    ("password", "admin password 1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
    }

    /// Posts the avatar form; returns the outcome code the redirect carries.
    pub async fn upload_avatar(&self, csrf: &str, filename: &str, bytes: Vec<u8>) -> String {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_string())
            .mime_str("image/png")
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.to_string())
            .part("avatar", part);
        let res = self
            .client
            .post(self.url("/settings/avatar"))
            .multipart(form)
            .send()
            .await
            .expect("upload");
        res.url()
            .query_pairs()
            .find(|(k, _)| k == "avatar")
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| format!("no outcome (status {}, url {})", res.status(), res.url()))
    }
}
