//! Lesson media: studio uploads that stream to disk and are typed by their bytes, and the Range
//! route that gives a lesson's files only to viewers the lesson opens for.

use app::accounts::model::Email;
use app::courses::model::{CourseState, Grant, MediaKind};
use app::courses::store::{self, LessonEdit};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::campaign_api::creator;
use crate::support::{spawn_app, TestApp};

const MIB: usize = 1024 * 1024;

async fn user_id(app: &TestApp, email: &str) -> String {
    app::accounts::store::find_by_email(&app.state.db, &Email::parse(email).unwrap())
        .await
        .unwrap()
        .expect("user exists")
        .id
}

/// A signed-up learner in its own browser; answers the client and the user id.
async fn learner(app: &TestApp, handle: &str) -> (TestApp, String) {
    let c = app.fresh_client().await;
    let email = format!("{handle}@example.com");
    c.sign_up(&email, handle, "correct horse battery").await;
    let id = user_id(app, &email).await;
    (c, id)
}

struct Course {
    creator: TestApp,
    id: String,
    /// A paid lesson.
    lesson: String,
    /// A free preview lesson.
    preview: String,
}

/// A published course by a new creator, with a paid lesson and a free preview lesson.
async fn published_course(app: &TestApp, handle: &str) -> Course {
    let c = creator(app, handle).await;
    let creator_id = user_id(app, &format!("{handle}@example.com")).await;
    let db = &app.state.db;
    let id = store::create(db, &creator_id, "Sound design from scratch", "sound-design")
        .await
        .unwrap();
    let lesson = store::create_lesson(db, &id, "s1", "Waveforms")
        .await
        .unwrap();
    let preview = store::create_lesson(db, &id, "s1", "Welcome")
        .await
        .unwrap();
    let edit = LessonEdit {
        section: "s1",
        title: "Welcome",
        body: "",
        body_html: "",
        preview: true,
        opens_at: None,
        version_note: None,
        questions: &[],
        pass_mark: 70,
        optional: false,
        final_assessment: false,
        attempt_limit: Default::default(),
    };
    store::update_lesson(db, &preview, edit).await.unwrap();
    store::set_state(db, &id, CourseState::Published)
        .await
        .unwrap();
    Course {
        creator: c,
        id,
        lesson,
        preview,
    }
}

/// Posts the studio's upload form (`what`: media or attachments); answers the `upload` code the
/// redirect carries, or the status and path when there is none.
async fn upload(
    who: &TestApp,
    lesson: &str,
    what: &str,
    csrf: &str,
    name: &str,
    bytes: Vec<u8>,
) -> String {
    let form = Form::new()
        .text("csrf", csrf.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_string()));
    let res = who
        .client
        .post(who.url(&format!("/studio/lessons/{lesson}/{what}")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    res.url()
        .query_pairs()
        .find(|(k, _)| k == "upload")
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| format!("status {} at {}", res.status(), res.url().path()))
}

