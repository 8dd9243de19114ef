//! Markdown from creators, rendered on the server and sanitised before anyone sees it: no
//! scripts, iframes, event handlers or `javascript:` links survive, and links to other sites get
//! `rel="noopener noreferrer nofollow"`.

use pulldown_cmark::{html, Options, Parser};

pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into())
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_html() {
        let html = render("## Plan\n\n*Six* chapters, [details](https://example.com).");
        assert!(html.contains("<h2>Plan</h2>"));
        assert!(html.contains("<em>Six</em>"));
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""));
    }

    #[test]
    fn scripts_frames_and_handlers_are_removed() {
        let html = render(
            "<script>alert(1)</script><iframe src=\"https://evil.example\"></iframe>\n\n\
             <img src=x onerror=alert(1)> [click](javascript:alert(1))",
        );
        for bad in ["<script", "<iframe", "onerror", "javascript:"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
    }
}
