//! The moderation queue for reports (`/admin/reports`): a learner reports a course review, backers
//! report a campaign comment, and only admins see the queue and act on it. Hide takes the
//! content down and resolves its reports; Dismiss resolves them and keeps the content.

use serde_json::{json, Value};

use crate::campaign_api::live_campaign;
use crate::payments_api::backer;
use crate::support::{spawn_app, TestApp};

const COMMENT: &str = "Buy cheap followers at example dot com, best prices!";
const REVIEW: &str = "The teacher is an idiot and so is everyone who bought this.";

async fn post(who: &TestApp, name: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = who.csrf().await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    who.call(name, &form).await
}

async fn ok_json(who: &TestApp, name: &str, fields: &[(&str, &str)]) -> Value {
    let res = post(who, name, fields).await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{name}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// A live campaign with a comment, a published course with a learner's review, and an admin.
struct World {
    app: TestApp,
    admin: TestApp,
    creator: TestApp,
    campaign: String,
    campaign_slug: String,
    course_slug: String,
    comment: String,
    review: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let (creator, campaign) =
        live_campaign(&app, "mod_creator", "moderated-camp", "Moderated campaign").await;

    // A one-lesson course a learner is granted, completes and reviews.
    let course = ok_json(&creator, "create_course", &[("title", "Moderated course")]).await;
    let course = course.as_str().unwrap().to_string();
    let lesson = ok_json(
        &creator,
        "add_lesson",
        &[
            ("course_id", &course),
            ("section", "s1"),
            ("title", "Only lesson"),
        ],
    )
    .await;
    let lesson = lesson.as_str().unwrap().to_string();
    ok_json(
        &creator,
        "publish_course",
        &[("course_id", &course), ("publish", "true")],
    )
    .await;
    let draft = ok_json(&creator, "course_draft", &[("course_id", &course)]).await;
    let course_slug = draft["card"]["slug"].as_str().unwrap().to_string();
    let reviewer = backer(&app, "loud_learner").await;
    ok_json(
        &creator,
        "grant_course",
        &[
            ("course_id", &course),
            ("email", "loud_learner@example.com"),
        ],
    )
    .await;
    ok_json(&reviewer, "complete_lesson", &[("lesson_id", &lesson)]).await;
    ok_json(
        &reviewer,
        "review_course",
        &[("course_id", &course), ("rating", "1"), ("body", REVIEW)],
    )
    .await;
    let page = ok_json(&reviewer, "course_page", &[("slug", &course_slug)]).await;
    let review = page["reviews"][0]["id"].as_str().unwrap().to_string();

    let commenter = backer(&app, "spammy_sam").await;
    let comment = ok_json(
        &commenter,
        "post_comment",
        &[("campaign_id", &campaign), ("body", COMMENT)],
    )
    .await;
    let comment = comment.as_str().unwrap().to_string();

    let admin = app.fresh_client().await;
    admin.login_admin().await;
    World {
        app,
        admin,
        creator,
        campaign,
        campaign_slug: "moderated-camp".into(),
        course_slug,
        comment,
        review,
    }
}

/// A learner reports the review, then two backers report the comment (one of them twice).
async fn report_both(w: &World) {
    let learner = backer(&w.app, "careful_learner").await;
    ok_json(&learner, "report_review", &[("review_id", &w.review)]).await;
    for (handle, reason) in [("backer_one", "spam"), ("backer_two", "scam link")] {
        let b = backer(&w.app, handle).await;
        for _ in 0..2 {
            ok_json(
                &b,
                "report_comment",
                &[("comment_id", &w.comment), ("reason", reason)],
            )
            .await;
        }
    }
}

async fn queue(who: &TestApp) -> Vec<Value> {
    let res = who.call("report_queue", &[]).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn item<'a>(queue: &'a [Value], kind: &str, id: &str) -> Option<&'a Value> {
    queue.iter().find(|i| i["kind"] == kind && i["id"] == id)
}

/// How many reports on `table:id` are still open.
async fn open_reports(app: &TestApp, table: &str, id: &str) -> u64 {
    app.state
        .db
        .row(
            "RETURN count((SELECT id FROM report
                WHERE target = type::record($tb, $id) AND resolved = false))",
            json!({ "tb": table, "id": id }),
        )
        .await
        .unwrap()
        .unwrap()
}

/// The comment's body as a visitor reads it from the campaign's comments.
async fn public_comment_body(app: &TestApp, campaign: &str, id: &str) -> String {
    let visitor = app.fresh_client().await;
    let list: Value = visitor
        .call("list_comments", &[("campaign_id", campaign)])
        .await
        .json()
        .await
        .unwrap();
    let comment = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .expect("the comment is listed")
        .clone();
    comment["body"].as_str().unwrap().to_string()
}