/// A real PCM WAV file: 8 kHz mono 16-bit, a 440 Hz tone of `samples` samples.
fn wav(samples: usize, pitch: f64) -> Vec<u8> {
    let data_len = u32::try_from(samples * 2).unwrap();
    let mut out = Vec::with_capacity(44 + samples * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes()); // samples per second
    out.extend_from_slice(&16000u32.to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = i as f64 / 8000.0;
        let v = ((t * pitch * std::f64::consts::TAU).sin() * 12_000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

fn files_on_disk(app: &TestApp) -> Vec<String> {
    match std::fs::read_dir(app.state.settings.media_dir.join("lessons")) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn media_file(app: &TestApp, lesson: &str) -> String {
    store::lesson(&app.state.db, lesson)
        .await
        .unwrap()
        .unwrap()
        .media
        .expect("lesson media")
        .file
}

async fn get_range(who: &TestApp, path: &str, range: &str) -> reqwest::Response {
    who.client
        .get(who.url(path))
        .header("range", range)
        .send()
        .await
        .expect("GET")
}

#[tokio::test]
async fn lesson_uploads_refuse_forged_tokens_disguised_html_oversized_files_and_strangers() {
    let app = spawn_app().await;
    let course = published_course(&app, "refused").await;
    let (c, lesson) = (&course.creator, course.lesson.as_str());
    let csrf = c.csrf().await;

    let forged = upload(c, lesson, "media", "forged", "tone.wav", wav(800, 440.0)).await;
    assert_eq!(forged, "csrf");
    let html = b"<!doctype html><html><script>alert(document.cookie)</script></html>".to_vec();
    assert_eq!(
        upload(c, lesson, "media", &csrf, "lesson.mp4", html).await,
        "type"
    );
    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    assert_eq!(
        upload(c, lesson, "media", &csrf, "slides.mp4", pdf).await,
        "type",
        "a PDF is an attachment, not the lesson's video"
    );
    // Just over the attachment limit, with a real PDF head so only the size is wrong.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(50 * MIB + 1, 0);
    assert_eq!(
        upload(c, lesson, "attachments", &csrf, "big.pdf", big).await,
        "size"
    );

    let (stranger, _) = learner(&app, "stranger").await;
    let csrf_s = stranger.csrf().await;
    let res = upload(
        &stranger,
        lesson,
        "media",
        &csrf_s,
        "t.wav",
        wav(800, 440.0),
    )
    .await;
    assert!(res.starts_with("status 404"), "{res}");
    let anon = app.fresh_client().await;
    let csrf_a = anon.csrf().await;
    let res = upload(&anon, lesson, "media", &csrf_a, "t.wav", wav(800, 440.0)).await;
    assert!(res.ends_with(" at /login"), "{res}");

    let row = store::lesson(&app.state.db, lesson).await.unwrap().unwrap();
    assert!(row.media.is_none() && row.attachments.is_empty());
    assert_eq!(
        files_on_disk(&app),
        Vec::<String>::new(),
        "refused uploads leave nothing on disk"
    );
}

#[tokio::test]
async fn an_uploaded_wav_is_served_whole_and_by_range_and_never_to_a_stranger() {
    let app = spawn_app().await;
    let course = published_course(&app, "ranger").await;
    let (c, lesson) = (&course.creator, course.lesson.as_str());
    let csrf = c.csrf().await;
    let tone = wav(8000, 440.0);
    assert_eq!(
        upload(c, lesson, "media", &csrf, "tone.wav", tone.clone()).await,
        "ok"
    );
    let media = store::lesson(&app.state.db, lesson)
        .await
        .unwrap()
        .unwrap()
        .media
        .unwrap();
    assert_eq!(media.kind, MediaKind::Audio);
    assert_eq!(media.mime, "audio/wav");
    assert_eq!(media.size, tone.len() as i64);
    assert_eq!(media.name, "tone.wav");
    assert!(media.file.ends_with(".wav"), "{}", media.file);
    let path = format!("/media/lessons/{lesson}/{}", media.file);
    let len = tone.len();

    let full = c.get(&path).await;
    assert_eq!(full.status(), 200);
    let h = full.headers().clone();
    assert_eq!(h["content-type"], "audio/wav");
    assert_eq!(h["cache-control"], "private, max-age=3600");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["content-length"], len.to_string().as_str());
    assert!(!h.contains_key("content-disposition"), "media plays inline");
    assert_eq!(full.bytes().await.unwrap(), tone);

    let part = get_range(c, &path, "bytes=100-199").await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-199/{len}").as_str()
    );
    assert_eq!(part.headers()["cache-control"], "private, max-age=3600");
    assert_eq!(part.bytes().await.unwrap(), tone[100..200]);

    let tail = get_range(c, &path, "bytes=-50").await;
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        tail.headers()["content-range"],
        format!("bytes {}-{}/{len}", len - 50, len - 1).as_str()
    );
    assert_eq!(tail.bytes().await.unwrap(), tone[len - 50..]);

    let past = get_range(c, &path, "bytes=999999999-").await;
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{len}").as_str()
    );

    let bad = get_range(c, &path, "bytes=abc").await;
    assert!(!bad.status().is_server_error(), "{}", bad.status());
    assert!(
        bad.bytes().await.unwrap().len() < 100,
        "no content for a bad range"
    );
    let (stranger, _) = learner(&app, "peeker").await;
    for range in ["bytes=abc", "bytes=0-", "bytes=-50"] {
        let res = get_range(&stranger, &path, range).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{range}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert!(res.bytes().await.unwrap().is_empty(), "{range}");
    }

    // A new upload replaces the file: the old one is gone from disk and from the route.
    let higher = wav(4000, 880.0);
    assert_eq!(
        upload(c, lesson, "media", &csrf, "tone2.wav", higher.clone()).await,
        "ok"
    );
    let new_file = media_file(&app, lesson).await;
    assert_ne!(new_file, media.file);
    assert_eq!(files_on_disk(&app), vec![new_file.clone()]);
    assert_eq!(c.get(&path).await.status(), 404);
    let res = c.get(&format!("/media/lessons/{lesson}/{new_file}")).await;
    assert_eq!(res.bytes().await.unwrap(), higher);
}

