//! Access that matches what was paid for (issue 12) and quiz attempts that cannot be
//! brute-forced (issue 13): a reward tier's grant is the only thing that opens a campaign's
//! course, a backer is whoever `payments::rules::is_backer` says (a saved card is not), quizzes
//! limit attempts, the final assessment keeps its answers until the attempt is closed, and a
//! certificate goes with the access it rested on.

use app::payments::rules::PledgeState;
use serde_json::{json, Value};

use crate::campaign_api::{creator, live_campaign_from};
use crate::courses_api::PAID_SECRET;
use crate::courses_api::{buy, course_of_campaign, course_of_campaign_from, ok_json, post, Course};
use crate::payments_api::{backer, draft, pay, pledge_of, start_pledge, wait_for, HOLDER};
use crate::support::{spawn_app, TestApp};

/// A campaign draft with two tiers: "Supporter" (nothing extra, from 5) and "Learner" (the
/// course, from 25).
fn two_tier_draft(slug: &str, mode: &str) -> Value {
    let mut d = draft(slug, mode, "");
    d["tiers"] = json!([
        { "id": null, "title": "Supporter", "description": "Thanks, and our updates.",
          "min_amount": "5", "quantity": "", "delivery": "", "grants": "nothing" },
        { "id": null, "title": "Learner", "description": "The course.",
          "min_amount": "25", "quantity": "", "delivery": "", "grants": "course" },
    ]);
    d
}

async fn tier_titled(app: &TestApp, campaign: &str, title: &str) -> String {
    app.state
        .db
        .row::<String>(
            "SELECT VALUE record::id(id) FROM tier WHERE campaign = type::record('campaign', $c) \
             AND title = $t",
            json!({ "c": campaign, "t": title }),
        )
        .await
        .unwrap()
        .expect("a tier with that title")
}

/// Pledges `amount` on `tier` ("" for no reward) with a good card; answers the backer.
async fn pledge(app: &TestApp, handle: &str, campaign: &str, tier: &str, amount: &str) -> TestApp {
    let b = backer(app, handle).await;
    let res = start_pledge(&b, campaign, tier, amount, "").await;
    assert_eq!(res.status(), 200, "pledge of {handle}");
    let url: String = res.json().await.unwrap();
    let (status, _) = pay(&b, &url, "4242424242424242").await;
    assert_eq!(status, 200, "checkout of {handle}");
    b
}

/// Whether the viewer's standing opens the course, and the paid lesson's text reaches them.
async fn opens(who: &TestApp, c: &Course) -> (Value, bool) {
    let page = ok_json(who, "course_page", &[("slug", &c.slug)]).await;
    let lesson = who
        .call("lesson_page", &[("lesson_id", &c.paid)])
        .await
        .text()
        .await
        .unwrap();
    (page["standing"].clone(), lesson.contains(PAID_SECRET))
}

const CLOSED: (&str, bool) = ("Visitor", false);

fn closed() -> (Value, bool) {
    (json!(CLOSED.0), CLOSED.1)
}

fn by_reward() -> (Value, bool) {
    (json!({ "Enrolled": "campaign_reward" }), true)
}

#[tokio::test]
async fn a_one_dollar_pledge_without_a_reward_does_not_open_the_course() {
    let app = spawn_app().await;
    let (_creator, c) = course_of_campaign_from(
        &app,
        "noreward_maker",
        two_tier_draft("noreward", "flexible"),
    )
    .await;
    let b = pledge(&app, "one_dollar", &c.campaign, "", "1").await;
    wait_for(&app, "one_dollar", &c.campaign, PledgeState::Paid).await;
    assert_eq!(pledge_of(&app, "one_dollar", &c.campaign).await.amount, 100);
    assert_eq!(opens(&b, &c).await, closed());
}

#[tokio::test]
async fn a_nothing_extra_tier_does_not_open_the_course_even_paid_above_the_course_tier() {
    let app = spawn_app().await;
    let (creator, c) =
        course_of_campaign_from(&app, "nothing_maker", two_tier_draft("nothing", "flexible")).await;
    let supporter = tier_titled(&app, &c.campaign, "Supporter").await;
    let b = pledge(&app, "big_supporter", &c.campaign, &supporter, "80").await;
    wait_for(&app, "big_supporter", &c.campaign, PledgeState::Paid).await;
    assert_eq!(opens(&b, &c).await, closed());
    // Nor does the creator's learner count include them.
    let draft = ok_json(&creator, "course_draft", &[("course_id", &c.id)]).await;
    assert_eq!(draft["enrolled"], 0);
}

