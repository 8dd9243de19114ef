//! Required and optional lessons and the final assessment: a learner skips an optional lesson,
//! is refused the final exam while a required lesson is still open, then passes it and gets a
//! certificate with the score; the studio keeps one final assessment per course, with questions.

use serde_json::{json, Value};

use crate::campaign_api::creator;
use crate::payments_api::backer;
use crate::support::{spawn_app, TestApp};

const BASICS_QUIZ: &str = "Which clause picks columns?\n* SELECT\n- FROM";
const EXAM: &str = "Which keyword removes duplicate rows?\n* DISTINCT\n- UNIQUE ROWS\n\n\
    Name the clause that filters groups.\n= HAVING";
const EXAM_PROMPT: &str = "Which keyword removes duplicate rows?";

async fn send(who: &TestApp, name: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let csrf = who.csrf().await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = who.call(name, &form).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn ok(who: &TestApp, name: &str, fields: &[(&str, &str)]) -> Value {
    let (status, body) = send(who, name, fields).await;
    assert_eq!(status, 200, "{name}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// One lesson as the studio's form sends it; `marks` are extra checkbox fields ("optional",
/// "final_assessment") sent as "on".
async fn save_lesson(
    who: &TestApp,
    lesson: &str,
    title: &str,
    quiz: &str,
    marks: &[&str],
) -> (u16, String) {
    let mut form = vec![
        ("lesson_id", lesson),
        ("section", "s1"),
        ("title", title),
        ("body", "Lesson text."),
        ("opens_at", ""),
        ("version_note", ""),
        ("quiz", quiz),
        ("pass_mark", "50"),
    ];
    for m in marks {
        form.push((m, "on"));
    }
    send(who, "save_lesson", &form).await
}

/// A draft course with the given lesson titles in its first section: (course id, lesson ids).
async fn course_with(who: &TestApp, title: &str, lessons: &[&str]) -> (String, Vec<String>) {
    let id = ok(who, "create_course", &[("title", title)]).await;
    let id = id.as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for t in lessons {
        let l = ok(
            who,
            "add_lesson",
            &[("course_id", &id), ("section", "s1"), ("title", t)],
        )
        .await;
        ids.push(l.as_str().unwrap().to_string());
    }
    (id, ids)
}

fn answer<'a>(lesson: &'a str, answers: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    const NAMES: [&str; 2] = ["answers[0]", "answers[1]"];
    let mut form = vec![("lesson_id", lesson)];
    form.extend(NAMES.iter().copied().zip(answers.iter().copied()));
    form
}

async fn final_attempts(app: &TestApp, lesson: &str) -> u64 {
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
async fn a_learner_skips_the_optional_lesson_and_passes_the_final_assessment_for_a_scored_certificate(
) {
    let app = spawn_app().await;
    let teacher = creator(&app, "exam_teacher").await;
    let (course, ids) = course_with(
        &teacher,
        "Queries with an exam",
        &["Basics", "Joins", "Bonus reading", "Final exam"],
    )
    .await;
    let (basics, joins, bonus, exam) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    for (lesson, title, quiz, marks) in [
        (basics, "Basics", BASICS_QUIZ, &[][..]),
        (joins, "Joins", "", &[][..]),
        (bonus, "Bonus reading", "", &["optional"][..]),
        (exam, "Final exam", EXAM, &["final_assessment"][..]),
    ] {
        let (status, body) = save_lesson(&teacher, lesson, title, quiz, marks).await;
        assert_eq!(status, 200, "{title}: {body}");
    }
    ok(
        &teacher,
        "publish_course",
        &[("course_id", &course), ("publish", "true")],
    )
    .await;
    let slug = ok(&teacher, "course_draft", &[("course_id", &course)]).await["card"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let learner = backer(&app, "exam_learner").await;
    ok(
        &teacher,
        "grant_course",
        &[
            ("course_id", &course),
            ("email", "exam_learner@example.com"),
        ],
    )
    .await;

    // The syllabus marks the optional lesson and the final assessment.
    let page = ok(&learner, "course_page", &[("slug", &slug)]).await;
    let flags: Vec<(bool, bool)> = page["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["optional"].as_bool().unwrap(),
                l["final_assessment"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [(false, false), (false, false), (true, false), (false, true)]
    );
    let html = learner
        .get(&format!("/courses/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(">Optional<"), "{html}");
    assert!(html.contains(">Final assessment<"), "{html}");

    // Basics done and its quiz passed; Joins still open: the exam stays closed, says why, and
    // an answer is refused with nothing recorded.
    ok(&learner, "complete_lesson", &[("lesson_id", basics)]).await;
    let (result, _) = serde_json::from_value::<(Value, Option<String>)>(
        ok(&learner, "answer_quiz", &answer(basics, &["0"])).await,
    )
    .unwrap();
    assert_eq!(result["passed"], true);
    let lesson = ok(&learner, "lesson_page", &[("lesson_id", exam)]).await;
    assert_eq!(
        lesson["final_locked"],
        json!([{ "id": joins, "title": "Joins" }]),
        "only the open required lesson is named, not the optional one"
    );
    assert_eq!(lesson["content"]["quiz"], json!([]), "no exam while closed");
    let html = learner
        .get(&format!("/courses/{slug}/lessons/{exam}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("The final assessment is not open yet"),
        "{html}"
    );
    assert!(!html.contains(EXAM_PROMPT), "{html}");
    let (status, body) = send(&learner, "answer_quiz", &answer(exam, &["0", "having"])).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("FinalLocked"), "{body}");
    assert_eq!(final_attempts(&app, exam).await, 0, "nothing recorded");
    let (status, body) = send(&learner, "complete_lesson", &[("lesson_id", exam)]).await;
    assert_eq!(status, 409, "{body}");

    // Joins done: two of the three required lessons (the optional one never counts).
    let cert = ok(&learner, "complete_lesson", &[("lesson_id", joins)]).await;
    assert!(cert.is_null(), "not without the final assessment: {cert}");
    let page = ok(&learner, "course_page", &[("slug", &slug)]).await;
    assert_eq!(page["progress_percent"], 66);
    let lesson = ok(&learner, "lesson_page", &[("lesson_id", exam)]).await;
    assert_eq!(lesson["final_locked"], Value::Null);
    assert_eq!(lesson["content"]["quiz"][0]["prompt"], EXAM_PROMPT);

    // A failed attempt is recorded and earns nothing; passing earns the certificate.
    let (result, cert) = serde_json::from_value::<(Value, Option<String>)>(
        ok(&learner, "answer_quiz", &answer(exam, &["1", "where"])).await,
    )
    .unwrap();
    assert_eq!((result["score"].as_u64(), cert), (Some(0), None));
    let (result, cert) = serde_json::from_value::<(Value, Option<String>)>(
        ok(&learner, "answer_quiz", &answer(exam, &["0", " Having "])).await,
    )
    .unwrap();
    assert_eq!(result["score"], 100);
    let code = cert.expect("a certificate once the final assessment is passed");
    assert_eq!(final_attempts(&app, exam).await, 2);
    let page = ok(&learner, "course_page", &[("slug", &slug)]).await;
    assert_eq!(page["progress_percent"], 100);
    assert_eq!(page["certificate"], json!(code));
    assert_eq!(
        page["lessons"][2]["completed"], false,
        "the optional lesson was skipped"
    );

    let anyone = app.fresh_client().await;
    let cert = ok(&anyone, "certificate", &[("code", &code)]).await;
    assert_eq!(cert["final_score"], 100);
    assert_eq!(cert["lessons"], 3, "required lessons");
    let html = anyone
        .get(&format!("/certificates/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Final assessment score:"), "{html}");
    assert!(html.contains("100%"), "{html}");
}

#[tokio::test]
async fn the_studio_refuses_a_final_assessment_without_questions_and_moves_the_mark() {
    let app = spawn_app().await;
    let teacher = creator(&app, "mark_teacher").await;
    let (course, ids) = course_with(
        &teacher,
        "One exam only",
        &["First quiz", "No quiz", "Second quiz"],
    )
    .await;
    let (first, plain, second) = (&ids[0], &ids[1], &ids[2]);
    let (other_course, other_ids) = course_with(&teacher, "Another course", &["Other exam"]).await;
    let marks = |d: Value| -> Vec<(String, bool, bool)> {
        d["lessons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["title"].as_str().unwrap().to_string(),
                    l["optional"].as_bool().unwrap(),
                    l["final_assessment"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let draft = |id: String| {
        let teacher = teacher.clone();
        async move { ok(&teacher, "course_draft", &[("course_id", &id)]).await }
    };

    let (status, body) = save_lesson(
        &teacher,
        &other_ids[0],
        "Other exam",
        EXAM,
        &["final_assessment"],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        save_lesson(&teacher, first, "First quiz", EXAM, &["final_assessment"]).await;
    assert_eq!(status, 200, "{body}");

    // A lesson without questions cannot be the final assessment; nothing of the edit is saved.
    let (status, body) =
        save_lesson(&teacher, plain, "Renamed lesson", "", &["final_assessment"]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("FinalNeedsQuiz"), "{body}");
    // Nor can the final assessment be optional.
    let (status, body) = save_lesson(
        &teacher,
        second,
        "Renamed lesson",
        EXAM,
        &["final_assessment", "optional"],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("FinalNotOptional"), "{body}");
    assert_eq!(
        marks(draft(course.clone()).await),
        [
            ("First quiz".to_string(), false, true),
            ("No quiz".to_string(), false, false),
            ("Second quiz".to_string(), false, false),
        ],
        "refused edits change nothing"
    );
    let d = draft(course.clone()).await;
    let plain_now = d["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == json!(plain))
        .unwrap();
    assert_eq!(plain_now["questions"], json!([]));

    // Marking a second lesson moves the mark: one final assessment per course, and only in its
    // own course.
    let (status, body) =
        save_lesson(&teacher, second, "Second quiz", EXAM, &["final_assessment"]).await;
    assert_eq!(status, 200, "{body}");
    let after = marks(draft(course.clone()).await);
    let finals: Vec<&str> = after
        .iter()
        .filter(|(_, _, f)| *f)
        .map(|(t, _, _)| t.as_str())
        .collect();
    assert_eq!(finals, ["Second quiz"]);
    assert_eq!(
        marks(draft(other_course).await),
        [("Other exam".to_string(), false, true)],
        "another course keeps its own final assessment"
    );

    // Unticking it removes the mark; an optional lesson is saved as such.
    let (status, _) = save_lesson(&teacher, second, "Second quiz", EXAM, &[]).await;
    assert_eq!(status, 200);
    let (status, _) = save_lesson(&teacher, plain, "No quiz", "", &["optional"]).await;
    assert_eq!(status, 200);
    assert_eq!(
        marks(draft(course).await),
        [
            ("First quiz".to_string(), false, false),
            ("No quiz".to_string(), true, false),
            ("Second quiz".to_string(), false, false),
        ]
    );
}
