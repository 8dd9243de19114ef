//! Integration tests: the real router on a real port, an in-memory SurrealDB per test, and HTTP
//! requests the way a browser (or a script) would send them.

// Leptos view types of the larger pages (campaign editor, campaign page) nest deeper than
// rustc's default limit allows when computing their layout.
#![recursion_limit = "512"]

mod access_api;
mod campaign_api;
mod certificate_download;
mod courses_api;
mod courses_assessment;
mod courses_media;
mod disputes_api;
mod moderation_api;
mod money_flows;
mod payments_api;
mod security_api;
mod stripe_guard;
mod stripe_sim_api;
mod support;

use support::spawn_app;

#[tokio::test]
async fn health_metrics_robots_and_sitemap_answer() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let robots = app.get("/robots.txt").await.text().await.unwrap();
    assert!(robots.contains("Sitemap: http://"), "{robots}");

    let sitemap = app.get("/sitemap.xml").await;
    assert_eq!(
        sitemap.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    assert!(sitemap.text().await.unwrap().contains("<urlset"));

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(support::METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/healthz\""), "{metrics}");
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "{metrics}"
    );
}

#[tokio::test]
async fn pages_render_on_the_server_with_security_headers() {
    let app = spawn_app().await;
    let home = app.get("/").await;
    assert_eq!(home.status(), 200);
    let csp = home.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src") && csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(home.headers()["x-content-type-options"], "nosniff");
    let html = home.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\""), "{html}");
    assert!(html.contains("Fund your course"));

    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn language_follows_accept_language_then_the_switch() {
    let app = spawn_app().await;
    let zh = app
        .client
        .get(app.url("/"))
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    let html = zh.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\""));
    assert!(html.contains("登录"));

    let switched = app.get("/lang/en?next=/login").await;
    assert_eq!(switched.url().path(), "/login");
    let html = app
        .client
        .get(app.url("/"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<html lang=\"en\""),
        "the cookie should win over Accept-Language"
    );

    // An open redirect through ?next= is refused.
    let evil = app.get("/lang/en?next=//evil.example").await;
    assert_eq!(evil.url().host_str(), Some("127.0.0.1"));
}