async fn public_reviews(app: &TestApp, slug: &str) -> Value {
    let visitor = app.fresh_client().await;
    let res = visitor.call("course_page", &[("slug", slug)]).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["reviews"].clone()
}

#[tokio::test]
async fn admins_see_each_reported_item_once_with_its_count_and_reasons_oldest_first() {
    let w = world().await;
    assert!(queue(&w.admin).await.is_empty(), "nothing reported yet");
    let empty = w.admin.get("/admin/reports").await.text().await.unwrap();
    assert!(empty.contains("Nothing to review"), "{empty}");

    report_both(&w).await;
    let list = queue(&w.admin).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["kind"], "review", "the review was reported first");
    assert_eq!(list[1]["kind"], "comment");

    let review = item(&list, "review", &w.review).unwrap();
    assert_eq!(review["reports"], 1);
    assert_eq!(review["content"]["rating"], 1);
    assert_eq!(review["content"]["author_handle"], "loud_learner");
    assert_eq!(
        review["content"]["place_url"],
        format!("/courses/{}", w.course_slug)
    );
    assert_eq!(review["content"]["excerpt"], REVIEW);
    assert_eq!(review["content"]["hidden"], false);

    let comment = item(&list, "comment", &w.comment).unwrap();
    assert_eq!(comment["reports"], 2, "two people, each counted once");
    let reasons: Vec<&str> = comment["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, vec!["spam", "scam link"]);
    assert_eq!(comment["content"]["author_name"], "Spammy_sam");
    assert_eq!(
        comment["content"]["place_url"],
        format!("/c/{}", w.campaign_slug)
    );
    assert_eq!(comment["content"]["place_title"], "Moderated campaign");
    assert!(comment["first_reported"].as_str().is_some());

    // The page renders the same queue on the server, with buttons naming their item.
    let html = w.admin.get("/admin/reports").await.text().await.unwrap();
    assert!(html.contains(">Reports</h1>"), "{html}");
    assert!(html.contains("Buy cheap followers"), "{html}");
    assert!(html.contains(": Comment by Spammy_sam</span>"), "{html}");
    assert!(html.contains("role=\"status\""), "{html}");
    let zh = w
        .admin
        .client
        .get(w.admin.url("/admin/reports"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(zh.contains("Spammy_sam 的评论"), "{zh}");
}

#[tokio::test]
async fn people_who_are_not_admins_are_refused_and_nothing_changes() {
    let w = world().await;
    report_both(&w).await;
    let anon = w.app.fresh_client().await;
    assert_eq!(anon.call("report_queue", &[]).await.status(), 401);
    let member = backer(&w.app, "curious_member").await;
    assert_eq!(member.call("report_queue", &[]).await.status(), 403);
    let page = member.get("/admin/reports").await.text().await.unwrap();
    assert!(page.contains("Only admins can see this page."), "{page}");
    assert!(!page.contains("Buy cheap followers"), "{page}");

    // Not even the campaign's creator, who may hide comments on their own page.
    for who in [&member, &w.creator] {
        for action in ["hide_reported", "dismiss_reports"] {
            for (kind, id) in [
                ("comment", w.comment.as_str()),
                ("review", w.review.as_str()),
            ] {
                let res = post(who, action, &[("kind", kind), ("id", id)]).await;
                assert_eq!(res.status(), 403, "{action} {kind}");
            }
        }
    }
    // An admin whose form carries a forged token is refused too.
    let res = w
        .admin
        .call(
            "hide_reported",
            &[("csrf", "forged"), ("kind", "comment"), ("id", &w.comment)],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Csrf"));

    assert_eq!(open_reports(&w.app, "comment", &w.comment).await, 2);
    assert_eq!(open_reports(&w.app, "review", &w.review).await, 1);
    assert_eq!(
        public_comment_body(&w.app, &w.campaign, &w.comment).await,
        COMMENT
    );
    assert_eq!(
        public_reviews(&w.app, &w.course_slug).await[0]["body"],
        REVIEW
    );
}

#[tokio::test]
async fn hide_takes_the_content_down_and_resolves_every_report_on_it() {
    let w = world().await;
    report_both(&w).await;
    // A visitor's cached page of comments must not keep the text once it is hidden.
    assert_eq!(
        public_comment_body(&w.app, &w.campaign, &w.comment).await,
        COMMENT
    );

    let n = ok_json(
        &w.admin,
        "hide_reported",
        &[("kind", "comment"), ("id", &w.comment)],
    )
    .await;
    assert_eq!(n, 2, "both reports resolved");
    assert_eq!(
        public_comment_body(&w.app, &w.campaign, &w.comment).await,
        "",
        "hidden text is not sent to visitors"
    );
    let n = ok_json(
        &w.admin,
        "hide_reported",
        &[("kind", "review"), ("id", &w.review)],
    )
    .await;
    assert_eq!(n, 1);
    assert_eq!(public_reviews(&w.app, &w.course_slug).await, json!([]));

    assert!(queue(&w.admin).await.is_empty());
    assert_eq!(open_reports(&w.app, "comment", &w.comment).await, 0);
    let who: Vec<Value> = w
        .app
        .state
        .db
        .rows(
            "SELECT resolved_by.display_name AS by, resolved_at != NONE AS dated, outcome
             FROM report WHERE target = type::record('comment', $c)",
            json!({ "c": &w.comment }),
        )
        .await
        .unwrap();
    assert_eq!(who.len(), 2);
    for r in &who {
        assert_eq!(r["by"], "Admin", "{r}");
        assert_eq!(r["dated"], true, "{r}");
        assert_eq!(r["outcome"], "hidden", "{r}");
    }

    // The campaign's creator may not show again what an admin took down; an admin may.
    let unhide = [("comment_id", w.comment.as_str()), ("hidden", "false")];
    assert_eq!(
        post(&w.creator, "hide_comment", &unhide).await.status(),
        403
    );
    assert_eq!(
        public_comment_body(&w.app, &w.campaign, &w.comment).await,
        "",
        "still hidden"
    );
    assert_eq!(post(&w.admin, "hide_comment", &unhide).await.status(), 200);
    assert_eq!(
        public_comment_body(&w.app, &w.campaign, &w.comment).await,
        COMMENT
    );
    assert_eq!(
        post(
            &w.admin,
            "hide_comment",
            &[("comment_id", w.comment.as_str()), ("hidden", "true")]
        )
        .await
        .status(),
        200
    );

    // A second admin acting on the same item learns it is already done.
    let again = post(
        &w.admin,
        "hide_reported",
        &[("kind", "comment"), ("id", &w.comment)],
    )
    .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn dismiss_keeps_the_content_and_a_later_report_brings_it_back() {
    let w = world().await;
    report_both(&w).await;
    let n = ok_json(
        &w.admin,
        "dismiss_reports",
        &[("kind", "comment"), ("id", &w.comment)],
    )
    .await;
    assert_eq!(n, 2);
    assert_eq!(
        public_comment_body(&w.app, &w.campaign, &w.comment).await,
        COMMENT
    );
    let outcomes: Vec<String> = w
        .app
        .state
        .db
        .rows(
            "SELECT VALUE outcome FROM report WHERE target = type::record('comment', $c)",
            json!({ "c": &w.comment }),
        )
        .await
        .unwrap();
    assert_eq!(outcomes, vec!["dismissed", "dismissed"]);
    let list = queue(&w.admin).await;
    assert!(item(&list, "comment", &w.comment).is_none(), "{list:?}");
    assert!(item(&list, "review", &w.review).is_some(), "{list:?}");

    // Someone new reports it: it is back, counting only the new report.
    let late = backer(&w.app, "late_backer").await;
    ok_json(
        &late,
        "report_comment",
        &[("comment_id", &w.comment), ("reason", "still spam")],
    )
    .await;
    let list = queue(&w.admin).await;
    let back = item(&list, "comment", &w.comment).expect("reported again");
    assert_eq!(back["reports"], 1);
    assert_eq!(back["reasons"][0]["reason"], "still spam");
}

#[tokio::test]
async fn an_unknown_item_gets_a_clear_error_and_changes_nothing() {
    let w = world().await;
    report_both(&w).await;
    let cases = [
        ("hide_reported", "comment", "no-such-comment"),
        ("dismiss_reports", "review", "no-such-review"),
        ("dismiss_reports", "campaign", w.campaign.as_str()),
        ("hide_reported", "comment", ""),
        // A real review, but asked for as a comment.
        ("hide_reported", "comment", w.review.as_str()),
    ];
    for (action, kind, id) in cases {
        let res = post(&w.admin, action, &[("kind", kind), ("id", id)]).await;
        assert_eq!(res.status(), 404, "{action} {kind} {id}");
        assert!(res.text().await.unwrap().contains("NotFound"));
    }
    assert_eq!(open_reports(&w.app, "comment", &w.comment).await, 2);
    assert_eq!(open_reports(&w.app, "review", &w.review).await, 1);
    assert_eq!(
        public_reviews(&w.app, &w.course_slug).await[0]["body"],
        REVIEW
    );
    assert_eq!(queue(&w.admin).await.len(), 2);
}
