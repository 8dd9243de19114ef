//! Security hardening (issue 13): redirects that stay on the site, bounded search, no promotion
//! or joining of unverified accounts, no live tokens in the outbox, login limits that cannot
//! lock the owner out, private caching, hashed session ids, a guarded `/metrics`, and a sign-up
//! that does not tell who has an account.

use app::accounts::model::{Email, Role};
use app::accounts::oidc::{self, OidcError};
use app::accounts::store;
use app::backend::config::{Secret, TrustedProxy};
use app::backend::mail::REDACTED;
use app::backend::security::token_hash;
use app::vars;
use serde::Deserialize;

use crate::courses_api::course_of_campaign;
use crate::support::{spawn_app, spawn_app_with, TestApp, METRICS_TOKEN};

const PASSWORD: &str = "correct horse battery";

/// A browser that does not follow redirects, so a test can read where it would be sent.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn csrf_of(client: &reqwest::Client, app: &TestApp) -> String {
    let html = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = html
        .find("name=\"csrf-token\" content=\"")
        .expect("csrf meta")
        + 27;
    html[start..start + 43].to_string()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap_or("<not text>").to_string())
        .unwrap_or_else(|| format!("<no location; status {}>", res.status()))
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

async fn count(app: &TestApp, table: &str) -> u64 {
    let row: Option<Count> = app
        .state
        .db
        .row(
            &format!("SELECT count() AS n FROM {table} GROUP ALL"),
            vars!(),
        )
        .await
        .unwrap();
    row.map(|c| c.n).unwrap_or(0)
}

/// Targets a browser would read as another site once it drops tabs and newlines and turns `\`
/// into `/`.
const EVIL_NEXTS: &[&str] = &[
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "//evil.example",
    "/.//evil.example",
    "https://evil.example/",
];

