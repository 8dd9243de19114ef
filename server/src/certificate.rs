//! The downloadable course certificate: an A4-landscape PNG (1600×1131) laid out as SVG here and
//! rendered by `raster`, in the reader's language, with the code and the page that verifies it.

use app::courses::model::Certificate;
use app::i18n::Lang;

use crate::raster::{svg_to_png, units, wrap, xml_escape, RenderError, FONT_STACK};

pub const WIDTH: u32 = 1600;
/// 1600 / √2: the proportions of an A4 sheet on its side.
pub const HEIGHT: u32 = 1131;

/// Codes are 20 letters and digits; anything else is not worth a database query.
pub fn plausible_code(code: &str) -> bool {
    (8..=64).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The completion date as people write it in `lang`.
pub fn long_date(cert: &Certificate, lang: Lang) -> String {
    match lang {
        Lang::En => cert.issued_at.format("%-d %B %Y").to_string(),
        Lang::ZhCn => cert.issued_at.format("%Y年%-m月%-d日").to_string(),
    }
}

/// Where anyone can check the certificate: `{PUBLIC_URL}/certificates/{code}`.
pub fn verification_url(public_url: &str, code: &str) -> String {
    format!("{}/certificates/{code}", public_url.trim_end_matches('/'))
}

/// "Label value", without the space after a full-width colon ("验证码：ABC").
fn labelled(label: &str, value: &str) -> String {
    if label.ends_with('：') {
        format!("{label}{value}")
    } else {
        format!("{label} {value}")
    }
}

/// One centred line of text.
fn line(y: usize, size: usize, weight: &str, fill: &str, text: &str) -> String {
    format!(
        r##"<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}" text-anchor="middle">{text}</text>"##,
        x = WIDTH / 2,
        text = xml_escape(text),
    )
}

fn svg(cert: &Certificate, lang: Lang, verify_url: &str) -> String {
    let c = lang.strings().course;
    let mut body = String::new();
    // The learner's name: one line, as large as fits.
    let name = wrap(&cert.learner_name, 26, 1).concat();
    body.push_str(&line(450, 88, "bold", "#1d1b2e", &name));
    body.push_str(&line(530, 34, "normal", "#4a4760", c.completed_course));
    let title = wrap(&cert.course_title, 40, 2);
    let mut y = 625;
    for part in &title {
        body.push_str(&line(y, 60, "bold", "#3b2f8f", part));
        y += 74;
    }
    let taught = labelled(
        c.taught_by,
        &format!(
            "{} · {} {}",
            wrap(&cert.creator_name, 40, 1).concat(),
            cert.lessons,
            c.lessons_word
        ),
    );
    body.push_str(&line(y + 30, 32, "normal", "#1d1b2e", &taught));
    let issued = labelled(c.issued, &long_date(cert, lang));
    body.push_str(&line(y + 84, 32, "normal", "#1d1b2e", &issued));
    let code = labelled(c.verify_code, &cert.code);
    body.push_str(&line(985, 28, "normal", "#4a4760", &code));
    // A long PUBLIC_URL gets a smaller type rather than a cut address.
    let url_units: usize = verify_url.chars().map(units).sum::<usize>() + 12;
    let url_size = (2500 / url_units.max(1)).clamp(14, 28);
    let url = labelled(c.verify_at, verify_url);
    body.push_str(&line(1035, url_size, "normal", "#3b2f8f", &url));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT_STACK}">
<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfaf7"/>
<rect x="36" y="36" width="1528" height="1059" fill="none" stroke="#3b2f8f" stroke-width="8" rx="16"/>
<rect x="60" y="60" width="1480" height="1011" fill="none" stroke="#3b2f8f" stroke-width="2" rx="10"/>
<text x="800" y="175" font-size="38" font-weight="bold" fill="#3b2f8f" text-anchor="middle">◆ Cohort</text>
{heading}
<rect x="700" y="300" width="200" height="4" fill="#a8380a"/>
{body}
<rect x="200" y="930" width="1200" height="2" fill="#e4e1ee"/>
</svg>"##,
        heading = line(265, 56, "bold", "#1d1b2e", c.certificate_of_completion),
    )
}