#[tokio::test]
async fn a_tier_granting_the_course_opens_it_once_paid() {
    let app = spawn_app().await;
    let (creator, c) = course_of_campaign_from(
        &app,
        "granting_maker",
        two_tier_draft("granting", "flexible"),
    )
    .await;
    let learner_tier = tier_titled(&app, &c.campaign, "Learner").await;
    let b = backer(&app, "tier_learner").await;
    let url: String = start_pledge(&b, &c.campaign, &learner_tier, "25", "")
        .await
        .json()
        .await
        .unwrap();
    // Started but not paid: nothing opens yet.
    assert_eq!(opens(&b, &c).await, closed());
    pay(&b, &url, "4242424242424242").await;
    wait_for(&app, "tier_learner", &c.campaign, PledgeState::Paid).await;
    assert_eq!(opens(&b, &c).await, by_reward());
    let draft = ok_json(&creator, "course_draft", &[("course_id", &c.id)]).await;
    assert_eq!(draft["enrolled"], 1);
}

#[tokio::test]
async fn an_all_or_nothing_tier_granting_the_course_opens_it_only_once_the_card_is_charged() {
    let app = spawn_app().await;
    let (_creator, c) = course_of_campaign_from(
        &app,
        "aon_maker",
        two_tier_draft("aon-course", "all_or_nothing"),
    )
    .await;
    let learner_tier = tier_titled(&app, &c.campaign, "Learner").await;
    // $120 meets the $100 goal on its own.
    let b = pledge(&app, "card_saver", &c.campaign, &learner_tier, "120").await;
    wait_for(&app, "card_saver", &c.campaign, PledgeState::Authorized).await;
    assert_eq!(opens(&b, &c).await, closed(), "a saved card opens nothing");

    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    let r = app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    assert_eq!(r.charged, 1, "{r:?}");
    wait_for(&app, "card_saver", &c.campaign, PledgeState::Paid).await;
    assert_eq!(opens(&b, &c).await, by_reward());
}

