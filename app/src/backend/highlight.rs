//! Syntax highlighting for fenced code blocks in creators' Markdown: done once, on the server,
//! into `<span class="hl-…">` tokens that style/main.css colours (no inline styles, no script).
//!
//! syntect parses with the bundled Sublime grammars; the runs of text are then folded into a
//! dozen token kinds here. syntect's own classed HTML writes a span per scope with every scope
//! atom as a class, which made lessons about 35 times larger than their code.

use std::sync::LazyLock;

use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Every class the highlighter writes starts with this; the sanitiser keeps no other class.
pub const CLASS_PREFIX: &str = "hl-";

/// Larger blocks stay plain: highlighting is regex work (about 2 ms per KB of Rust) done while
/// the author waits for the save.
pub const MAX_HIGHLIGHT_BYTES: usize = 32 * 1024;
/// The same for all the blocks of one document together.
pub const MAX_DOCUMENT_HIGHLIGHT_BYTES: usize = 64 * 1024;

/// Sublime Text grammars bundled with syntect; regexes compile lazily, on first use.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Scope prefixes and the token class they give, most specific first. A run of text takes the
/// first kind that its innermost scope falls under, else its parent's, and so on outwards.
const KINDS: [(&str, &str); 19] = [
    ("comment", "hl-comment"),
    ("string", "hl-string"),
    ("constant.numeric", "hl-number"),
    ("constant", "hl-constant"),
    ("keyword.operator", "hl-operator"),
    ("keyword", "hl-keyword"),
    ("storage", "hl-keyword"),
    ("entity.name.function", "hl-function"),
    ("support.function", "hl-function"),
    ("support.macro", "hl-function"),
    ("variable.function", "hl-function"),
    ("entity.name.tag", "hl-tag"),
    ("entity.other.attribute-name", "hl-attribute"),
    ("entity.name", "hl-type"),
    ("support.type", "hl-type"),
    ("support.class", "hl-type"),
    ("variable.parameter", "hl-variable"),
    ("variable.language", "hl-variable"),
    ("invalid", "hl-invalid"),
];

static KIND_SCOPES: LazyLock<Vec<(Scope, &'static str)>> = LazyLock::new(|| {
    KINDS
        .iter()
        .filter_map(|(prefix, class)| Scope::new(prefix).ok().map(|s| (s, *class)))
        .collect()
});

fn kind_of(stack: &[Scope]) -> Option<&'static str> {
    stack.iter().rev().find_map(|scope| {
        KIND_SCOPES
            .iter()
            .find(|(prefix, _)| prefix.is_prefix_of(*scope))
            .map(|(_, class)| *class)
    })
}

/// The grammar for a fence's info string (`rust`, `rust,ignore`, `py title="x"`), if it names a
/// language we have one for. Plain text counts as none.
pub fn syntax_for(info: &str) -> Option<&'static SyntaxReference> {
    let token = info
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap_or_default()
        .trim_start_matches("language-")
        .to_ascii_lowercase();
    if token.is_empty()
        || token.len() > 24
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '-' | '_' | '.'))
    {
        return None;
    }
    // The bundled set has no TypeScript or JSX grammar; JavaScript's colours them well enough.
    let token = match token.as_str() {
        "ts" | "typescript" | "tsx" | "jsx" | "mjs" | "cjs" => "js",
        "shell" | "console" | "zsh" => "bash",
        "postgres" | "postgresql" | "sqlite" | "mysql" => "sql",
        other => other,
    };
    SYNTAXES
        .find_syntax_by_token(token)
        .filter(|s| s.name != "Plain Text")
}

/// `code` as `<pre class="hl"><code>…</code></pre>` with classed token spans, or `None` when it
/// is too large or the grammar fails on it (the caller then shows it plain).
pub fn to_html(syntax: &SyntaxReference, code: &str) -> Option<String> {
    if code.len() > MAX_HIGHLIGHT_BYTES {
        return None;
    }
    let mut parser = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Spans::new(code.len());
    for line in LinesWithEndings::from(code) {
        let ops = match parser.parse_line(line, &SYNTAXES) {
            Ok(ops) => ops,
            Err(e) => {
                tracing::warn!(error = %e, language = %syntax.name, "highlighting failed; shown plain");
                return None;
            }
        };
        let mut at = 0;
        for (end, op) in ops {
            if end > at {
                out.push(kind_of(stack.as_slice()), line.get(at..end)?);
                at = end;
            }
            stack.apply(&op).ok()?;
        }
        out.push(kind_of(stack.as_slice()), line.get(at..)?);
    }
    Some(out.finish())
}