/// Renders the certificate. Pure CPU work: call it through `raster::render_off_workers`.
pub fn render_png(
    cert: &Certificate,
    lang: Lang,
    verify_url: &str,
) -> Result<Vec<u8>, RenderError> {
    svg_to_png(&svg(cert, lang, verify_url), WIDTH, HEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cert(name: &str, title: &str) -> Certificate {
        Certificate {
            code: "Ab12Cd34Ef56Gh78Ij90".into(),
            learner_name: name.into(),
            course_title: title.into(),
            course_slug: "sql".into(),
            creator_name: "Maya Okafor".into(),
            lessons: 12,
            issued_at: chrono::Utc.with_ymd_and_hms(2026, 3, 7, 9, 30, 0).unwrap(),
            final_score: None,
            withdrawn: false,
        }
    }

    #[test]
    fn the_certificate_is_an_a4_landscape_png_in_either_language() {
        for (lang, name, title) in [
            (Lang::En, "Ada Lovelace", "SQL for Testers"),
            (
                Lang::ZhCn,
                "王小明",
                "力学自学课：从牛顿定律到刚体转动，一套面向自学者的中学物理视频课程",
            ),
            (
                Lang::En,
                "<script>alert('x')</script> & \"quotes\"",
                "A very long course title that will not fit on two lines of the certificate at all, no",
            ),
        ] {
            let png = render_png(&cert(name, title), lang, "https://cohort.example/certificates/x")
                .unwrap();
            assert_eq!(
                imagesize::image_type(&png).unwrap(),
                imagesize::ImageType::Png
            );
            let size = imagesize::blob_size(&png).unwrap();
            assert_eq!((size.width, size.height), (1600, 1131), "{name}");
        }
    }

    #[test]
    fn what_the_certificate_says_is_escaped_and_complete() {
        let en = svg(
            &cert("Ada <b>& Co</b>", "SQL for Testers"),
            Lang::En,
            "https://cohort.example/certificates/Ab12Cd34Ef56Gh78Ij90",
        );
        assert!(en.contains("Ada &lt;b&gt;&amp; Co&lt;/b&gt;"), "{en}");
        for text in [
            "Certificate of completion",
            "SQL for Testers",
            "Taught by Maya Okafor · 12 lessons",
            "Issued on 7 March 2026",
            "Ab12Cd34Ef56Gh78Ij90",
            "https://cohort.example/certificates/Ab12Cd34Ef56Gh78Ij90",
        ] {
            assert!(en.contains(text), "{text} missing");
        }
        let zh = svg(
            &cert("王小明", "力学"),
            Lang::ZhCn,
            "https://x.example/certificates/c",
        );
        assert!(
            zh.contains("结业证书") && zh.contains("2026年3月7日"),
            "{zh}"
        );
    }

    #[test]
    fn only_plausible_codes_reach_the_database() {
        assert!(plausible_code("Ab12Cd34Ef56Gh78Ij90"));
        for bad in [
            "",
            "short",
            "../../etc/passwd",
            "abc def ghi",
            "ab%2F12345678",
            &"a".repeat(65),
        ] {
            assert!(!plausible_code(bad), "{bad}");
        }
    }

    #[test]
    fn the_verification_url_is_built_from_the_public_url() {
        assert_eq!(
            verification_url("https://cohort.example/", "Ab12"),
            "https://cohort.example/certificates/Ab12"
        );
    }

    /// `cargo test -p server --lib certificate::tests::sample -- --ignored` writes samples.
    #[test]
    #[ignore]
    fn sample() {
        for (lang, file, name, title) in [
            (
                Lang::En,
                "/tmp/cert-en.png",
                "Ada Lovelace",
                "Reliable Rust Web Services: a book and code-along course",
            ),
            (
                Lang::ZhCn,
                "/tmp/cert-zh.png",
                "王小明",
                "力学自学课：从牛顿定律到刚体转动",
            ),
        ] {
            let url = verification_url("https://cohort.example", "Ab12Cd34Ef56Gh78Ij90");
            let png = render_png(&cert(name, title), lang, &url).unwrap();
            std::fs::write(file, png).unwrap();
        }
    }
}
