//! Courses: the entitlement matrix (every way in, and every way of not being in, against every
//! protected resource), learning with progress, quizzes and certificates, purchases and refunds
//! through the simulator, and the studio's rules.

use std::time::Duration;

use app::courses::model::{MediaInfo, MediaKind};
use app::payments::rules::PledgeState;
use serde_json::{json, Value};

use crate::campaign_api::live_campaign_from;
use crate::payments_api::{backer, draft, pay, start_pledge, tier_of, wait_for};
use crate::support::{spawn_app, TestApp};

pub(crate) const PAID_SECRET: &str = "SECRET-PAID-LESSON-42";
const PREVIEW_TEXT: &str = "PREVIEW-FOR-EVERYONE";
const QUIZ: &str = "Which clause picks columns?\n* SELECT\n- FROM\n? SELECT names the columns.\n\n\
    Name the clause that filters groups.\n= HAVING";

pub(crate) async fn post(who: &TestApp, name: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = who.csrf().await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    who.call(name, &form).await
}

pub(crate) async fn ok_json(who: &TestApp, name: &str, fields: &[(&str, &str)]) -> Value {
    let res = post(who, name, fields).await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{name}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

pub(crate) struct Course {
    pub id: String,
    pub slug: String,
    pub preview: String,
    pub paid: String,
    pub later: String,
    pub file: String,
    pub campaign: String,
}

/// A flexible live campaign whose backers get a published course of three lessons: a free
/// preview, a paid one with audio and a quiz, and one that opens next week. Also sold for $20.
pub(crate) async fn course_of_campaign(app: &TestApp, creator_handle: &str) -> (TestApp, Course) {
    let slug = format!("{creator_handle}-camp").replace('_', "-");
    course_of_campaign_from(app, creator_handle, draft(&slug, "flexible", "50")).await
}

/// Like `course_of_campaign`, from a whole campaign draft (another mode, other tiers).
pub(crate) async fn course_of_campaign_from(
    app: &TestApp,
    creator_handle: &str,
    campaign_draft: Value,
) -> (TestApp, Course) {
    let slug = campaign_draft["slug"].as_str().unwrap().to_string();
    let (creator, campaign) = live_campaign_from(app, creator_handle, campaign_draft).await;
    let id: String = ok_json(&creator, "create_course", &[("title", "SQL for Testers")])
        .await
        .as_str()
        .unwrap()
        .to_string();
    let course_slug = format!("{slug}-course");
    ok_json(
        &creator,
        "save_course",
        &[
            ("course_id", &id),
            ("title", "SQL for Testers"),
            ("slug", &course_slug),
            ("summary", "Queries, tested."),
            ("level", "beginner"),
            ("language", "en"),
            ("tags", "sql, testing"),
            ("price", "20"),
            ("currency", "USD"),
            ("campaign_id", &campaign),
        ],
    )
    .await;
    let draft = ok_json(&creator, "course_draft", &[("course_id", &id)]).await;
    let section = draft["sections"][0]["id"].as_str().unwrap().to_string();
    let mut lessons = Vec::new();
    for title in ["Preview lesson", "Paid lesson", "Later lesson"] {
        let l = ok_json(
            &creator,
            "add_lesson",
            &[("course_id", &id), ("section", &section), ("title", title)],
        )
        .await;
        lessons.push(l.as_str().unwrap().to_string());
    }
    let later = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let edits: [(&str, &str, Option<&str>, &str, &str); 3] = [
        ("Preview lesson", PREVIEW_TEXT, Some("on"), "", ""),
        ("Paid lesson", PAID_SECRET, None, "", QUIZ),
        ("Later lesson", "Window functions.", None, &later, ""),
    ];
    for (l, (title, body, preview, opens, quiz)) in lessons.iter().zip(edits) {
        let mut form = vec![
            ("lesson_id", l.as_str()),
            ("section", section.as_str()),
            ("title", title),
            ("body", body),
            ("opens_at", opens),
            ("version_note", ""),
            ("quiz", quiz),
            ("pass_mark", "100"),
        ];
        if let Some(p) = preview {
            form.push(("preview", p));
        }
        ok_json(&creator, "save_lesson", &form).await;
    }
    // The paid lesson's audio, put in place the way an upload leaves it.
    let dir = app.state.settings.media_dir.join("lessons");
    tokio::fs::create_dir_all(&dir).await.unwrap();
    let file = format!("test-{}.wav", lessons[1]);
    let wav = server::seed_courses::demo_wav(2);
    tokio::fs::write(dir.join(&file), &wav).await.unwrap();
    app::courses::store::set_media(
        &app.state.db,
        &lessons[1],
        &MediaInfo {
            file: file.clone(),
            kind: MediaKind::Audio,
            mime: "audio/wav".into(),
            size: wav.len() as i64,
            name: "a.wav".into(),
        },
    )
    .await
    .unwrap();
    ok_json(
        &creator,
        "publish_course",
        &[("course_id", &id), ("publish", "true")],
    )
    .await;
    (
        creator,
        Course {
            id,
            slug: course_slug,
            preview: lessons[0].clone(),
            paid: lessons[1].clone(),
            later: lessons[2].clone(),
            file,
            campaign,
        },
    )
}

/// Buys the course through the simulator's Checkout with `card` and waits for the webhook.
pub async fn buy(app: &TestApp, who: &TestApp, c: &Course) {
    let url = ok_json(who, "buy_course", &[("course_id", &c.id)]).await;
    let (status, _) = pay(who, url.as_str().unwrap(), "4242424242424242").await;
    assert_eq!(status, 200);
    for _ in 0..100 {
        let page = ok_json(who, "course_page", &[("slug", &c.slug)]).await;
        if page["standing"] == json!({ "Enrolled": "purchase" }) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = app;
    panic!("the purchase never enrolled the buyer");
}

/// What one viewer can reach of the paid lesson.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reach {
    html: bool,
    data: bool,
    media: u16,
    progress: u16,
    quiz: u16,
}

async fn reach(who: &TestApp, c: &Course) -> Reach {
    let html = who
        .get(&format!("/courses/{}/lessons/{}", c.slug, c.paid))
        .await
        .text()
        .await
        .unwrap();
    let data = who
        .call("lesson_page", &[("lesson_id", &c.paid)])
        .await
        .text()
        .await
        .unwrap();
    let media = who
        .client
        .get(who.url(&format!("/media/lessons/{}/{}", c.paid, c.file)))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    let progress = post(
        who,
        "save_progress",
        &[
            ("lesson_id", &c.paid),
            ("percent", "40"),
            ("position", "1.5"),
            ("seconds", "5"),
        ],
    )
    .await
    .status()
    .as_u16();
    let quiz = post(
        who,
        "answer_quiz",
        &[
            ("lesson_id", &c.paid),
            ("answers[0]", "1"),
            ("answers[1]", "where"),
        ],
    )
    .await
    .status()
    .as_u16();
    Reach {
        html: html.contains(PAID_SECRET),
        data: data.contains(PAID_SECRET),
        media,
        progress,
        quiz,
    }
}

#[tokio::test]
async fn every_way_in_opens_the_course_and_nothing_else_leaks_it() {
    let app = spawn_app().await;
    let (creator, c) = course_of_campaign(&app, "matrix_creator").await;

    // A campaign reward: a paid pledge on the course's campaign.
    let backer_client = backer(&app, "reward_backer").await;
    let tier = tier_of(&app, &c.campaign).await;
    let url: String = start_pledge(&backer_client, &c.campaign, &tier, "25", "")
        .await
        .json()
        .await
        .unwrap();
    pay(&backer_client, &url, "4242424242424242").await;
    wait_for(&app, "reward_backer", &c.campaign, PledgeState::Paid).await;
    // A purchase through Checkout.
    let buyer = backer(&app, "course_buyer").await;
    buy(&app, &buyer, &c).await;
    // A purchase refunded by its buyer: access goes with the money.
    let refunded = backer(&app, "refunded_buyer").await;
    buy(&app, &refunded, &c).await;
    let page = ok_json(&refunded, "course_page", &[("slug", &c.slug)]).await;
    let order = page["refundable_order"]
        .as_str()
        .expect("refundable")
        .to_string();
    ok_json(&refunded, "refund_course", &[("order_id", &order)]).await;
    // A grant by hand, from the creator.
    let granted = backer(&app, "granted_one").await;
    ok_json(
        &creator,
        "grant_course",
        &[("course_id", &c.id), ("email", "granted_one@example.com")],
    )
    .await;
    // And people with no way in.
    let stranger = backer(&app, "stranger").await;
    let anonymous = app.fresh_client().await;

    let open = Reach {
        html: true,
        data: true,
        media: 206,
        progress: 200,
        quiz: 200,
    };
    let closed = |media: u16, progress: u16| Reach {
        html: false,
        data: false,
        media,
        progress,
        quiz: progress,
    };
    for (who, name, expected) in [
        (&creator, "creator", open),
        (&backer_client, "campaign backer", open),
        (&buyer, "buyer", open),
        (&granted, "admin grant", open),
        (&refunded, "refunded buyer", closed(403, 403)),
        (&stranger, "stranger", closed(403, 403)),
        (&anonymous, "signed out", closed(401, 401)),
    ] {
        assert_eq!(reach(who, &c).await, expected, "{name}");
    }

    // The free preview is open to everyone, signed in or not, but keeps no record for visitors.
    for who in [&stranger, &anonymous] {
        let data = who
            .call("lesson_page", &[("lesson_id", &c.preview)])
            .await
            .text()
            .await
            .unwrap();
        assert!(data.contains(PREVIEW_TEXT), "{data}");
    }
    // A lesson that opens next week: its date is public, its content is not, even for learners.
    let later = buyer
        .call("lesson_page", &[("lesson_id", &c.later)])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert!(later["content"].is_null(), "{later}");
    assert!(later["gate"]["NotYet"].is_string(), "{later}");
    assert_eq!(
        post(&buyer, "complete_lesson", &[("lesson_id", &c.later)])
            .await
            .status(),
        409,
        "completing a lesson that has not opened"
    );
    // A draft course is invisible to everyone but its managers.
    ok_json(
        &creator,
        "publish_course",
        &[("course_id", &c.id), ("publish", "false")],
    )
    .await;
    assert_eq!(
        buyer.get(&format!("/courses/{}", c.slug)).await.status(),
        404
    );
    assert_eq!(
        creator.get(&format!("/courses/{}", c.slug)).await.status(),
        200
    );

    // The refund went through Stripe and the ledger: every course transaction balances.
    let txs: Vec<Value> = app
        .state
        .db
        .rows(
            "SELECT kind, legs FROM ledger_tx WHERE course = type::record('course', $c)",
            json!({ "c": &c.id }),
        )
        .await
        .unwrap();
    assert_eq!(txs.len(), 3, "two sales and one refund: {txs:?}");
    for tx in &txs {
        let sum: i64 = tx["legs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["amount"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 0, "{tx}");
    }
}

#[tokio::test]
async fn a_learner_progresses_passes_the_quiz_and_gets_a_verifiable_certificate() {
    let app = spawn_app().await;
    let (creator, c) = course_of_campaign(&app, "cert_creator").await;
    let learner = backer(&app, "eager_learner").await;
    buy(&app, &learner, &c).await;

    // Progress only goes forward, and the lesson resumes where it was left.
    for (percent, position) in [("60", "30.5"), ("20", "10.0")] {
        ok_json(
            &learner,
            "save_progress",
            &[
                ("lesson_id", &c.paid),
                ("percent", percent),
                ("position", position),
                ("seconds", "10"),
            ],
        )
        .await;
    }
    let page = ok_json(&learner, "lesson_page", &[("lesson_id", &c.paid)]).await;
    assert_eq!(page["progress"]["percent"], 60);
    assert_eq!(page["progress"]["position"], 10.0);
    // Notes are private and rendered safely.
    ok_json(
        &learner,
        "add_note",
        &[
            ("lesson_id", &c.paid),
            ("body", "**HAVING** filters groups <script>x</script>"),
            ("at_seconds", "12.5"),
        ],
    )
    .await;
    assert_eq!(
        post(
            &learner,
            "add_note",
            &[("lesson_id", &c.paid), ("body", "  ")]
        )
        .await
        .status(),
        422
    );
    let page = ok_json(&learner, "lesson_page", &[("lesson_id", &c.paid)]).await;
    let note = &page["notes"][0];
    assert!(note["body_html"]
        .as_str()
        .unwrap()
        .contains("<strong>HAVING</strong>"));
    assert!(!note["body_html"].as_str().unwrap().contains("<script"));
    assert_eq!(note["at_seconds"], 12.5);
    let creator_view = ok_json(&creator, "lesson_page", &[("lesson_id", &c.paid)]).await;
    assert_eq!(
        creator_view["notes"],
        json!([]),
        "nobody else sees a learner's notes"
    );

    // A quiz: wrong answers get feedback and do not pass; the wrong number of answers is refused.
    let (result, cert) = serde_json::from_value::<(Value, Option<String>)>(
        ok_json(
            &learner,
            "answer_quiz",
            &[
                ("lesson_id", &c.paid),
                ("answers[0]", "0"),
                ("answers[1]", "where"),
            ],
        )
        .await,
    )
    .unwrap();
    assert_eq!(result["score"], 50);
    assert_eq!(result["passed"], false);
    assert_eq!(
        result["feedback"][0]["explanation"],
        "SELECT names the columns."
    );
    assert!(cert.is_none());
    assert_eq!(
        post(
            &learner,
            "answer_quiz",
            &[("lesson_id", &c.paid), ("answers[0]", "0")]
        )
        .await
        .status(),
        409
    );
    assert_eq!(
        post(
            &learner,
            "answer_quiz",
            &[("lesson_id", &c.preview), ("answers[0]", "0")]
        )
        .await
        .status(),
        409,
        "the preview lesson has no quiz"
    );
    let (passed, _) = serde_json::from_value::<(Value, Option<String>)>(
        ok_json(
            &learner,
            "answer_quiz",
            &[
                ("lesson_id", &c.paid),
                ("answers[0]", "0"),
                ("answers[1]", " having "),
            ],
        )
        .await,
    )
    .unwrap();
    assert_eq!(passed["passed"], true);

    let review = |who: &TestApp, rating: &'static str, body: &'static str| {
        let who = who.clone();
        let id = c.id.clone();
        async move {
            post(
                &who,
                "review_course",
                &[("course_id", &id), ("rating", rating), ("body", body)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(
        review(&learner, "5", "Great").await,
        403,
        "nothing completed yet"
    );

    // Completing the released lessons is not enough while one is still to open.
    for l in [&c.preview, &c.paid] {
        let cert = ok_json(&learner, "complete_lesson", &[("lesson_id", l)]).await;
        assert!(cert.is_null(), "{cert}");
    }
    let page = ok_json(&learner, "course_page", &[("slug", &c.slug)]).await;
    assert_eq!(page["progress_percent"], 66);
    assert_eq!(page["resume"], json!(c.later));

    // Two thirds done: enough to review. One review each (sending again edits it).
    assert_eq!(review(&learner, "0", "").await, 422);
    assert_eq!(review(&learner, "5", "Great").await, 200);
    assert_eq!(review(&learner, "4", "Great, <b>clear</b>").await, 200);
    let stranger = backer(&app, "review_stranger").await;
    assert_eq!(review(&stranger, "1", "Never took it").await, 403);
    let page = ok_json(&stranger, "course_page", &[("slug", &c.slug)]).await;
    assert_eq!(page["ratings"]["count"], 1);
    assert_eq!(page["ratings"]["stars"], json!([0, 0, 0, 1, 0]));
    let review_id = page["reviews"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(page["reviews"][0]["body"], "Great, <b>clear</b>");
    let html = stranger
        .get(&format!("/courses/{}", c.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Great, &lt;b&gt;clear&lt;/b&gt;"),
        "reviews render as text"
    );
    // The creator replies; a stranger may report (once) but not moderate.
    let moderate = |who: &TestApp, reply: &'static str, hide: bool| {
        let who = who.clone();
        let id = review_id.clone();
        async move {
            let mut form = vec![("review_id", id.as_str()), ("reply", reply)];
            if hide {
                form.push(("hide", "on"));
            }
            post(&who, "moderate_review", &form).await.status().as_u16()
        }
    };
    assert_eq!(moderate(&stranger, "Mine now", false).await, 404);
    assert_eq!(moderate(&creator, "Thank you!", false).await, 200);
    for _ in 0..2 {
        ok_json(&stranger, "report_review", &[("review_id", &review_id)]).await;
    }
    let reports: Option<u64> = app
        .state
        .db
        .row(
            "RETURN count((SELECT id FROM report WHERE target = type::record('review', $r)))",
            json!({ "r": &review_id }),
        )
        .await
        .unwrap();
    assert_eq!(reports, Some(1));
    let page = ok_json(&stranger, "course_page", &[("slug", &c.slug)]).await;
    assert_eq!(page["reviews"][0]["reply"], "Thank you!");
    assert_eq!(moderate(&creator, "", true).await, 200);
    let page = ok_json(&stranger, "course_page", &[("slug", &c.slug)]).await;
    assert_eq!(page["reviews"], json!([]), "hidden");
    assert_eq!(page["ratings"]["count"], 0);

    // The last lesson opens; completing it earns the certificate, once.
    app.state
        .db
        .run(
            "UPDATE type::record('lesson', $l) SET opens_at = time::now() - 1m",
            json!({ "l": &c.later }),
        )
        .await
        .unwrap();
    let code = ok_json(&learner, "complete_lesson", &[("lesson_id", &c.later)]).await;
    let code = code.as_str().expect("a certificate").to_string();
    let again = ok_json(&learner, "complete_lesson", &[("lesson_id", &c.later)]).await;
    assert_eq!(
        again.as_str(),
        Some(code.as_str()),
        "one certificate per learner"
    );

    let anyone = app.fresh_client().await;
    let page = anyone.get(&format!("/certificates/{code}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Eager_learner") && html.contains("SQL for Testers"),
        "{html}"
    );
    assert_eq!(
        anyone.get("/certificates/not-a-real-code").await.status(),
        404
    );
}

#[tokio::test]
async fn the_studio_is_the_owners_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let (creator, c) = course_of_campaign(&app, "studio_owner").await;
    let (other, other_campaign) =
        live_campaign_from(&app, "other_creator", draft("other-camp", "flexible", "5")).await;
    let code = |r: reqwest::Response| r.status().as_u16();

    assert_eq!(
        code(post(&other, "course_draft", &[("course_id", &c.id)]).await),
        404
    );
    assert_eq!(
        code(
            post(
                &other,
                "save_lesson",
                &[
                    ("lesson_id", &c.paid),
                    ("section", "s1"),
                    ("title", "Hijacked"),
                    ("body", "x"),
                    ("opens_at", ""),
                    ("version_note", ""),
                    ("quiz", ""),
                    ("pass_mark", "70"),
                ]
            )
            .await
        ),
        404,
        "a lesson of a course you do not own"
    );
    let learner = backer(&app, "plain_learner").await;
    assert_eq!(
        code(post(&learner, "create_course", &[("title", "Not a creator")]).await),
        403
    );

    let base = |slug: &'static str, price: &'static str, campaign: String| {
        vec![
            ("course_id", c.id.clone()),
            ("title", "SQL for Testers".to_string()),
            ("slug", slug.to_string()),
            ("summary", String::new()),
            ("level", "beginner".to_string()),
            ("language", "en".to_string()),
            ("tags", String::new()),
            ("price", price.to_string()),
            ("currency", "USD".to_string()),
            ("campaign_id", campaign),
        ]
    };
    for (fields, status, why) in [
        (base("Bad Slug!", "20", String::new()), 422, "slug"),
        (base("fine-slug", "abc", String::new()), 422, "price"),
        (
            base("fine-slug", "-5", String::new()),
            422,
            "negative price",
        ),
        (
            base("fine-slug", "20", other_campaign.clone()),
            403,
            "someone else's campaign",
        ),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            code(post(&creator, "save_course", &fields).await),
            status,
            "{why}"
        );
    }
    let draft_now = ok_json(&creator, "course_draft", &[("course_id", &c.id)]).await;
    assert_eq!(
        draft_now["card"]["slug"],
        json!(c.slug),
        "refused edits change nothing"
    );
    assert_eq!(draft_now["card"]["price"], 2000);

    // A malformed quiz is refused and the lesson keeps its old one.
    let res = post(
        &creator,
        "save_lesson",
        &[
            ("lesson_id", &c.paid),
            ("section", "s1"),
            ("title", "Paid lesson"),
            ("body", PAID_SECRET),
            ("opens_at", ""),
            ("version_note", ""),
            ("quiz", "No right answer?\n- a\n- b"),
            ("pass_mark", "70"),
        ],
    )
    .await;
    assert_eq!(code(res), 422);
    let res = post(
        &creator,
        "save_lesson",
        &[
            ("lesson_id", &c.paid),
            ("section", "s1"),
            ("title", "Paid lesson"),
            ("body", PAID_SECRET),
            ("opens_at", "next tuesday"),
            ("version_note", ""),
            ("quiz", ""),
            ("pass_mark", "70"),
        ],
    )
    .await;
    assert_eq!(code(res), 422, "a date that is not a date");
    let draft_now = ok_json(&creator, "course_draft", &[("course_id", &c.id)]).await;
    let paid = draft_now["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == json!(c.paid))
        .unwrap();
    assert_eq!(paid["questions"].as_array().unwrap().len(), 2);

    // Reordering: the paid lesson moves above the preview one, and back.
    ok_json(
        &creator,
        "move_lesson",
        &[("lesson_id", &c.paid), ("up", "true")],
    )
    .await;
    let order = |d: &Value| {
        d["lessons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let d = ok_json(&creator, "course_draft", &[("course_id", &c.id)]).await;
    assert_eq!(order(&d)[..2], [c.paid.clone(), c.preview.clone()]);
    ok_json(
        &creator,
        "move_lesson",
        &[("lesson_id", &c.paid), ("up", "false")],
    )
    .await;
    let d = ok_json(&creator, "course_draft", &[("course_id", &c.id)]).await;
    assert_eq!(order(&d)[..2], [c.preview.clone(), c.paid.clone()]);
    // Drag and drop sends the section's whole new order; a partial or foreign list is refused.
    let reorder = |ids: Vec<&str>| {
        let creator = creator.clone();
        let id = c.id.clone();
        let ids: Vec<String> = ids.into_iter().map(String::from).collect();
        async move {
            let names: Vec<String> = (0..ids.len()).map(|i| format!("order[{i}]")).collect();
            let mut form = vec![("course_id", id.as_str()), ("section", "s1")];
            for (n, v) in names.iter().zip(&ids) {
                form.push((n.as_str(), v.as_str()));
            }
            post(&creator, "reorder_section", &form)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(reorder(vec![&c.later, &c.paid]).await, 422, "one missing");
    assert_eq!(reorder(vec![&c.later, &c.paid, &c.preview]).await, 200);
    let d = ok_json(&creator, "course_draft", &[("course_id", &c.id)]).await;
    assert_eq!(
        order(&d),
        [c.later.clone(), c.paid.clone(), c.preview.clone()]
    );

    // An empty course cannot be published; buying your own course is refused.
    let empty = ok_json(&creator, "create_course", &[("title", "Empty course")]).await;
    assert_eq!(
        code(
            post(
                &creator,
                "publish_course",
                &[("course_id", empty.as_str().unwrap()), ("publish", "true")]
            )
            .await
        ),
        422
    );
    assert_eq!(
        code(post(&creator, "buy_course", &[("course_id", &c.id)]).await),
        403
    );

    // The catalogue lists the published course and finds it by tag.
    let found = ok_json(&learner, "course_catalogue", &[("query", "testing")]).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let none = ok_json(&learner, "course_catalogue", &[("query", "knitting")]).await;
    assert_eq!(none, json!([]));
    // Discovery's search shows matching courses beside campaigns, and none for a miss.
    let link = format!("href=\"/courses/{}\"", c.slug);
    let discover = app.get("/discover?q=testing").await.text().await.unwrap();
    assert!(discover.contains(&link), "{discover}");
    let missed = app.get("/discover?q=knitting").await.text().await.unwrap();
    assert!(!missed.contains(&link));
    let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
    assert!(
        sitemap.contains(&format!("/courses/{}", c.slug)),
        "{sitemap}"
    );
}

#[tokio::test]
async fn coupons_and_gifts_are_ways_in_with_limits_that_hold() {
    let app = spawn_app().await;
    let (creator, c) = course_of_campaign(&app, "coupon_creator").await;
    let code = |r: reqwest::Response| r.status().as_u16();
    let coupon = |code: &'static str, pct: &'static str, amt: &'static str, uses: &'static str| {
        let creator = creator.clone();
        let id = c.id.clone();
        async move {
            post(
                &creator,
                "save_coupon",
                &[
                    ("course_id", &id),
                    ("code", code),
                    ("percent", pct),
                    ("amount", amt),
                    ("max_uses", uses),
                    ("expires_on", ""),
                ],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(coupon("bad code!", "10", "", "5").await, 422);
    assert_eq!(
        coupon("BOTH", "10", "5", "5").await,
        422,
        "percent or amount, not both"
    );
    assert_eq!(coupon("ZERO", "0", "", "5").await, 422);
    assert_eq!(coupon("half", "50", "", "5").await, 200);
    assert_eq!(coupon("FREE", "100", "", "1").await, 200);
    assert_eq!(coupon("FIVE-OFF", "", "5", "5").await, 200);

    // Half price: the order (and Stripe) take $10 of $20.
    let half = backer(&app, "half_price").await;
    let url = ok_json(
        &half,
        "buy_course",
        &[("course_id", &c.id), ("coupon", "half")],
    )
    .await;
    pay(&half, url.as_str().unwrap(), "4242424242424242").await;
    let amount: Option<i64> = app
        .state
        .db
        .row(
            "SELECT VALUE amount FROM course_order WHERE buyer.handle = 'half_price' LIMIT 1",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(amount, Some(1_000));

    // A 100% coupon enrols at once, without Checkout, and only as often as it allows.
    let lucky = backer(&app, "lucky_one").await;
    let res = ok_json(
        &lucky,
        "buy_course",
        &[("course_id", &c.id), ("coupon", "FREE")],
    )
    .await;
    assert!(res.is_null(), "no Checkout for a free course: {res}");
    let page = ok_json(&lucky, "course_page", &[("slug", &c.slug)]).await;
    assert_eq!(page["standing"], json!({ "Enrolled": "coupon" }));
    let late = backer(&app, "too_late").await;
    assert_eq!(
        code(
            post(
                &late,
                "buy_course",
                &[("course_id", &c.id), ("coupon", "FREE")]
            )
            .await
        ),
        409,
        "used up"
    );
    assert_eq!(
        code(
            post(
                &late,
                "buy_course",
                &[("course_id", &c.id), ("coupon", "NOPE")]
            )
            .await
        ),
        409
    );
    let page = ok_json(&late, "course_page", &[("slug", &c.slug)]).await;
    assert_eq!(
        page["standing"], "Visitor",
        "refused coupons change nothing"
    );

    // A gift: the recipient learns, the buyer pays (and does not get the course themselves).
    let giver = backer(&app, "the_giver").await;
    let friend = backer(&app, "the_friend").await;
    for bad in [
        "nobody@example.com",
        "the_giver@example.com",
        "lucky_one@example.com",
    ] {
        assert_eq!(
            code(
                post(
                    &giver,
                    "buy_course",
                    &[("course_id", &c.id), ("gift_email", bad)]
                )
                .await
            ),
            422,
            "{bad}: unknown, oneself, or already has it"
        );
    }
    let url = ok_json(
        &giver,
        "buy_course",
        &[
            ("course_id", &c.id),
            ("gift_email", "the_friend@example.com"),
            ("coupon", "FIVE-OFF"),
        ],
    )
    .await;
    pay(&giver, url.as_str().unwrap(), "4242424242424242").await;
    let mut standing = Value::Null;
    for _ in 0..100 {
        standing = ok_json(&friend, "course_page", &[("slug", &c.slug)]).await["standing"].clone();
        if standing != "Visitor" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(standing, json!({ "Enrolled": "gift" }));
    let giver_page = ok_json(&giver, "course_page", &[("slug", &c.slug)]).await;
    assert_eq!(giver_page["standing"], "Visitor");
    let mails = app.state.mailer.outbox(50).await.unwrap();
    assert!(
        mails
            .iter()
            .any(|m| m.to == "the_friend@example.com" && m.subject.contains("gave you")),
        "the recipient is told"
    );
    let amount: Option<i64> = app
        .state
        .db
        .row(
            "SELECT VALUE amount FROM course_order WHERE buyer.handle = 'the_giver' LIMIT 1",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(amount, Some(1_500), "$5 off $20");
}