/// Escaped text with a span opened whenever the token kind changes. Blank runs wait to see
/// the next token: inside the open span when it continues it, between spans otherwise.
struct Spans {
    html: String,
    open: Option<&'static str>,
    blank: String,
}

impl Spans {
    fn new(code_len: usize) -> Self {
        let mut html = String::with_capacity(code_len * 3 + 64);
        html.push_str("<pre class=\"hl\"><code>");
        Spans {
            html,
            open: None,
            blank: String::new(),
        }
    }

    fn push(&mut self, kind: Option<&'static str>, text: &str) {
        if text.chars().all(char::is_whitespace) {
            self.blank.push_str(text);
            return;
        }
        if kind != self.open {
            if self.open.is_some() {
                self.html.push_str("</span>");
            }
            self.html.push_str(&self.blank);
            if let Some(class) = kind {
                self.html.push_str("<span class=\"");
                self.html.push_str(class);
                self.html.push_str("\">");
            }
            self.open = kind;
        } else {
            self.html.push_str(&self.blank);
        }
        self.blank.clear();
        escape_into(&mut self.html, text);
    }

    fn finish(mut self) -> String {
        if self.open.is_some() {
            self.html.push_str("</span>");
        }
        self.html.push_str(&self.blank);
        self.html.push_str("</code></pre>\n");
        self.html
    }
}

fn escape_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

/// Keeps only the classes the highlighter writes (`hl` and `hl-…`) from a `class` attribute;
/// `None` when nothing is left.
pub fn own_classes(value: &str) -> Option<String> {
    let kept: Vec<&str> = value
        .split_ascii_whitespace()
        .filter(|c| {
            (*c == "hl" || c.starts_with(CLASS_PREFIX))
                && c.len() <= 48
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_'))
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_fence_languages_have_a_grammar() {
        for info in [
            "rust",
            "rust,ignore",
            "sql",
            "python",
            "py",
            "js",
            "ts",
            "typescript",
            "bash",
            "sh",
            "html",
            "css",
            "json",
            "yaml",
        ] {
            assert!(syntax_for(info).is_some(), "{info}");
        }
        for info in ["", "text", "txt", "klingon", "<script>", "rust\"onload"] {
            assert!(syntax_for(info).is_none(), "{info}");
        }
    }

    #[test]
    fn only_highlighter_classes_are_kept() {
        assert_eq!(
            own_classes("hl-keyword evil hl-rust").as_deref(),
            Some("hl-keyword hl-rust")
        );
        assert_eq!(own_classes("hl").as_deref(), Some("hl"));
        assert_eq!(own_classes("button danger"), None);
        assert_eq!(own_classes("language-rust"), None);
        assert_eq!(own_classes("hl-a\"b"), None);
    }

    #[test]
    fn runs_of_text_become_a_few_token_kinds() {
        let html = to_html(
            syntax_for("rust").unwrap(),
            "fn main() { let s = \"a<b\"; // done\n}\n",
        )
        .unwrap();
        assert!(html.starts_with("<pre class=\"hl\"><code>"), "{html}");
        for token in [
            "<span class=\"hl-keyword\">fn</span>",
            "<span class=\"hl-function\">main</span>",
            "<span class=\"hl-string\">&quot;a&lt;b&quot;</span>",
            "<span class=\"hl-comment\">// done",
        ] {
            assert!(html.contains(token), "{token} in {html}");
        }
        // Far smaller than one span per scope.
        assert!(html.len() < 400, "{} bytes: {html}", html.len());
    }

    #[test]
    fn oversized_blocks_are_not_highlighted() {
        let syntax = syntax_for("rust").unwrap();
        let big = "let x = 1;\n".repeat(MAX_HIGHLIGHT_BYTES / 10);
        assert!(to_html(syntax, &big).is_none());
        assert!(to_html(syntax, "let x = 1;\n").is_some());
    }
}