#[tokio::test]
async fn sign_up_verify_log_out_and_log_in() {
    let app = spawn_app().await;
    let email = app
        .sign_up("ada@example.com", "ada", "correct horse battery")
        .await;
    assert_eq!(email, "ada@example.com");
    assert_eq!(app.viewer_name().await.as_deref(), Some("Ada"));

    let link = app
        .last_mail_link("ada@example.com", "Verify your email for Cohort")
        .await;
    let token = link.rsplit('/').next().unwrap().to_string();
    let ok = app.call("verify_email", &[("token", &token)]).await;
    assert_eq!(ok.status(), 200);
    assert!(app.viewer_verified().await);
    let again = app.call("verify_email", &[("token", &token)]).await;
    assert_eq!(again.status(), 422, "a verification link works once");

    let csrf = app.csrf().await;
    assert_eq!(app.call("log_out", &[("csrf", &csrf)]).await.status(), 200);
    assert_eq!(app.viewer_name().await, None);

    let csrf = app.csrf().await;
    let login = app
        .call(
            "log_in",
            &[
                ("csrf", &csrf),
                ("email", "ADA@example.com"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(login.status(), 200);
    assert_eq!(app.viewer_name().await.as_deref(), Some("Ada"));
}

#[tokio::test]
async fn bad_sign_up_input_gets_a_clear_error_and_creates_nothing() {
    let app = spawn_app().await;
    app.sign_up("taken@example.com", "taken", "correct horse battery")
        .await;
    let other = app.fresh_client().await;
    let csrf = other.csrf().await;
    let cases: &[(&str, &str, &str, u16, &str)] = &[
        (
            "not-an-email",
            "newbie",
            "correct horse battery",
            422,
            "InvalidEmail",
        ),
        ("new@example.com", "newbie", "short", 422, "WeakPassword"),
        (
            "new@example.com",
            "A!",
            "correct horse battery",
            422,
            "InvalidHandle",
        ),
        (
            "new@example.com",
            "taken",
            "correct horse battery",
            409,
            "HandleTaken",
        ),
    ];
    for (email, handle, password, status, problem) in cases {
        let res = other
            .call(
                "sign_up",
                &[
                    ("csrf", &csrf),
                    ("email", email),
                    ("display_name", "New"),
                    ("handle", handle),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), *status, "{email} {handle}");
        assert!(res.text().await.unwrap().contains(problem), "{problem}");
    }
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn a_forged_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    let _ = app.csrf().await;
    let res = app
        .call(
            "sign_up",
            &[
                ("csrf", "forged-token"),
                ("email", "eve@example.com"),
                ("display_name", "Eve"),
                ("handle", "eve"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Csrf"));
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn cross_site_posts_are_refused_before_any_handler_runs() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/log_out"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_rate_limited() {
    let app = spawn_app().await;
    app.sign_up("bob@example.com", "bob", "correct horse battery")
        .await;
    let other = app.fresh_client().await;
    let csrf = other.csrf().await;
    for _ in 0..5 {
        let res = other
            .call(
                "log_in",
                &[
                    ("csrf", &csrf),
                    ("email", "bob@example.com"),
                    ("password", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(res.status(), 401);
        assert!(res.text().await.unwrap().contains("WrongCredentials"));
    }
    let limited = other
        .call(
            "log_in",
            &[
                ("csrf", &csrf),
                ("email", "bob@example.com"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        other.viewer_name().await,
        None,
        "even the right password waits out the window"
    );
}

#[tokio::test]
async fn password_reset_works_once_and_ends_old_sessions() {
    let app = spawn_app().await;
    app.sign_up("cy@example.com", "cyd", "old password 123")
        .await;
    let visitor = app.fresh_client().await;
    let csrf = visitor.csrf().await;
    let res = visitor
        .call(
            "request_reset",
            &[("csrf", &csrf), ("email", "cy@example.com")],
        )
        .await;
    assert_eq!(res.status(), 200);
    // Unknown addresses get the same answer and no mail.
    let res = visitor
        .call(
            "request_reset",
            &[("csrf", &csrf), ("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(res.status(), 200);

    let link = app
        .last_mail_link("cy@example.com", "Reset your Cohort password")
        .await;
    let token = link.rsplit('/').next().unwrap().to_string();
    let weak = visitor
        .call(
            "reset_password",
            &[("csrf", &csrf), ("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status(), 422);
    let ok = visitor
        .call(
            "reset_password",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", "new password 456"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
    let reused = visitor
        .call(
            "reset_password",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", "another one 789"),
            ],
        )
        .await;
    assert_eq!(reused.status(), 422);
    assert!(reused.text().await.unwrap().contains("InvalidResetLink"));

    assert_eq!(
        app.viewer_name().await,
        None,
        "the session that existed before the reset is gone"
    );
    let old = visitor
        .call(
            "log_in",
            &[
                ("csrf", &csrf),
                ("email", "cy@example.com"),
                ("password", "old password 123"),
            ],
        )
        .await;
    assert_eq!(old.status(), 401);
    let new = visitor
        .call(
            "log_in",
            &[
                ("csrf", &csrf),
                ("email", "cy@example.com"),
                ("password", "new password 456"),
            ],
        )
        .await;
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn profiles_are_edited_by_their_owner_and_public_without_email() {
    let app = spawn_app().await;
    let anon = app.fresh_client().await;
    let csrf = anon.csrf().await;
    let res = anon
        .call(
            "save_profile",
            &[
                ("csrf", &csrf),
                ("display_name", "X"),
                ("handle", "xx_x"),
                ("bio", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 401);

    app.sign_up("dee@example.com", "dee", "correct horse battery")
        .await;
    let csrf = app.csrf().await;
    let res = app
        .call(
            "save_profile",
            &[
                ("csrf", &csrf),
                ("display_name", "Dee Dee"),
                ("handle", "dee_dee"),
                ("bio", "Teaches <b>knitting</b>."),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let profile = anon
        .call("get_profile", &[("handle", "dee_dee")])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        profile.contains("Dee Dee") && profile.contains("knitting"),
        "{profile}"
    );
    assert!(
        !profile.contains("dee@example.com"),
        "public profiles never carry the email"
    );

    let page = anon.get("/u/dee_dee").await.text().await.unwrap();
    assert!(
        page.contains("Teaches &lt;b&gt;knitting&lt;/b&gt;."),
        "bios render as text, never HTML"
    );
    assert_eq!(anon.get("/u/nobody_here").await.status(), 404);

    let csrf = app.csrf().await;
    assert_eq!(
        app.call("become_creator", &[("csrf", &csrf)])
            .await
            .status(),
        200
    );
    let profile = anon
        .call("get_profile", &[("handle", "dee_dee")])
        .await
        .text()
        .await
        .unwrap();
    assert!(profile.contains("\"is_creator\":true"), "{profile}");
}

#[tokio::test]
async fn only_admins_read_the_outbox() {
    let app = spawn_app().await;
    app.sign_up("eve@example.com", "eve", "correct horse battery")
        .await;
    assert_eq!(app.call("list_outbox", &[]).await.status(), 403);
    let admin = app.fresh_client().await;
    admin.login_admin().await;
    let res = admin.call("list_outbox", &[]).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("eve@example.com"));
}

#[tokio::test]
async fn avatar_uploads_check_token_size_and_real_type() {
    let app = spawn_app().await;
    app.sign_up("fay@example.com", "fay", "correct horse battery")
        .await;
    let csrf = app.csrf().await;

    let outcome = app
        .upload_avatar(&csrf, "x.png", b"not an image at all".to_vec())
        .await;
    assert_eq!(outcome, "type");
    let outcome = app
        .upload_avatar(&csrf, "big.png", vec![0u8; 2 * 1024 * 1024 + 10])
        .await;
    assert_eq!(outcome, "size");
    let outcome = app
        .upload_avatar("forged", "a.png", support::PNG_1X1.to_vec())
        .await;
    assert_eq!(outcome, "csrf");
    assert!(
        app.viewer_avatar().await.is_none(),
        "failed uploads change nothing"
    );

    let outcome = app
        .upload_avatar(&csrf, "a.png", support::PNG_1X1.to_vec())
        .await;
    assert_eq!(outcome, "ok");
    let url = app.viewer_avatar().await.expect("avatar set");
    let img = app.get(&url).await;
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn concurrent_sign_ups_with_one_email_create_one_account() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let client = app.fresh_client().await;
        tasks.push(tokio::spawn(async move {
            let csrf = client.csrf().await;
            let handle = format!("racer{i}");
            client
                .call(
                    "sign_up",
                    &[
                        ("csrf", &csrf),
                        ("email", "race@example.com"),
                        ("display_name", "Racer"),
                        ("handle", &handle),
                        ("password", "correct horse battery"),
                    ],
                )
                .await
                .status()
                .as_u16()
        }));
    }
    // Every racer gets the same answer (sign-up does not tell who has an account); one wins.
    for t in tasks {
        let status = t.await.unwrap();
        assert_eq!(status, 200);
    }
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn migrations_are_safe_to_run_twice() {
    let app = spawn_app().await;
    let applied = app::backend::migrations::migrate(&app.state.db)
        .await
        .unwrap();
    assert!(applied.is_empty(), "{applied:?}");
}

#[tokio::test]
async fn demo_seed_fills_an_empty_database_once() {
    let app = spawn_app().await;
    server::seed::seed_demo(&app.state).await.unwrap();
    let n = app.user_count().await;
    assert!(n >= 5, "{n}");
    server::seed::seed_demo(&app.state).await.unwrap();
    assert_eq!(app.user_count().await, n);
    let home = app.get("/").await.text().await.unwrap();
    assert!(
        home.contains("Maya Okafor"),
        "creators appear on the home page"
    );
}

#[tokio::test]
async fn create_admin_promotes_or_creates() {
    let app = spawn_app().await;
    app.sign_up("gus@example.com", "gus", "correct horse battery")
        .await;
    // Only a verified address is promoted (security_api covers the refusal).
    let link = app
        .last_mail_link("gus@example.com", "Verify your email for Cohort")
        .await;
    let token = link.rsplit('/').next().unwrap();
    assert_eq!(
        app.call("verify_email", &[("token", token)]).await.status(),
        200
    );
    let msg = server::seed::create_admin(&app.state, "gus@example.com")
        .await
        .unwrap();
    assert!(msg.contains("now an admin"));
    assert_eq!(app.call("list_outbox", &[]).await.status(), 200);
    let msg = server::seed::create_admin(&app.state, "new-admin@example.com")
        .await
        .unwrap();
    assert!(msg.contains("Created admin"));
    assert!(server::seed::create_admin(&app.state, "not an email")
        .await
        .is_err());
}

#[tokio::test]
async fn an_sso_callback_this_browser_did_not_start_is_refused() {
    let app = spawn_app().await;
    // Without a provider configured, both ends of the flow send people back to the log-in page.
    let res = app.get("/auth/oidc/start?next=/settings").await;
    assert_eq!(res.url().path(), "/login");
    assert_eq!(res.url().query(), Some("sso=off"));
    let res = app.get("/auth/oidc/callback?code=x&state=y").await;
    assert_eq!(res.url().query(), Some("sso=off"));
    assert_eq!(app.viewer_name().await, None);
}

#[tokio::test]
async fn accounts_without_a_password_can_exist_and_never_log_in_by_password() {
    let app = spawn_app().await;
    let email = app::accounts::model::Email::parse("sso-only@example.com").unwrap();
    app::accounts::store::create_user(
        &app.state.db,
        app::accounts::store::NewUser {
            email: &email,
            handle: &app::accounts::model::Handle::parse("sso_only").unwrap(),
            display_name: &app::accounts::model::DisplayName::parse("SSO Only").unwrap(),
            password_hash: None,
            roles: &[],
            verified: true,
        },
    )
    .await
    .unwrap();
    let csrf = app.csrf().await;
    let res = app
        .call(
            "log_in",
            &[
                ("csrf", &csrf),
                ("email", "sso-only@example.com"),
                ("password", "anything at all"),
            ],
        )
        .await;
    assert_eq!(res.status(), 401);
}
