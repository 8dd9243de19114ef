//! Markdown from creators, rendered on the server and sanitised before anyone sees it: no
//! scripts, iframes, event handlers or `javascript:` links survive, and links to other sites get
//! `rel="noopener noreferrer nofollow"`. Fenced code blocks that name a known language come out
//! highlighted (see `highlight`); the only classes that survive are the highlighter's own.

use std::borrow::Cow;
use std::sync::LazyLock;

use pulldown_cmark::{html, CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use syntect::parsing::SyntaxReference;

use super::highlight;

/// Elements the highlighter puts a `class` on; nowhere else may a class appear.
const CLASSED: [&str; 3] = ["pre", "code", "span"];

static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into())
        .attribute_filter(|element, attribute, value| {
            if attribute != "class" {
                return Some(Cow::Borrowed(value));
            }
            if !CLASSED.contains(&element) {
                return None;
            }
            highlight::own_classes(value).map(Cow::Owned)
        });
    for element in CLASSED {
        builder.add_tag_attributes(element, ["class"]);
    }
    builder
});

pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(
        &mut raw,
        highlight_code_blocks(Parser::new_ext(markdown, options)).into_iter(),
    );
    SANITISER.clean(&raw).to_string()
}

/// Replaces each fenced block in a known language by its highlighted HTML; every other event,
/// and any block the highlighter gives up on or that is past the document's budget, passes
/// through unchanged.
fn highlight_code_blocks<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut budget = highlight::MAX_DOCUMENT_HIGHLIGHT_BYTES;
    let mut out = Vec::new();
    let mut open: Option<(&'static SyntaxReference, Vec<Event<'a>>)> = None;
    for event in events {
        match (open.as_mut(), event) {
            (None, Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))) => {
                let start = Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info.clone())));
                match highlight::syntax_for(&info) {
                    Some(syntax) => open = Some((syntax, vec![start])),
                    None => out.push(start),
                }
            }
            (Some((syntax, held)), Event::End(TagEnd::CodeBlock)) => {
                let code: String = held
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let html = (code.len() <= budget)
                    .then(|| highlight::to_html(syntax, &code))
                    .flatten();
                match html {
                    Some(html) => {
                        budget -= code.len();
                        out.push(Event::Html(html.into()));
                    }
                    None => {
                        out.append(held);
                        out.push(Event::End(TagEnd::CodeBlock));
                    }
                }
                open = None;
            }
            (Some((_, held)), event) => held.push(event),
            (None, event) => out.push(event),
        }
    }
    // An unclosed block (pulldown-cmark always closes them, but be safe) passes through.
    if let Some((_, held)) = open {
        out.extend(held);
    }
    out
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

    #[test]
    fn a_rust_block_comes_out_highlighted_with_classes() {
        let html = render("```rust\nfn main() { let n = 42; }\n```\n");
        assert!(html.contains("<pre class=\"hl\"><code>"), "{html}");
        assert!(html.contains("<span class=\"hl-"), "{html}");
        assert!(
            html.contains("<span class=\"hl-keyword\">fn</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hl-number\">42</span>"),
            "{html}"
        );
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn an_unknown_or_missing_language_stays_a_plain_escaped_block() {
        for md in [
            "```klingon\nif a < b && c > d {}\n```\n",
            "```\nif a < b && c > d {}\n```\n",
            "    if a < b && c > d {}\n",
        ] {
            let html = render(md);
            assert!(html.contains("<pre><code>"), "{html}");
            assert!(html.contains("a &lt; b &amp;&amp; c &gt; d"), "{html}");
            assert!(!html.contains("class="), "{html}");
        }
    }

    #[test]
    fn blocks_past_the_documents_budget_stay_plain() {
        let block = format!("```rust\n{}```\n\n", "let x = 1;\n".repeat(2500));
        let html = render(&block.repeat(3));
        assert_eq!(
            html.matches("<pre class=\"hl\">").count(),
            2,
            "two fit in 64 KB"
        );
        assert_eq!(html.matches("<pre><code>").count(), 1);
    }

    #[test]
    fn a_script_tag_inside_a_code_block_stays_text() {
        for lang in ["html", "js", "rust", "nope"] {
            let html = render(&format!("```{lang}\n<script>alert(\"x\")</script>\n```\n"));
            assert!(!html.contains("<script"), "{lang}: {html}");
            // The highlighter may put spans inside the tag; its text is still the escaped tag.
            let text: String = html
                .split('<')
                .map(|piece| piece.split_once('>').map_or(piece, |(_, rest)| rest))
                .collect();
            assert!(
                text.contains("&lt;script&gt;alert(") && text.contains("&lt;/script&gt;"),
                "{lang}: {text}"
            );
        }
    }

    #[test]
    fn author_written_classes_are_stripped_outside_highlighted_code() {
        let html = render(
            "<p class=\"button danger\">Hi</p>\n\n\
             <div class=\"hl-keyword\">div</div>\n\n\
             <span class=\"site-header hl-string\">mixed</span>\n\n\
             ```rust\nfn x() {}\n```\n",
        );
        assert!(!html.contains("button"), "{html}");
        assert!(!html.contains("danger"), "{html}");
        assert!(!html.contains("site-header"), "{html}");
        assert!(html.contains("<div>div</div>"), "{html}");
        // On the highlighter's own elements only its own prefix is kept.
        assert!(
            html.contains("<span class=\"hl-string\">mixed</span>"),
            "{html}"
        );
        assert!(html.contains("<pre class=\"hl\">"), "{html}");
    }
}
