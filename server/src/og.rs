//! The Open Graph share card: an SVG laid out here and rendered to a 1200×630 PNG by resvg with
//! the machine's own fonts (DejaVu for Latin text, any installed CJK font for Chinese). Nothing is
//! fetched at run time; without fonts the card still renders, just without text.

use std::sync::{Arc, LazyLock};

use resvg::{tiny_skia, usvg};

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;

/// What the share card shows.
pub struct OgCard<'a> {
    pub title: &'a str,
    /// The creator's display name.
    pub creator: &'a str,
    /// Already formatted, e.g. "$12,340.00".
    pub pledged: &'a str,
    pub goal: &'a str,
    /// May exceed 100.
    pub percent: u32,
    pub backers: u64,
    /// Short label, e.g. "Live · 12 days left".
    pub status: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum OgError {
    #[error("building the card: {0}")]
    Svg(#[from] usvg::Error),
    #[error("allocating the image")]
    Pixmap,
    #[error("encoding PNG: {0}")]
    Png(String),
}

/// Loaded once: scanning the font directories takes tens of milliseconds.
static FONTS: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = usvg::fontdb::Database::new();
    db.load_system_fonts();
    tracing::info!(faces = db.len(), "fonts loaded for share images");
    Arc::new(db)
});

const FONT_STACK: &str = "'DejaVu Sans', 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'WenQuanYi Micro Hei', 'Droid Sans Fallback', 'Liberation Sans', sans-serif";

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML at all.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Width of a character in "narrow" units: CJK and other wide characters count double.
fn units(c: char) -> usize {
    if (c as u32) >= 0x1100 {
        2
    } else {
        1
    }
}

/// Breaks `text` into at most `max_lines` lines of about `line_units` units, on spaces where
/// there are any (CJK text breaks anywhere), with an ellipsis when it had to cut.
pub fn wrap(text: &str, line_units: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut width = 0;
    let mut cut = false;
    for word in text.split_whitespace() {
        let pieces: Vec<String> = if word.chars().any(|c| units(c) == 2) {
            word.chars().map(String::from).collect()
        } else {
            vec![word.to_string()]
        };
        for (i, piece) in pieces.iter().enumerate() {
            let w: usize = piece.chars().map(units).sum();
            let space = usize::from(!line.is_empty() && i == 0);
            if width + space + w > line_units && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                width = 0;
                if lines.len() == max_lines {
                    cut = true;
                    break;
                }
            }
            if !line.is_empty() && i == 0 {
                line.push(' ');
                width += 1;
            }
            // A single word longer than a line is cut hard.
            for c in piece.chars() {
                if width + units(c) > line_units {
                    cut = true;
                    break;
                }
                line.push(c);
                width += units(c);
            }
        }
        if lines.len() == max_lines {
            cut = true;
            break;
        }
    }
    if !line.is_empty() && lines.len() < max_lines {
        lines.push(line);
    }
    if cut {
        if let Some(last) = lines.last_mut() {
            while last.chars().map(units).sum::<usize>() + 1 > line_units && last.pop().is_some() {}
            last.push('…');
        }
    }
    lines
}

fn svg(card: &OgCard) -> String {
    let title_lines = wrap(card.title, 28, 3);
    let mut title = String::new();
    for (i, line) in title_lines.iter().enumerate() {
        title.push_str(&format!(
            r##"<text x="80" y="{}" font-size="64" font-weight="bold" fill="#ffffff">{}</text>"##,
            190 + i * 78,
            xml_escape(line)
        ));
    }
    let bar = 1040.0 * (card.percent.min(100) as f64) / 100.0;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT_STACK}">
<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#3b2f8f"/><stop offset="1" stop-color="#1f1850"/></linearGradient></defs>
<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#bg)"/>
<text x="80" y="96" font-size="34" font-weight="bold" fill="#c9c2ff">◆ Cohort</text>
<text x="1120" y="96" font-size="28" fill="#c9c2ff" text-anchor="end">{status}</text>
{title}
<text x="80" y="440" font-size="32" fill="#e4e0ff">{creator}</text>
<rect x="80" y="478" width="1040" height="22" rx="11" fill="#ffffff" fill-opacity="0.2"/>
<rect x="80" y="478" width="{bar:.1}" height="22" rx="11" fill="#ffb38a"/>
<text x="80" y="560" font-size="40" font-weight="bold" fill="#ffffff">{pledged}</text>
<text x="80" y="598" font-size="26" fill="#c9c2ff">{of_goal}</text>
<text x="1120" y="560" font-size="40" font-weight="bold" fill="#ffffff" text-anchor="end">{percent}%</text>
<text x="1120" y="598" font-size="26" fill="#c9c2ff" text-anchor="end">{backers} backers</text>
</svg>"##,
        status = xml_escape(card.status),
        creator = xml_escape(&format!("by {}", card.creator)),
        pledged = xml_escape(card.pledged),
        of_goal = xml_escape(&format!("pledged of {}", card.goal)),
        percent = card.percent,
        backers = card.backers,
    )
}

/// Renders the card. Pure CPU work (tens of milliseconds): call it off the async workers.
pub fn render_png(card: &OgCard) -> Result<Vec<u8>, OgError> {
    let options = usvg::Options {
        fontdb: FONTS.clone(),
        font_family: "DejaVu Sans".into(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&svg(card), &options)?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT).ok_or(OgError::Pixmap)?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| OgError::Png(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card<'a>(title: &'a str, percent: u32) -> OgCard<'a> {
        OgCard {
            title,
            creator: "Tomás Rivera",
            pledged: "$7,680.00",
            goal: "$12,000.00",
            percent,
            backers: 212,
            status: "Live · 18 days left",
        }
    }

    #[test]
    fn the_card_is_a_1200_by_630_png() {
        for (title, pct) in [
            ("Reliable Rust Web Services", 64),
            ("<script>alert('x')</script> & \"quotes\"", 0),
            (
                "力学自学课：从牛顿定律到刚体转动，一套面向自学者的中学物理视频课程",
                250,
            ),
        ] {
            let png = render_png(&card(title, pct)).unwrap();
            assert_eq!(
                imagesize::image_type(&png).unwrap(),
                imagesize::ImageType::Png
            );
            let size = imagesize::blob_size(&png).unwrap();
            assert_eq!((size.width, size.height), (1200, 630), "{title}");
        }
    }

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(
            xml_escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(xml_escape("bell\u{7}"), "bell");
    }

    #[test]
    fn long_titles_wrap_and_end_with_an_ellipsis() {
        let lines = wrap("one two three four five six seven eight nine ten", 10, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert!(lines.iter().all(|l| l.chars().count() <= 10), "{lines:?}");
        let zh = wrap("机器学习入门课程从零开始", 8, 2);
        assert_eq!(zh, vec!["机器学习", "入门课…"]);
        assert_eq!(wrap("Short", 30, 3), vec!["Short"]);
    }

    /// `cargo test -p server --lib og::tests::sample -- --ignored` writes a sample to look at.
    #[test]
    #[ignore]
    fn sample() {
        let png = render_png(&card(
            "Reliable Rust Web Services: a book and code-along course",
            64,
        ))
        .unwrap();
        std::fs::write("/tmp/og-sample.png", png).unwrap();
    }
}