#[tokio::test]
async fn attachments_download_under_their_sanitised_name() {
    let app = spawn_app().await;
    let course = published_course(&app, "attacher").await;
    let (c, lesson) = (&course.creator, course.lesson.as_str());
    let csrf = c.csrf().await;
    let notes = "第一周：波形与采样。\nWeek 1: waveforms and sampling.\n".repeat(40);
    let name = "讲义 \"week 1\".txt";
    let outcome = upload(
        c,
        lesson,
        "attachments",
        &csrf,
        name,
        notes.clone().into_bytes(),
    )
    .await;
    assert_eq!(outcome, "ok");
    let row = store::lesson(&app.state.db, lesson).await.unwrap().unwrap();
    let att = &row.attachments[0];
    assert_eq!(att.kind, MediaKind::File);
    assert_eq!(att.name, "讲义 week 1.txt");
    assert_eq!(att.size, notes.len() as i64);

    let res = c
        .get(&format!("/media/lessons/{lesson}/{}", att.file))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"__ week 1.txt\"; filename*=UTF-8''%E8%AE%B2%E4%B9%89%20week%201.txt"
    );
    assert_eq!(res.text().await.unwrap(), notes);
}

#[tokio::test]
async fn lesson_bytes_reach_only_viewers_the_lesson_opens_for() {
    let app = spawn_app().await;
    let course = published_course(&app, "gatekeeper").await;
    let c = &course.creator;
    let csrf = c.csrf().await;
    for lesson in [&course.lesson, &course.preview] {
        let outcome = upload(c, lesson, "media", &csrf, "tone.wav", wav(4000, 440.0)).await;
        assert_eq!(outcome, "ok");
    }
    let paid = format!(
        "/media/lessons/{}/{}",
        course.lesson,
        media_file(&app, &course.lesson).await
    );
    let free_file = media_file(&app, &course.preview).await;
    let free = format!("/media/lessons/{}/{free_file}", course.preview);

    let anon = app.fresh_client().await;
    let res = anon.get(&paid).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.bytes().await.unwrap().is_empty());
    assert_eq!(anon.get(&free).await.status(), 200, "previews are free");

    let (stranger, _) = learner(&app, "outsider").await;
    assert_eq!(stranger.get(&paid).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(stranger.get(&free).await.status(), 200);
    // The preview's path does not open another lesson's file.
    let paid_file = paid.rsplit('/').next().unwrap();
    let smuggled = format!("/media/lessons/{}/{paid_file}", course.preview);
    assert_eq!(stranger.get(&smuggled).await.status(), 404);

    let (student, student_id) = learner(&app, "student").await;
    let db = &app.state.db;
    store::grant(db, &course.id, &student_id, Grant::Admin, Some("ticket-7"))
        .await
        .unwrap();
    assert_eq!(student.get(&paid).await.status(), 200);
    let res = get_range(&student, &paid, "bytes=0-1023").await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().len(), 1024);

    let base = format!("/media/lessons/{}", course.lesson);
    for path in [
        format!("{base}/nosuchfile.wav"),
        format!("{base}/..%2F..%2Fcovers%2F{free_file}"),
        format!("{base}/..%5C{free_file}"),
        format!("{base}/a..wav"),
        format!("/media/lessons/nosuchlesson/{free_file}"),
    ] {
        assert_eq!(c.get(&path).await.status(), 404, "{path}");
        assert_eq!(student.get(&path).await.status(), 404, "{path}");
    }

    store::revoke(db, &course.id, &student_id, "ticket-7")
        .await
        .unwrap();
    let res = get_range(&student, &paid, "bytes=0-1023").await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "access ends with the grant"
    );
    assert!(res.bytes().await.unwrap().is_empty());
    assert_eq!(student.get(&free).await.status(), 200);
}