#[tokio::test]
async fn the_language_switch_never_redirects_off_the_site() {
    let app = spawn_app().await;
    let client = no_redirects();
    for next in EVIL_NEXTS {
        let res = client
            .get(app.url("/lang/zh-CN"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/", "next={next:?}");
    }
    let res = client
        .get(app.url("/lang/en"))
        .query(&[("next", "/courses?q=rust")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/courses?q=rust");
}

#[tokio::test]
async fn the_log_in_form_never_redirects_off_the_site() {
    let app = spawn_app().await;
    let email = "redirect@example.com";
    app.sign_up(email, "redirected", PASSWORD).await;
    for next in EVIL_NEXTS.iter().chain(&["/settings"]) {
        let client = no_redirects();
        let csrf = csrf_of(&client, &app).await;
        let res = client
            .post(app.url("/api/log_in"))
            .header("accept", "text/html")
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        let expected = if *next == "/settings" {
            "/settings"
        } else {
            "/"
        };
        assert_eq!(location(&res), expected, "next={next:?}");
    }
}

#[tokio::test]
async fn an_oversized_search_is_refused_before_any_work() {
    let app = spawn_app().await;
    let long = "a".repeat(101);
    let huge = "pyhton ".repeat(10_000);
    for (name, field) in [("course_catalogue", "query"), ("discover", "q")] {
        for q in [&long, &huge] {
            let res = app.call(name, &[(field, q.as_str())]).await;
            let status = res.status();
            let body = res.text().await.unwrap();
            assert_eq!(status, 400, "{name} with {} chars: {body}", q.len());
            assert!(body.contains("QueryTooLong"), "{body}");
        }
    }
    // Refused before the search budget (or anything else) was touched.
    assert_eq!(count(&app, "rate_limit").await, 0);
    // A query of the largest allowed length still works.
    let res = app
        .call("course_catalogue", &[("query", &"a".repeat(100))])
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn an_oversized_request_body_is_refused_with_413() {
    let app = spawn_app().await;
    let csrf = app.csrf().await;
    let before = app.user_count().await;
    let bio = "x".repeat(2 * 1024 * 1024);
    let res = app
        .call(
            "sign_up",
            &[
                ("csrf", &csrf),
                ("email", "big@example.com"),
                ("display_name", "Big"),
                ("handle", "big_body"),
                ("password", PASSWORD),
                ("padding", &bio),
            ],
        )
        .await;
    assert_eq!(res.status(), 413);
    assert_eq!(app.user_count().await, before);
}

#[tokio::test]
async fn search_has_a_per_address_budget() {
    let app = spawn_app_with(|s| s.search_per_minute = 5).await;
    for i in 0..5 {
        let res = app.call("discover", &[("q", "rust")]).await;
        assert_eq!(res.status(), 200, "search {i}");
    }
    let res = app.call("course_catalogue", &[("query", "rust")]).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    // Browsing without a query is not searching.
    assert_eq!(app.call("course_catalogue", &[]).await.status(), 200);
}

#[tokio::test]
async fn create_admin_refuses_an_unverified_account() {
    let app = spawn_app().await;
    // Anyone can sign up with the operator's address before the operator does.
    let email = "operator@example.com";
    app.sign_up(email, "squatter", PASSWORD).await;
    let outcome = server::seed::create_admin(&app.state, email).await;
    assert!(
        matches!(outcome, Err(server::seed::CreateAdminError::Unverified(_))),
        "{outcome:?}"
    );
    let user = store::find_by_email(&app.state.db, &Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!user.roles.contains(&Role::Admin));

    // Once the address is proven, the same command promotes it.
    store::mark_verified(&app.state.db, &user.id).await.unwrap();
    server::seed::create_admin(&app.state, email).await.unwrap();
    let user = store::get_user(&app.state.db, &user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(user.roles.contains(&Role::Admin));
}

#[tokio::test]
async fn oidc_does_not_join_an_unverified_local_account() {
    let app = spawn_app().await;
    let email = "victim@example.com";
    // The attacker registers the victim's address and keeps the password.
    app.sign_up(email, "pre_registered", PASSWORD).await;
    let claims: oidc::Claims = serde_json::from_value(serde_json::json!({
        "sub": "victim-at-provider",
        "email": email,
        "email_verified": true,
        "name": "Victim",
    }))
    .unwrap();
    let issuer = "https://idp.example";
    let outcome = oidc::account_for(&app.state.db, issuer, &claims).await;
    assert!(
        matches!(outcome, Err(OidcError::LocalUnverified)),
        "{outcome:?}"
    );
    assert_eq!(count(&app, "identity").await, 0);
    let user = store::find_by_email(&app.state.db, &Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        user.email_verified_at.is_none(),
        "not marked verified either"
    );

    // After the local account proves the address, the provider's identity joins it.
    store::mark_verified(&app.state.db, &user.id).await.unwrap();
    let joined = oidc::account_for(&app.state.db, issuer, &claims)
        .await
        .unwrap();
    assert_eq!(joined.id, user.id);
    assert_eq!(count(&app, "identity").await, 1);
}

#[tokio::test]
async fn with_smtp_the_outbox_keeps_no_live_token() {
    // Nothing listens on port 1: delivery fails, which is fine; what is stored is the point.
    let app = spawn_app_with(|s| s.smtp_url = Some(Secret::new("smtp://127.0.0.1:1"))).await;
    let email = "mailed@example.com";
    app.sign_up(email, "mailed", PASSWORD).await;
    let csrf = app.csrf().await;
    let res = app
        .call("request_reset", &[("csrf", &csrf), ("email", email)])
        .await;
    assert_eq!(res.status(), 200);
    let mails = app.state.mailer.outbox(50).await.unwrap();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    for (subject, path) in [
        ("Verify your email for Cohort", "/verify/"),
        ("Reset your Cohort password", "/reset/"),
    ] {
        let mail = mails
            .iter()
            .find(|m| m.subject == subject)
            .unwrap_or_else(|| panic!("{subject} in {subjects:?}"));
        assert!(
            mail.body.contains(&format!("{path}{REDACTED}")),
            "{}",
            mail.body
        );
        let live = mail.body.split_whitespace().any(|w| {
            w.rsplit('/').next().is_some_and(|t| {
                t.len() == 43
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
        });
        assert!(!live, "a live token is stored: {}", mail.body);
    }
}

#[tokio::test]
async fn without_smtp_the_outbox_is_the_mailbox_and_keeps_the_link() {
    let app = spawn_app().await;
    app.sign_up("dev@example.com", "dev_mode", PASSWORD).await;
    let link = app
        .last_mail_link("dev@example.com", "Verify your email for Cohort")
        .await;
    assert!(!link.contains(REDACTED), "{link}");
    assert_eq!(app.get(&link[app.base.len()..]).await.status(), 200);
}

async fn log_in_from(app: &TestApp, forwarded_for: &str, email: &str, password: &str) -> u16 {
    let who = app.fresh_client().await;
    let csrf = who.csrf().await;
    who.client
        .post(who.url("/api/log_in"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_wrong_password_flood_from_one_address_does_not_lock_the_owner_out() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1".parse::<TrustedProxy>().unwrap()];
    })
    .await;
    let email = "owner@example.com";
    app.sign_up(email, "the_owner", PASSWORD).await;
    let attacker = "203.0.113.9";
    for i in 0..5 {
        assert_eq!(
            log_in_from(&app, attacker, email, "wrong password!").await,
            401,
            "attempt {i}"
        );
    }
    // The attacker's address is stopped, even with the right password…
    assert_eq!(
        log_in_from(&app, attacker, email, "wrong password!").await,
        429
    );
    assert_eq!(log_in_from(&app, attacker, email, PASSWORD).await, 429);
    // …and the owner, behind the same proxy from their own address, is not.
    assert_eq!(
        log_in_from(&app, "198.51.100.7", email, PASSWORD).await,
        200
    );
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    // No trusted proxies: a made-up X-Forwarded-For per attempt does not buy fresh attempts.
    let app = spawn_app().await;
    let email = "spoofed@example.com";
    app.sign_up(email, "spoof_target", PASSWORD).await;
    for i in 0..5 {
        let fake = format!("192.0.2.{i}");
        assert_eq!(
            log_in_from(&app, &fake, email, "wrong password!").await,
            401
        );
    }
    assert_eq!(
        log_in_from(&app, "192.0.2.99", email, "wrong password!").await,
        429
    );
}

#[tokio::test]
async fn personalised_pages_and_answers_are_private_and_not_stored() {
    let app = spawn_app().await;
    let (creator, course) = course_of_campaign(&app, "cache_teacher").await;
    let lesson = format!("/courses/{}/lessons/{}", course.slug, course.preview);
    for path in ["/", "/login", lesson.as_str()] {
        let res = creator.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("private, no-store"),
            "{path}"
        );
    }
    let res = creator.call("get_session", &[]).await;
    assert_eq!(res.headers()["cache-control"], "private, no-store");
}

#[tokio::test]
async fn session_ids_are_stored_hashed() {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let app = spawn_app().await;
    let csrf = app.csrf().await;
    let res = app
        .call(
            "sign_up",
            &[
                ("csrf", &csrf),
                ("email", "hashed@example.com"),
                ("display_name", "Hashed"),
                ("handle", "hashed"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("cohort_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string();
    let rows: Vec<Row> = app
        .state
        .db
        .rows("SELECT record::id(id) AS id FROM session", vars!())
        .await
        .unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert!(!ids.contains(&cookie.as_str()), "{ids:?}");
    assert!(ids.contains(&token_hash(&cookie).as_str()), "{ids:?}");
    // And the cookie still signs its browser in.
    assert_eq!(app.viewer_name().await.as_deref(), Some("Hashed"));
}

#[tokio::test]
async fn metrics_need_the_configured_token() {
    let app = spawn_app().await;
    let get = |token: Option<&'static str>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(get(None).await.unwrap().status(), 401);
    assert_eq!(get(Some("wrong-token")).await.unwrap().status(), 401);
    let ok = get(Some(METRICS_TOKEN)).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("http_requests_total"));

    let off = spawn_app_with(|s| s.metrics_token = None).await;
    assert_eq!(off.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn sign_up_with_an_existing_email_answers_like_a_new_one_and_mails_the_owner() {
    let app = spawn_app().await;
    let email = "taken@example.com";
    app.sign_up(email, "first_owner", PASSWORD).await;
    let users = app.user_count().await;

    let stranger = app.fresh_client().await;
    let answer = stranger
        .sign_up(email, "second_try", "another password 1")
        .await;
    assert_eq!(answer, email);
    assert_eq!(app.user_count().await, users, "no second account");
    assert_eq!(stranger.viewer_name().await, None, "nobody signed in");
    let notice = app
        .last_mail_link(email, "Someone tried to sign up with your email")
        .await;
    assert!(notice.ends_with("/login"), "{notice}");
    // The stranger's password did not replace the owner's.
    assert_eq!(
        log_in_from(&app, "127.0.0.1", email, "another password 1").await,
        401
    );
    assert_eq!(log_in_from(&app, "127.0.0.1", email, PASSWORD).await, 200);
}
