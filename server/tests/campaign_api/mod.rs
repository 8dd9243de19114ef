//! Campaign server functions and routes: who may do what, bad input refused without change,
//! the review flow, the page for each kind of viewer, sharing, search and the deadline job.

use serde_json::{json, Value};

use crate::support::{spawn_app, TestApp, PNG_1X1};

/// The campaign's comments as a visitor sees them.
async fn comments_of(app: &TestApp, id: &str) -> Vec<Value> {
    let list: Value = app
        .call("list_comments", &[("campaign_id", id)])
        .await
        .json()
        .await
        .unwrap();
    list.as_array().expect("a list of comments").clone()
}

/// A signed-up creator, in its own browser.
pub async fn creator(app: &TestApp, handle: &str) -> TestApp {
    let c = app.fresh_client().await;
    c.sign_up(
        &format!("{handle}@example.com"),
        handle,
        "correct horse battery",
    )
    .await;
    let csrf = c.csrf().await;
    assert_eq!(
        c.call("become_creator", &[("csrf", &csrf)]).await.status(),
        200
    );
    c
}

pub async fn start(c: &TestApp, title: &str) -> String {
    let csrf = c.csrf().await;
    let res = c
        .call(
            "start_campaign",
            &[("csrf", &csrf), ("title", title), ("category", "course")],
        )
        .await;
    assert_eq!(res.status(), 200, "start {title}");
    res.json().await.unwrap()
}

pub fn today(offset_days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset_days)).to_string()
}

pub fn complete_draft(slug: &str, title: &str) -> Value {
    json!({
        "title": title, "slug": slug,
        "pitch": "A practical course on the thing, with exercises.",
        "story": "## Plan\n\nTwelve chapters, exercises and solutions. <script>alert(1)</script>",
        "video_url": "", "category": "course", "tags": "rust, web",
        "currency": "USD", "goal": "5000", "starts_on": today(0), "ends_on": today(30),
        "mode": "all_or_nothing", "faq": [],
        "tiers": [{ "id": null, "title": "Early bird", "description": "The course.", "min_amount": "25",
                    "quantity": "10", "delivery": "", "grants": "course" }],
        "stretch_goals": [], "milestones": [],
    })
}

pub async fn save(c: &TestApp, id: &str, draft: Value) -> reqwest::Response {
    let csrf = c.csrf().await;
    c.client
        .post(c.url("/api/save_campaign"))
        .json(&json!({ "csrf": csrf, "id": id, "draft": draft }))
        .send()
        .await
        .unwrap()
}

/// A campaign approved by an admin and live (its start date is today).
pub async fn live_campaign(
    app: &TestApp,
    handle: &str,
    slug: &str,
    title: &str,
) -> (TestApp, String) {
    live_campaign_from(app, handle, complete_draft(slug, title)).await
}