#[tokio::test]
async fn the_pledge_page_and_the_course_page_name_exactly_the_tiers_that_include_the_course() {
    let app = spawn_app().await;
    let (_creator, c) =
        course_of_campaign_from(&app, "shown_maker", two_tier_draft("shown", "flexible")).await;
    let supporter = tier_titled(&app, &c.campaign, "Supporter").await;
    let learner_tier = tier_titled(&app, &c.campaign, "Learner").await;

    // The pledge page: each choice says whether it opens the course, by its grant.
    let b = backer(&app, "chooser").await;
    let html = b.get("/c/shown/pledge").await.text().await.unwrap();
    let options: Vec<&str> = html.split("class=\"tier-option").skip(1).collect();
    assert_eq!(options.len(), 3, "no reward and two tiers: {html}");
    for (option, includes) in options.iter().zip([false, false, true]) {
        let segment = &option[..option.find("</label>").unwrap_or(option.len())];
        assert_eq!(
            segment.contains("Includes the course") && segment.contains("SQL for Testers"),
            includes,
            "{segment}"
        );
        assert_eq!(
            segment.contains("Does not include the course"),
            !includes,
            "{segment}"
        );
    }
    assert!(options[1].contains("Supporter") && options[2].contains("Learner"));
    let zh = b
        .client
        .get(b.url("/c/shown/pledge"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(zh.contains("包含课程") && zh.contains("不包含课程"), "{zh}");

    // The course page: only the granting tier, linking to the pledge page with it chosen.
    let page = ok_json(&b, "course_page", &[("slug", &c.slug)]).await;
    let titles: Vec<&str> = page["reward_tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Learner"]);
    let html = b
        .get(&format!("/courses/{}", c.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Included in these rewards of the campaign:"),
        "{html}"
    );
    assert!(html.contains(&format!("/c/shown/pledge?tier={learner_tier}")));
    assert!(!html.contains(&format!("/c/shown/pledge?tier={supporter}")));
}

#[tokio::test]
async fn backers_only_updates_stay_hidden_from_an_all_or_nothing_pledge_that_only_saved_a_card() {
    let app = spawn_app().await;
    let (maker, campaign) = live_campaign_from(
        &app,
        "update_maker",
        two_tier_draft("saved-card", "all_or_nothing"),
    )
    .await;
    let tier = tier_titled(&app, &campaign, "Learner").await;
    let b = pledge(&app, "saved_card", &campaign, &tier, "150").await;
    wait_for(&app, "saved_card", &campaign, PledgeState::Authorized).await;
    let secret = "backers-only-chapter-link";
    ok_json(
        &maker,
        "post_update",
        &[
            ("campaign_id", &campaign),
            ("title", "For backers"),
            ("body", secret),
            ("backers_only", "true"),
        ],
    )
    .await;
    ok_json(
        &b,
        "post_comment",
        &[("campaign_id", &campaign), ("body", "Can't wait!")],
    )
    .await;

    let html = b.get("/c/saved-card").await.text().await.unwrap();
    assert!(!html.contains(secret), "the page leaks the update");
    assert!(html.contains("Your pledge is saved"), "{html}");
    assert!(!html.contains("You backed this campaign"));
    let api = b
        .call("campaign_page", &[("slug", "saved-card")])
        .await
        .text()
        .await
        .unwrap();
    assert!(!api.contains(secret), "the API leaks the update");
    let comments: Value = b
        .call("list_comments", &[("campaign_id", &campaign)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(comments[0]["is_backer"], false, "no backer badge yet");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mails = app.state.mailer.outbox(50).await.unwrap();
    assert!(
        !mails
            .iter()
            .any(|m| m.to == "saved_card@example.com" && m.body.contains(secret)),
        "the update's text was mailed to a saved card"
    );

    // Charged at the deadline: a backer now, everywhere.
    let end = chrono::Utc::now() + chrono::Duration::days(31);
    app::campaigns::store::advance_due(&app.state.db, end)
        .await
        .unwrap();
    app::payments::settle::pass(&app.state, HOLDER, end)
        .await
        .unwrap();
    wait_for(&app, "saved_card", &campaign, PledgeState::Paid).await;
    let html = b.get("/c/saved-card").await.text().await.unwrap();
    assert!(html.contains(secret) && html.contains("You backed this campaign"));
    // The creator's list is never cached: it shows the badge at once.
    let comments: Value = maker
        .call("list_comments", &[("campaign_id", &campaign)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(comments[0]["is_backer"], true);
}

/// A published course of one section whose lessons are (title, quiz, extra form fields),
/// granted to a new learner.
struct QuizCourse {
    lessons: Vec<String>,
    learner: TestApp,
    teacher: TestApp,
    slug: String,
}

/// A lesson to write: title, quiz text, extra form fields.
type LessonSpec<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

async fn quiz_course(app: &TestApp, handle: &str, lessons: &[LessonSpec<'_>]) -> QuizCourse {
    let teacher = creator(app, handle).await;
    let id = ok_json(
        &teacher,
        "create_course",
        &[("title", "Quizzes that count")],
    )
    .await;
    let id = id.as_str().unwrap().to_string();
    let draft = ok_json(&teacher, "course_draft", &[("course_id", &id)]).await;
    let section = draft["sections"][0]["id"].as_str().unwrap().to_string();
    let slug = draft["card"]["slug"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for (title, quiz, extra) in lessons {
        let l = ok_json(
            &teacher,
            "add_lesson",
            &[("course_id", &id), ("section", &section), ("title", title)],
        )
        .await;
        let l = l.as_str().unwrap().to_string();
        let mut form = vec![
            ("lesson_id", l.as_str()),
            ("section", section.as_str()),
            ("title", title),
            ("body", "Lesson text."),
            ("opens_at", ""),
            ("version_note", ""),
            ("quiz", quiz),
            ("pass_mark", "100"),
        ];
        form.extend_from_slice(extra);
        ok_json(&teacher, "save_lesson", &form).await;
        ids.push(l);
    }
    ok_json(
        &teacher,
        "publish_course",
        &[("course_id", &id), ("publish", "true")],
    )
    .await;
    let learner = backer(app, &format!("{handle}_learner")).await;
    ok_json(
        &teacher,
        "grant_course",
        &[
            ("course_id", &id),
            ("email", &format!("{handle}_learner@example.com")),
        ],
    )
    .await;
    QuizCourse {
        lessons: ids,
        learner,
        teacher,
        slug,
    }
}

const QUIZ: &str = "Which clause picks columns?\n* SELECT\n- FROM\n? SELECT names the columns.\n\n\
    Name the clause that filters groups.\n= HAVING";
const WRONG: [(&str, &str); 2] = [("answers[0]", "1"), ("answers[1]", "where")];
const RIGHT: [(&str, &str); 2] = [("answers[0]", "0"), ("answers[1]", "having")];

fn answers<'a>(lesson: &'a str, a: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("lesson_id", lesson)];
    form.extend_from_slice(a);
    form
}

async fn attempts_at(app: &TestApp, lesson: &str) -> u64 {
    app.state
        .db
        .row::<u64>(
            "RETURN count((SELECT id FROM attempt WHERE lesson = type::record('lesson', $l)))",
            json!({ "l": lesson }),
        )
        .await
        .unwrap()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_quiz_refuses_answers_past_its_attempt_limit_until_the_wait_has_passed() {
    let app = spawn_app().await;
    let QuizCourse {
        lessons: ids,
        learner,
        slug,
        ..
    } = quiz_course(
        &app,
        "limit_teacher",
        &[
            (
                "Practice with a wait",
                QUIZ,
                &[("max_attempts", "2"), ("retry_wait_hours", "1")],
            ),
            (
                "Practice once",
                QUIZ,
                &[("max_attempts", "1"), ("retry_wait_hours", "0")],
            ),
        ],
    )
    .await;
    let (waits, once) = (&ids[0], &ids[1]);

    // Two attempts, each with feedback on every question (an ordinary quiz teaches).
    for left in [1, 0] {
        let r = ok_json(&learner, "answer_quiz", &answers(waits, &WRONG)).await;
        assert_eq!(r[0]["feedback"].as_array().unwrap().len(), 2, "{r}");
        assert_eq!(r[0]["attempts"]["left"], left, "{r}");
    }
    // The third is refused, says why, and records nothing.
    let res = post(&learner, "answer_quiz", &answers(waits, &RIGHT)).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("AttemptWait"));
    assert_eq!(attempts_at(&app, waits).await, 2);
    let page = ok_json(&learner, "lesson_page", &[("lesson_id", waits)]).await;
    assert_eq!(page["attempts"]["left"], 0);
    assert!(page["attempts"]["next_at"].is_string(), "{page}");
    let html = learner
        .get(&format!("/courses/{slug}/lessons/{waits}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Next attempt from"), "{html}");

    // An hour later one more attempt opens, and only one.
    app.state
        .db
        .run(
            "UPDATE attempt SET at = at - 61m WHERE lesson = type::record('lesson', $l)",
            json!({ "l": waits }),
        )
        .await
        .unwrap();
    let r = ok_json(&learner, "answer_quiz", &answers(waits, &RIGHT)).await;
    assert_eq!(r[0]["passed"], true, "{r}");
    let res = post(&learner, "answer_quiz", &answers(waits, &RIGHT)).await;
    assert_eq!(res.status(), 409);
    assert_eq!(attempts_at(&app, waits).await, 3);

    // Without a wait, the last attempt is the last.
    ok_json(&learner, "answer_quiz", &answers(once, &WRONG)).await;
    app.state
        .db
        .run(
            "UPDATE attempt SET at = at - 30d WHERE lesson = type::record('lesson', $l)",
            json!({ "l": once }),
        )
        .await
        .unwrap();
    let res = post(&learner, "answer_quiz", &answers(once, &RIGHT)).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("NoAttemptLeft"));
    assert_eq!(attempts_at(&app, once).await, 1);
}

#[tokio::test]
async fn answers_sent_at_once_cannot_take_more_attempts_than_the_limit() {
    let app = spawn_app().await;
    let QuizCourse {
        lessons: ids,
        learner,
        ..
    } = quiz_course(
        &app,
        "burst_teacher",
        &[(
            "Practice",
            QUIZ,
            &[("max_attempts", "2"), ("retry_wait_hours", "24")],
        )],
    )
    .await;
    let lesson = ids[0].clone();
    let csrf = learner.csrf().await;
    let burst: Vec<_> = (0..6)
        .map(|_| {
            let (who, lesson, csrf) = (learner.clone(), lesson.clone(), csrf.clone());
            tokio::spawn(async move {
                let mut form = vec![("csrf", csrf.as_str()), ("lesson_id", lesson.as_str())];
                form.extend_from_slice(&WRONG);
                who.call("answer_quiz", &form).await.status().as_u16()
            })
        })
        .collect();
    let mut ok = 0;
    for h in burst {
        if h.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 2);
    assert_eq!(attempts_at(&app, &lesson).await, 2);
}

#[tokio::test]
async fn the_studio_refuses_an_attempt_limit_out_of_range_and_keeps_the_old_one() {
    let app = spawn_app().await;
    let QuizCourse {
        lessons: ids,
        learner,
        teacher,
        ..
    } = quiz_course(
        &app,
        "range_teacher",
        &[(
            "Practice",
            QUIZ,
            &[("max_attempts", "4"), ("retry_wait_hours", "2")],
        )],
    )
    .await;
    for (max, wait) in [("0", "1"), ("51", "1"), ("3", "721"), ("many", "1")] {
        let res = post(
            &teacher,
            "save_lesson",
            &[
                ("lesson_id", &ids[0]),
                ("section", "s1"),
                ("title", "Practice"),
                ("body", "Changed text."),
                ("opens_at", ""),
                ("version_note", ""),
                ("quiz", QUIZ),
                ("pass_mark", "100"),
                ("max_attempts", max),
                ("retry_wait_hours", wait),
            ],
        )
        .await;
        assert_eq!(res.status(), 422, "{max} {wait}");
        assert!(res.text().await.unwrap().contains("AttemptLimit"));
    }
    let page = ok_json(&learner, "lesson_page", &[("lesson_id", &ids[0])]).await;
    assert_eq!(
        page["attempts"]["limit"],
        json!({ "max": 4, "wait_hours": 2 })
    );
    assert!(!page["content"]["body_html"]
        .as_str()
        .unwrap()
        .contains("Changed"));
}

#[tokio::test]
async fn the_final_assessment_does_not_reveal_per_question_results_before_the_attempt_closes() {
    let app = spawn_app().await;
    let QuizCourse {
        lessons: ids,
        learner,
        slug,
        ..
    } = quiz_course(
        &app,
        "exam_keeper",
        &[
            ("Reading", "", &[]),
            (
                "Final exam",
                QUIZ,
                &[
                    ("final_assessment", "on"),
                    ("max_attempts", "3"),
                    ("retry_wait_hours", "24"),
                ],
            ),
        ],
    )
    .await;
    let (reading, exam) = (&ids[0], &ids[1]);
    ok_json(&learner, "complete_lesson", &[("lesson_id", reading)]).await;

    // Half right: the score, and not which half.
    let half = [("answers[0]", "0"), ("answers[1]", "where")];
    let r = ok_json(&learner, "answer_quiz", &answers(exam, &half)).await;
    assert_eq!(
        (r[0]["score"].as_u64(), r[0]["passed"].as_bool()),
        (Some(50), Some(false))
    );
    assert_eq!(r[0]["feedback"], json!([]), "{r}");
    assert!(!r.to_string().contains("SELECT names the columns"), "{r}");
    assert_eq!(r[0]["attempts"]["left"], 2);
    let html = learner
        .get(&format!("/courses/{slug}/lessons/{exam}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Which answers were right is shown once"),
        "{html}"
    );

    // Passed: the attempt is closed, the answers are shown, the certificate issued.
    let r = ok_json(&learner, "answer_quiz", &answers(exam, &RIGHT)).await;
    assert_eq!(r[0]["passed"], true);
    let feedback = r[0]["feedback"].as_array().unwrap();
    assert_eq!(feedback.len(), 2);
    assert!(feedback.iter().all(|f| f["right"] == true));
    assert!(r[1].is_string(), "a certificate: {r}");

    // With no attempt after the last one, that last attempt closes it: answers shown.
    let QuizCourse {
        lessons: ids,
        learner,
        ..
    } = quiz_course(
        &app,
        "exam_once",
        &[(
            "Final exam",
            QUIZ,
            &[
                ("final_assessment", "on"),
                ("max_attempts", "1"),
                ("retry_wait_hours", "0"),
            ],
        )],
    )
    .await;
    let r = ok_json(&learner, "answer_quiz", &answers(&ids[0], &half)).await;
    assert_eq!(r[0]["passed"], false);
    let rights: Vec<bool> = r[0]["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["right"].as_bool().unwrap())
        .collect();
    assert_eq!(rights, [true, false]);
}

/// Passes the course's quiz, opens its last lesson and completes all three: the certificate.
async fn earn_certificate(app: &TestApp, learner: &TestApp, c: &Course) -> String {
    let passed = ok_json(
        learner,
        "answer_quiz",
        &[
            ("lesson_id", &c.paid),
            ("answers[0]", "0"),
            ("answers[1]", "HAVING"),
        ],
    )
    .await;
    assert_eq!(passed[0]["passed"], true, "{passed}");
    app.state
        .db
        .run(
            "UPDATE type::record('lesson', $l) SET opens_at = time::now() - 1m",
            json!({ "l": &c.later }),
        )
        .await
        .unwrap();
    let mut code = Value::Null;
    for lesson in [&c.preview, &c.paid, &c.later] {
        code = ok_json(learner, "complete_lesson", &[("lesson_id", lesson)]).await;
    }
    code.as_str().expect("a certificate").to_string()
}

async fn assert_withdrawn(app: &TestApp, code: &str, withdrawn: bool) {
    let anyone = app.fresh_client().await;
    // Refunds settle through webhooks: give them a moment.
    let mut cert = Value::Null;
    for _ in 0..50 {
        cert = ok_json(&anyone, "certificate", &[("code", code)]).await;
        if cert["withdrawn"] == withdrawn {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(cert["withdrawn"], withdrawn, "{cert}");
    let png = anyone
        .get(&format!("/certificates/{code}/certificate.png"))
        .await
        .status();
    assert_eq!(png, if withdrawn { 410 } else { 200 });
    let html = anyone
        .get(&format!("/certificates/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.contains("This certificate has been withdrawn"),
        withdrawn,
        "{html}"
    );
}

#[tokio::test]
async fn a_certificate_is_withdrawn_when_the_pledge_it_rests_on_is_refunded() {
    let app = spawn_app().await;
    let (_creator, c) = course_of_campaign(&app, "cert_pledge_maker").await;
    let tier = crate::payments_api::tier_of(&app, &c.campaign).await;
    let b = pledge(&app, "cert_backer", &c.campaign, &tier, "25").await;
    wait_for(&app, "cert_backer", &c.campaign, PledgeState::Paid).await;
    let code = earn_certificate(&app, &b, &c).await;
    assert_withdrawn(&app, &code, false).await;

    let id = pledge_of(&app, "cert_backer", &c.campaign).await.id;
    ok_json(&b, "refund_pledge", &[("pledge_id", &id), ("amount", "")]).await;
    wait_for(&app, "cert_backer", &c.campaign, PledgeState::Refunded).await;
    assert_withdrawn(&app, &code, true).await;
    let page = ok_json(&b, "course_page", &[("slug", &c.slug)]).await;
    assert_eq!(page["certificate"], Value::Null);
}

#[tokio::test]
async fn a_certificate_is_withdrawn_when_the_purchase_it_rests_on_is_refunded() {
    let app = spawn_app().await;
    let (_creator, c) = course_of_campaign(&app, "cert_sale_maker").await;
    let buyer = backer(&app, "cert_buyer").await;
    buy(&app, &buyer, &c).await;
    let code = earn_certificate(&app, &buyer, &c).await;
    assert_withdrawn(&app, &code, false).await;

    let page = ok_json(&buyer, "course_page", &[("slug", &c.slug)]).await;
    let order = page["refundable_order"].as_str().expect("refundable");
    ok_json(&buyer, "refund_course", &[("order_id", order)]).await;
    assert_withdrawn(&app, &code, true).await;
}
