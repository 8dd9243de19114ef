//! The certificate as a PNG download: earned the way a learner earns it, then fetched by anyone
//! who has the code.

use serde_json::json;

use crate::courses_api::{buy, course_of_campaign, ok_json};
use crate::payments_api::backer;
use crate::support::spawn_app;

#[tokio::test]
async fn an_earned_certificate_downloads_as_an_a4_png_and_a_made_up_code_is_not_found() {
    let app = spawn_app().await;
    let (_creator, c) = course_of_campaign(&app, "png_creator").await;
    let learner = backer(&app, "png_learner").await;
    buy(&app, &learner, &c).await;

    // Pass the quiz, open the last lesson, complete all three: the last completion issues it.
    let passed = ok_json(
        &learner,
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
    let mut code = serde_json::Value::Null;
    for lesson in [&c.preview, &c.paid, &c.later] {
        code = ok_json(&learner, "complete_lesson", &[("lesson_id", lesson)]).await;
    }
    let code = code.as_str().expect("a certificate").to_string();

    // Anyone with the code can download it, no session needed.
    let anyone = app.fresh_client().await;
    let res = anyone
        .get(&format!("/certificates/{code}/certificate.png"))
        .await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"cohort-certificate-{code}.png\"").as_str()
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age="),
        "{headers:?}"
    );
    let png = res.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
    let size = imagesize::blob_size(&png).unwrap();
    assert_eq!((size.width, size.height), (1600, 1131));

    // The Chinese version is a different image of the same size.
    let zh = anyone
        .get(&format!("/certificates/{code}/certificate.png?lang=zh-CN"))
        .await;
    assert_eq!(zh.status(), 200);
    let zh = zh.bytes().await.unwrap();
    assert_eq!(imagesize::blob_size(&zh).unwrap().width, 1600);
    assert_ne!(zh, png);

    // The page links to it, with the page's language.
    let page = anyone
        .get(&format!("/certificates/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "href=\"/certificates/{code}/certificate.png?lang=en\""
        )) && page.contains("Download certificate (PNG)"),
        "{page}"
    );

    for made_up in ["Zz99Yy88Xx77Ww66Vv55", "not-a-real-code", "a%20b"] {
        let res = anyone
            .get(&format!("/certificates/{made_up}/certificate.png"))
            .await;
        assert_eq!(res.status(), 404, "{made_up}");
        assert_ne!(
            res.headers().get("content-type").map(|v| v.as_bytes()),
            Some(&b"image/png"[..]),
            "{made_up}"
        );
    }
}
