//! The Open Graph share card: an SVG laid out here and rendered to a 1200×630 PNG (see
//! `raster` for the fonts and the rendering).

use crate::raster::{svg_to_png, wrap, xml_escape, RenderError, FONT_STACK};

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
pub fn render_png(card: &OgCard) -> Result<Vec<u8>, RenderError> {
    svg_to_png(&svg(card), WIDTH, HEIGHT)
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