/// Like `live_campaign`, from a whole draft (another mode, other tiers).
pub async fn live_campaign_from(app: &TestApp, handle: &str, draft: Value) -> (TestApp, String) {
    let c = creator(app, handle).await;
    let title = draft["title"].as_str().unwrap_or("A campaign").to_string();
    let id = start(&c, &title).await;
    assert_eq!(save(&c, &id, draft).await.status(), 200);
    let csrf = c.csrf().await;
    assert_eq!(
        c.call("submit_campaign", &[("csrf", &csrf), ("id", &id)])
            .await
            .status(),
        200
    );
    let admin = app.fresh_client().await;
    admin.login_admin().await;
    let csrf = admin.csrf().await;
    let res = admin
        .call(
            "review_campaign",
            &[("csrf", &csrf), ("id", &id), ("approve", "true")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<String>().await.unwrap(), "live");
    (c, id)
}

/// Makes `user` a backer the way settlement will: charged, `paid` (a saved card is not a
/// backer yet: `payments::rules::is_backer`; the payments tests own the real flow).
async fn back(app: &TestApp, campaign: &str, handle: &str, amount: i64) {
    app.state
        .db
        .run(
            "LET $u = (SELECT VALUE id FROM user WHERE handle = $h)[0];
             CREATE pledge SET campaign = type::record('campaign', $c), backer = $u, amount = $a,
                currency = 'USD', state = 'paid', paid = $a, paid_at = time::now();
             UPDATE type::record('campaign', $c) SET pledged += $a, backers += 1;",
            json!({ "c": campaign, "h": handle, "a": amount }),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn only_creators_start_campaigns_and_only_owners_see_drafts() {
    let app = spawn_app().await;
    let anon = app.fresh_client().await;
    let csrf = anon.csrf().await;
    let res = anon
        .call(
            "start_campaign",
            &[("csrf", &csrf), ("title", "A title"), ("category", "book")],
        )
        .await;
    assert_eq!(res.status(), 401);

    let plain = app.fresh_client().await;
    plain
        .sign_up("plain@example.com", "plain", "correct horse battery")
        .await;
    let csrf = plain.csrf().await;
    let res = plain
        .call(
            "start_campaign",
            &[("csrf", &csrf), ("title", "A title"), ("category", "book")],
        )
        .await;
    assert_eq!(res.status(), 403);

    let c = creator(&app, "maker").await;
    let csrf = c.csrf().await;
    let res = c
        .call(
            "start_campaign",
            &[
                ("csrf", "forged"),
                ("title", "Rust for everyone"),
                ("category", "course"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403, "forged CSRF token");
    let res = c
        .call(
            "start_campaign",
            &[("csrf", &csrf), ("title", "Ru"), ("category", "course")],
        )
        .await;
    assert_eq!(res.status(), 422, "title too short");
    let id = start(&c, "Rust for everyone").await;

    assert_eq!(c.call("load_editor", &[("id", &id)]).await.status(), 200);
    assert_eq!(
        plain.call("load_editor", &[("id", &id)]).await.status(),
        404
    );
    assert_eq!(anon.call("load_editor", &[("id", &id)]).await.status(), 401);
    assert_eq!(
        save(&plain, &id, complete_draft("x-y-z", "Not mine at all"))
            .await
            .status(),
        404
    );
    assert_eq!(
        plain
            .call("campaign_dashboard", &[("id", &id)])
            .await
            .status(),
        404
    );
    assert_eq!(
        plain
            .call(
                "submit_campaign",
                &[("csrf", &plain.csrf().await), ("id", &id)]
            )
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn incomplete_drafts_are_kept_but_cannot_be_submitted() {
    let app = spawn_app().await;
    let c = creator(&app, "drafter").await;
    let id = start(&c, "Half-written campaign").await;
    let mut draft = complete_draft("half-written", "Half-written campaign");
    draft["goal"] = json!("-5");
    draft["ends_on"] = json!(today(90));
    draft["tiers"][0]["min_amount"] = json!("9999999");
    let res = save(&c, &id, draft).await;
    assert_eq!(res.status(), 200, "autosave keeps what was typed");
    let outcome: Value = res.json().await.unwrap();
    let problems: Vec<String> = serde_json::from_value(outcome["problems"].clone()).unwrap();
    assert!(problems.contains(&"GoalAmount".to_string()), "{problems:?}");
    assert!(problems.contains(&"Duration".to_string()), "{problems:?}");
    let editor: Value = c
        .call("load_editor", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(editor["draft"]["goal"], "-5");
    let csrf = c.csrf().await;
    assert_eq!(
        c.call("submit_campaign", &[("csrf", &csrf), ("id", &id)])
            .await
            .status(),
        409
    );

    // A taken slug is refused and the campaign keeps its previous content.
    let (_, _) = live_campaign(&app, "other_maker", "taken-slug", "The first campaign").await;
    let res = save(
        &c,
        &id,
        complete_draft("taken-slug", "Wants the same address"),
    )
    .await;
    assert_eq!(res.status(), 409);
    let row = app::campaigns::store::get(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !row.valid && row.slug.starts_with("draft-"),
        "nothing changed: {}",
        row.slug
    );
}

#[tokio::test]
async fn review_approves_or_rejects_with_a_reason_and_only_admins_review() {
    let app = spawn_app().await;
    let c = creator(&app, "reviewed").await;
    let id = start(&c, "Needs a review").await;
    let mut draft = complete_draft("needs-review", "Needs a review");
    draft["story"] = json!("Read more at https://bit.ly/xyz before you pledge, friends.");
    assert_eq!(save(&c, &id, draft).await.status(), 200);
    let csrf = c.csrf().await;
    assert_eq!(
        c.call("submit_campaign", &[("csrf", &csrf), ("id", &id)])
            .await
            .status(),
        200
    );
    assert_eq!(
        c.call("submit_campaign", &[("csrf", &csrf), ("id", &id)])
            .await
            .status(),
        409,
        "already in review"
    );
    assert_eq!(c.call("review_queue", &[]).await.status(), 403);
    assert_eq!(
        c.call(
            "review_campaign",
            &[("csrf", &csrf), ("id", &id), ("approve", "true")]
        )
        .await
        .status(),
        403
    );
    let res = save(
        &c,
        &id,
        complete_draft("needs-review", "Edited during review"),
    )
    .await;
    assert_eq!(res.status(), 409, "no edits while in review");

    let admin = app.fresh_client().await;
    admin.login_admin().await;
    let queue: Value = admin.call("review_queue", &[]).await.json().await.unwrap();
    let item = &queue[0];
    assert_eq!(item["card"]["id"], id.as_str());
    let risks = item["risks"].to_string();
    assert!(
        risks.contains("NewAccount")
            && risks.contains("UnverifiedEmail")
            && risks.contains("bit.ly"),
        "{risks}"
    );

    let csrf = admin.csrf().await;
    let res = admin
        .call(
            "review_campaign",
            &[("csrf", &csrf), ("id", &id), ("approve", "false")],
        )
        .await;
    assert_eq!(res.status(), 422, "a rejection needs a reason");
    let res = admin
        .call(
            "review_campaign",
            &[
                ("csrf", &csrf),
                ("id", &id),
                ("approve", "false"),
                ("reason", "Remove the shortened link."),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = admin
        .call(
            "review_campaign",
            &[("csrf", &csrf), ("id", &id), ("approve", "true")],
        )
        .await;
    assert_eq!(res.status(), 409, "approving a campaign not in review");
    let editor: Value = c
        .call("load_editor", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(editor["state"], "rejected");
    assert_eq!(editor["reject_reason"], "Remove the shortened link.");

    // Editing a rejected campaign sends it back to draft; the history records every step.
    assert_eq!(
        save(&c, &id, complete_draft("needs-review", "Needs a review"))
            .await
            .status(),
        200
    );
    let history = app::campaigns::store::history(&app.state.db, &id)
        .await
        .unwrap();
    let steps: Vec<String> = history
        .iter()
        .map(|(f, t, a)| format!("{f:?}->{t:?} by {a}"))
        .collect();
    assert_eq!(
        steps,
        vec![
            "Draft->InReview by creator",
            "InReview->Rejected by admin",
            "Rejected->Draft by creator"
        ]
    );
}

#[tokio::test]
async fn terms_are_locked_after_approval_and_tiers_never_drop_below_claims() {
    let app = spawn_app().await;
    let (c, id) = live_campaign(&app, "locked", "locked-terms", "Locked terms campaign").await;
    let mut draft = complete_draft("locked-terms", "Locked terms campaign");
    draft["goal"] = json!("4000");
    assert_eq!(
        save(&c, &id, draft).await.status(),
        409,
        "goal change after launch"
    );
    let mut draft = complete_draft("locked-terms", "Locked terms campaign");
    draft["mode"] = json!("flexible");
    assert_eq!(
        save(&c, &id, draft).await.status(),
        409,
        "mode change after launch"
    );

    let tiers = app::campaigns::store::tiers(&app.state.db, &id)
        .await
        .unwrap();
    app.state
        .db
        .run(
            "UPDATE type::record('tier', $t) SET claimed = 7",
            json!({ "t": tiers[0].id }),
        )
        .await
        .unwrap();
    let mut draft = complete_draft("locked-terms", "Locked terms campaign, new title");
    draft["tiers"][0]["id"] = json!(tiers[0].id);
    draft["tiers"][0]["quantity"] = json!("5");
    assert_eq!(
        save(&c, &id, draft.clone()).await.status(),
        409,
        "quantity below claimed"
    );
    draft["tiers"] = json!([]);
    assert_eq!(
        save(&c, &id, draft.clone()).await.status(),
        422,
        "a live campaign keeps at least one tier"
    );
    draft["tiers"] = json!([{ "id": null, "title": "New tier", "description": "", "min_amount": "10", "quantity": "", "delivery": "", "grants": "nothing" }]);
    assert_eq!(
        save(&c, &id, draft.clone()).await.status(),
        409,
        "a tier with backers cannot be removed"
    );
    let row = app::campaigns::store::get(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.title, "Locked terms campaign", "nothing changed");
    draft["tiers"][0] = json!({ "id": tiers[0].id, "title": "Early bird", "description": "The course.", "min_amount": "25", "quantity": "12", "delivery": "", "grants": "course" });
    assert_eq!(
        save(&c, &id, draft).await.status(),
        200,
        "raising the quantity is fine"
    );
}

#[tokio::test]
async fn the_public_page_has_share_tags_and_a_real_og_image() {
    let app = spawn_app().await;
    let (_, _id) = live_campaign(&app, "sharer", "share-me", "Share me widely").await;
    let html = app
        .get("/c/share-me?ref=newsletter")
        .await
        .text()
        .await
        .unwrap();
    let base = &app.base;
    for tag in [
        "<meta property=\"og:title\" content=\"Share me widely\"".to_string(),
        format!("<meta property=\"og:url\" content=\"{base}/c/share-me\""),
        format!("<meta property=\"og:image\" content=\"{base}/c/share-me/og.png"),
        "<meta name=\"twitter:card\" content=\"summary_large_image\"".to_string(),
        format!("<link href=\"{base}/c/share-me\" rel=\"canonical\""),
    ] {
        assert!(html.contains(&tag), "missing {tag}");
    }
    assert!(!html.contains("<script>alert(1)"), "story is sanitised");
    let png = app.get("/c/share-me/og.png").await;
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    let size = imagesize::blob_size(&bytes).unwrap();
    assert_eq!((size.width, size.height), (1200, 630));
    assert_eq!(
        imagesize::image_type(&bytes).unwrap(),
        imagesize::ImageType::Png
    );

    let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
    assert!(sitemap.contains(&format!("{base}/c/share-me")), "{sitemap}");
    app.state.visits.flush(&app.state.db).await.unwrap();
    let visits: Vec<u64> = app
        .state
        .db
        .rows(
            "SELECT VALUE count FROM visit WHERE source = 'newsletter'",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(visits, vec![1], "referral visit counted");
    assert_eq!(app.get("/c/no-such-campaign").await.status(), 404);
    assert_eq!(app.get("/c/no-such-campaign/og.png").await.status(), 404);
}

#[tokio::test]
async fn drafts_are_invisible_to_the_public_but_previewable_by_their_creator() {
    let app = spawn_app().await;
    let c = creator(&app, "previewer").await;
    let id = start(&c, "Secret draft campaign").await;
    assert_eq!(
        save(
            &c,
            &id,
            complete_draft("secret-draft", "Secret draft campaign")
        )
        .await
        .status(),
        200
    );
    assert_eq!(app.get("/c/secret-draft").await.status(), 404);
    assert_eq!(app.get("/c/secret-draft/og.png").await.status(), 404);
    let preview = c.get("/c/secret-draft").await;
    assert_eq!(preview.status(), 200);
    assert!(preview.text().await.unwrap().contains("Preview"));
    let anon = app.call("campaign_page", &[("slug", "secret-draft")]).await;
    assert_eq!(anon.status(), 404);
}

#[tokio::test]
async fn backers_only_updates_never_reach_non_backers() {
    let app = spawn_app().await;
    let (c, id) = live_campaign(&app, "updater", "with-updates", "Campaign with updates").await;
    let backer = app.fresh_client().await;
    backer
        .sign_up("backer@example.com", "backer", "correct horse battery")
        .await;
    back(&app, &id, "backer", 2500).await;
    let csrf = c.csrf().await;
    let secret = "The secret chapter link is chapter-zero";
    let res = c
        .call(
            "post_update",
            &[
                ("csrf", &csrf),
                ("campaign_id", &id),
                ("title", "For backers"),
                ("body", secret),
                ("backers_only", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = c
        .call(
            "post_update",
            &[
                ("csrf", &csrf),
                ("campaign_id", &id),
                ("title", "For everyone"),
                ("body", "Public news"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let stranger = app.fresh_client().await;
    let res = stranger
        .call(
            "post_update",
            &[
                ("csrf", &stranger.csrf().await),
                ("campaign_id", &id),
                ("title", "x"),
                ("body", "y"),
            ],
        )
        .await;
    assert_eq!(res.status(), 401);

    for viewer in [&stranger, &{
        let s = app.fresh_client().await;
        s.sign_up("nobody@example.com", "nobody", "correct horse battery")
            .await;
        s
    }] {
        let html = viewer.get("/c/with-updates").await.text().await.unwrap();
        assert!(
            !html.contains("chapter-zero"),
            "HTML and hydration payload leak the update"
        );
        assert!(html.contains("For backers") && html.contains("Public news"));
        let api = viewer
            .call("campaign_page", &[("slug", "with-updates")])
            .await
            .text()
            .await
            .unwrap();
        assert!(!api.contains("chapter-zero"), "API leaks the update");
    }
    let html = backer.get("/c/with-updates").await.text().await.unwrap();
    assert!(html.contains("chapter-zero"), "backers read it");
    assert!(html.contains("You backed this campaign"));

    // The backer was mailed, with an unsubscribe link that works.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mails = app.state.mailer.outbox(20).await.unwrap();
    let mail = mails
        .iter()
        .find(|m| m.to == "backer@example.com" && m.subject.contains("For backers"))
        .expect("update mail");
    let link = mail
        .body
        .split_whitespace()
        .find(|w| w.contains("/unsubscribe/"))
        .expect("unsubscribe link");
    let token = link.rsplit('/').next().unwrap();
    let res = app.call("unsubscribe_updates", &[("token", token)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.call("unsubscribe_updates", &[("token", "forged")])
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn comments_thread_mark_backers_and_creators_and_can_be_hidden_by_them() {
    let app = spawn_app().await;
    let (c, id) = live_campaign(&app, "talker", "talk-to-me", "Talk to me campaign").await;
    let fan = app.fresh_client().await;
    fan.sign_up("fan@example.com", "fan", "correct horse battery")
        .await;
    back(&app, &id, "fan", 2500).await;
    let anon = app.fresh_client().await;
    let res = anon
        .call(
            "post_comment",
            &[
                ("csrf", &anon.csrf().await),
                ("campaign_id", &id),
                ("body", "hi"),
            ],
        )
        .await;
    assert_eq!(res.status(), 401);
    let csrf = fan.csrf().await;
    let res = fan
        .call(
            "post_comment",
            &[("csrf", &csrf), ("campaign_id", &id), ("body", "   ")],
        )
        .await;
    assert_eq!(res.status(), 422, "empty comment");
    let top: String = fan
        .call(
            "post_comment",
            &[
                ("csrf", &csrf),
                ("campaign_id", &id),
                ("body", "When does it ship?"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let res = c
        .call(
            "post_comment",
            &[
                ("csrf", &c.csrf().await),
                ("campaign_id", &id),
                ("parent", &top),
                ("body", "In March!"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let list = comments_of(&anon, &id).await;
    assert_eq!(list.len(), 2);
    let question = list.iter().find(|x| x["id"] == top.as_str()).unwrap();
    assert_eq!(question["is_backer"], true);
    let reply = list.iter().find(|x| x["parent"] == top.as_str()).unwrap();
    assert_eq!(reply["is_creator"], true);

    let res = fan
        .call(
            "hide_comment",
            &[("csrf", &csrf), ("comment_id", &top), ("hidden", "true")],
        )
        .await;
    assert_eq!(res.status(), 403, "only the creator or an admin hides");
    let res = fan
        .call(
            "report_comment",
            &[("csrf", &csrf), ("comment_id", &top), ("reason", "spam")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = c
        .call(
            "hide_comment",
            &[
                ("csrf", &c.csrf().await),
                ("comment_id", &top),
                ("hidden", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let list = comments_of(&anon, &id).await;
    let question = list.iter().find(|x| x["id"] == top.as_str()).unwrap();
    assert_eq!(question["body"], "", "hidden text is not sent to visitors");
    let dash: Value = c
        .call("campaign_dashboard", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        dash["comments"], 1,
        "feedback count excludes hidden comments"
    );
}

#[tokio::test]
async fn search_finds_campaigns_despite_typos_in_english_and_chinese() {
    let app = spawn_app().await;
    live_campaign(&app, "rustacean", "rust-beginners", "Rust for Beginners").await;
    let c = creator(&app, "teacher_zh").await;
    let id = start(&c, "机器学习入门课程").await;
    let mut draft = complete_draft("ml-intro", "机器学习入门课程");
    draft["pitch"] = json!("从零开始学习机器学习，配套练习与讲解。");
    assert_eq!(save(&c, &id, draft).await.status(), 200);
    let csrf = c.csrf().await;
    c.call("submit_campaign", &[("csrf", &csrf), ("id", &id)])
        .await;
    let admin = app.fresh_client().await;
    admin.login_admin().await;
    admin
        .call(
            "review_campaign",
            &[
                ("csrf", &admin.csrf().await),
                ("id", &id),
                ("approve", "true"),
            ],
        )
        .await;

    let slugs = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_string())
            .collect()
    };
    for (q, expected) in [
        ("begginers", "rust-beginners"),
        ("rsut beginer", "rust-beginners"),
        ("机器学习", "ml-intro"),
        ("学习", "ml-intro"),
    ] {
        let found = slugs(
            app.call("discover", &[("q", q)])
                .await
                .json()
                .await
                .unwrap(),
        );
        assert_eq!(
            found.first().map(String::as_str),
            Some(expected),
            "query {q}: {found:?}"
        );
    }
    let found = slugs(
        app.call("discover", &[("q", "watercolour")])
            .await
            .json()
            .await
            .unwrap(),
    );
    assert!(found.is_empty(), "{found:?}");
    let html = app.get("/discover?q=begginers").await.text().await.unwrap();
    assert!(html.contains("Rust for Beginners"));
}

#[tokio::test]
async fn the_deadline_job_closes_each_campaign_once_even_when_run_twice_at_once() {
    let app = spawn_app().await;
    let (_, funded) =
        live_campaign(&app, "closer", "will-succeed", "Will succeed at the end").await;
    let (_, missed) = live_campaign(&app, "closer2", "will-fail", "Will fail at the end").await;
    back(&app, &funded, "closer2", 500_000).await;
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    let db = &app.state.db;
    let (a, b) = tokio::join!(
        app::campaigns::store::advance_due(db, later),
        app::campaigns::store::advance_due(db, later)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2, "two campaigns, each moved once");
    assert_eq!(
        app::campaigns::store::advance_due(db, later).await.unwrap(),
        0,
        "idempotent"
    );
    let state = |id: String| async move {
        app::campaigns::store::get(db, &id)
            .await
            .unwrap()
            .unwrap()
            .state
    };
    assert_eq!(
        state(funded.clone()).await,
        app::campaigns::rules::CampaignState::Succeeded
    );
    assert_eq!(
        state(missed.clone()).await,
        app::campaigns::rules::CampaignState::Failed
    );
    let history = app::campaigns::store::history(db, &funded).await.unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|(f, _, _)| *f == app::campaigns::rules::CampaignState::Live)
            .count(),
        1
    );
}

#[tokio::test]
async fn covers_must_be_real_images_uploaded_by_the_owner() {
    let app = spawn_app().await;
    let c = creator(&app, "coverer").await;
    let id = start(&c, "Campaign with a cover").await;
    let upload = |who: TestApp, bytes: Vec<u8>| {
        let id = id.clone();
        async move {
            let csrf = who.csrf().await;
            let part = reqwest::multipart::Part::bytes(bytes).file_name("cover.png");
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf)
                .part("cover", part);
            who.client
                .post(who.url(&format!("/campaigns/{id}/cover")))
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let res = upload(c.clone(), b"<svg onload=alert(1)>".to_vec()).await;
    assert!(res.url().as_str().ends_with("cover=type"), "{}", res.url());
    let res = upload(c.clone(), PNG_1X1.to_vec()).await;
    assert!(res.url().as_str().ends_with("cover=ok"), "{}", res.url());
    let other = creator(&app, "intruder").await;
    assert_eq!(upload(other, PNG_1X1.to_vec()).await.status(), 404);
    let editor: Value = c
        .call("load_editor", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    let url = editor["cover_url"].as_str().unwrap().to_string();
    assert_eq!(app.get(&url).await.status(), 200);
}

#[tokio::test]
async fn cancelling_listing_and_progress_follow_the_same_rules() {
    let app = spawn_app().await;
    let c = creator(&app, "canceller").await;
    let id = start(&c, "Soon to be cancelled").await;
    let anon = app.fresh_client().await;
    assert_eq!(anon.call("my_campaigns", &[]).await.status(), 401);
    let mine: Value = c.call("my_campaigns", &[]).await.json().await.unwrap();
    assert_eq!(mine[0]["id"], id.as_str());
    assert_eq!(
        anon.call("campaign_progress", &[("id", &id)])
            .await
            .status(),
        404,
        "a draft's numbers are private"
    );

    let other = creator(&app, "not_owner").await;
    let res = other
        .call(
            "cancel_campaign",
            &[("csrf", &other.csrf().await), ("id", &id)],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = c
        .call("cancel_campaign", &[("csrf", &c.csrf().await), ("id", &id)])
        .await;
    assert_eq!(res.status(), 200);
    let res = c
        .call("cancel_campaign", &[("csrf", &c.csrf().await), ("id", &id)])
        .await;
    assert_eq!(res.status(), 409, "already cancelled");

    // A live campaign can only be stopped by an admin, and its progress is public.
    let (owner, live) = live_campaign(&app, "live_owner", "stays-live", "Stays live for now").await;
    back(&app, &live, "canceller", 1234).await;
    let progress: Value = anon
        .call("campaign_progress", &[("id", &live)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress[0]["minor"], 1234);
    assert_eq!(progress[1], 1);
    let res = owner
        .call(
            "cancel_campaign",
            &[("csrf", &owner.csrf().await), ("id", &live)],
        )
        .await;
    assert_eq!(res.status(), 409, "creators cannot cancel a live campaign");
    let admin = app.fresh_client().await;
    admin.login_admin().await;
    let res = admin
        .call(
            "cancel_campaign",
            &[("csrf", &admin.csrf().await), ("id", &live)],
        )
        .await;
    assert_eq!(res.status(), 200);
}
