//! SVG to PNG with the machine's own fonts (DejaVu for Latin text, any installed CJK font for
//! Chinese), shared by the campaign share card and the course certificate. Nothing is fetched at
//! run time; without fonts an image still renders, just without text.

use std::sync::{Arc, LazyLock};

use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use resvg::{tiny_skia, usvg};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("building the image: {0}")]
    Svg(#[from] usvg::Error),
    #[error("allocating the image")]
    Pixmap,
    #[error("encoding PNG: {0}")]
    Png(String),
    #[error("the rendering task failed: {0}")]
    Task(String),
}

/// Loaded once: scanning the font directories takes tens of milliseconds.
static FONTS: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = usvg::fontdb::Database::new();
    db.load_system_fonts();
    tracing::info!(faces = db.len(), "fonts loaded for rendered images");
    Arc::new(db)
});

/// For `font-family` on the root `<svg>`: Latin first, then the CJK fonts Debian ships.
pub const FONT_STACK: &str = "'DejaVu Sans', 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'WenQuanYi Micro Hei', 'Droid Sans Fallback', 'Liberation Sans', sans-serif";

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
pub fn units(c: char) -> usize {
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

/// Renders an SVG document onto a `width`×`height` canvas. Pure CPU work (tens of
/// milliseconds): from async code go through [`render_off_workers`].
pub fn svg_to_png(svg: &str, width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    let options = usvg::Options {
        fontdb: FONTS.clone(),
        font_family: "DejaVu Sans".into(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)?;
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or(RenderError::Pixmap)?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Png(e.to_string()))
}

/// Runs `render` on the blocking pool, so that rasterising never stalls the async workers.
pub async fn render_off_workers<F>(render: F) -> Result<Vec<u8>, RenderError>
where
    F: FnOnce() -> Result<Vec<u8>, RenderError> + Send + 'static,
{
    tokio::task::spawn_blocking(render)
        .await
        .unwrap_or_else(|e| Err(RenderError::Task(e.to_string())))
}

/// A rendered PNG as a response with `headers` added, or a logged 500 when rendering failed.
pub fn png_response(
    png: Result<Vec<u8>, RenderError>,
    what: &str,
    headers: &[(HeaderName, String)],
) -> Response {
    match png {
        Ok(bytes) => {
            let mut res = ([(header::CONTENT_TYPE, "image/png")], bytes).into_response();
            for (name, value) in headers {
                if let Ok(value) = value.parse() {
                    res.headers_mut().insert(name.clone(), value);
                }
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, image = what, "rendering an image failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_broken_svg_is_an_error_not_a_panic() {
        assert!(matches!(
            svg_to_png("<svg", 10, 10),
            Err(RenderError::Svg(_))
        ));
        let blank = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
        assert!(matches!(svg_to_png(blank, 0, 10), Err(RenderError::Pixmap)));
    }
}
