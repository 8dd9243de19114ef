//! How well a search query matches a campaign's text, forgiving typos. The full-text index finds
//! candidates (any shared n-gram); this decides which of them really match and in what order.
//!
//! Latin words match a word of the text exactly, as a prefix, or within a small edit distance
//! (transpositions count once, plurals are folded), so "pyhton" finds "python" and "begginers"
//! finds "beginners". Chinese has no spaces, so a Chinese run matches when at least half of its
//! character pairs occur in the text ("学习" finds "机器学习入门").

/// The longest search query accepted, in characters. Server functions refuse longer ones with
/// `Problem::QueryTooLong`; `relevance` also reads no further, whoever calls it.
pub const QUERY_MAX_CHARS: usize = 100;

/// At most this many words or Chinese runs of a query are matched; the rest are ignored.
pub const PIECES_MAX: usize = 8;

/// A search query as typed, trimmed, or `QueryTooLong` when it is over [`QUERY_MAX_CHARS`].
pub fn bounded_query(q: &str) -> Result<&str, crate::error::Problem> {
    let q = q.trim();
    if q.chars().count() > QUERY_MAX_CHARS {
        Err(crate::error::Problem::QueryTooLong)
    } else {
        Ok(q)
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF)
}

/// Edit distance with adjacent transpositions (optimal string alignment).
pub fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[n][m]
}

fn allowed_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn singular(word: &str) -> &str {
    word.strip_suffix("es")
        .filter(|w| w.len() >= 3)
        .or_else(|| word.strip_suffix('s').filter(|w| w.len() >= 3))
        .unwrap_or(word)
}

/// 1.0 for an exact word, 0.9 for a prefix, less for a near miss; `None` when no word is close.
fn latin_word_score(query: &str, words: &[&str]) -> Option<f64> {
    let q = singular(query);
    let len = q.chars().count();
    let mut best: Option<f64> = None;
    for w in words {
        let w = singular(w);
        // Words whose lengths differ by more than the edits allowed cannot be near misses (one
        // edit changes a UTF-8 length by at most four bytes), so the quadratic distance is
        // computed only for the few that could be.
        if w.len().abs_diff(q.len()) > allowed_edits(len).max(1) * 4
            && !(len >= 3 && w.starts_with(q))
        {
            continue;
        }
        let score = if w == q {
            1.0
        } else if len >= 3 && w.starts_with(q) {
            0.9
        } else {
            let edits = osa_distance(q, w);
            if edits > 0 && edits <= allowed_edits(len) {
                0.8 - 0.1 * edits as f64
            } else {
                continue;
            }
        };
        best = Some(best.map_or(score, |b: f64| b.max(score)));
    }
    best
}

fn cjk_run_score(run: &[char], text: &str) -> Option<f64> {
    if run.len() == 1 {
        return text.contains(run[0]).then_some(1.0);
    }
    let pairs: Vec<String> = run.windows(2).map(|p| p.iter().collect()).collect();
    let found = pairs.iter().filter(|p| text.contains(p.as_str())).count();
    let share = found as f64 / pairs.len() as f64;
    (share >= 0.5).then_some(share)
}

/// The query's pieces: Latin words and runs of Chinese/Japanese/Korean characters.
fn pieces(query: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for c in query.chars().flat_map(char::to_lowercase) {
        let kind = if is_cjk(c) {
            Some(true)
        } else if c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        match (kind, out.last_mut()) {
            (Some(k), Some((last_kind, s))) if *last_kind == k && !s.is_empty() => s.push(c),
            (Some(k), _) => out.push((k, c.to_string())),
            (None, Some((_, s))) if !s.is_empty() => out.push((false, String::new())),
            (None, _) => {}
        }
    }
    out.retain(|(_, s)| !s.is_empty());
    out
}

/// How well `query` matches `text` (already lowercase), or `None` if it does not. Every piece
/// of a one- or two-piece query must match; longer queries may miss one piece in three.
pub fn relevance(query: &str, text: &str) -> Option<f64> {
    let query: String = query.chars().take(QUERY_MAX_CHARS).collect();
    let mut pieces = pieces(&query);
    pieces.truncate(PIECES_MAX);
    if pieces.is_empty() {
        return None;
    }
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() || is_cjk(c))
        .filter(|w| !w.is_empty())
        .collect();
    let mut total = 0.0;
    let mut matched = 0;
    for (cjk, piece) in &pieces {
        let score = if *cjk {
            cjk_run_score(&piece.chars().collect::<Vec<_>>(), text)
        } else {
            latin_word_score(piece, &words)
        };
        if let Some(s) = score {
            total += s;
            matched += 1;
        }
    }
    let needed = if pieces.len() <= 2 {
        pieces.len()
    } else {
        pieces.len() * 2 / 3
    };
    (matched >= needed.max(1)).then(|| total / pieces.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUST: &str = "rust for beginners a practical course rust, web tomás rivera";
    const ML: &str = "机器学习入门课程 从零开始学习机器学习 linwei";

    #[test]
    fn typos_transpositions_and_plurals_still_match() {
        for q in [
            "rust",
            "begginers",
            "beginer",
            "rsut beginer",
            "RUST Beginners",
            "practic",
            "coures",
        ] {
            assert!(relevance(q, RUST).is_some(), "{q}");
        }
        assert_eq!(osa_distance("pyhton", "python"), 1);
        assert!(relevance("pyhton", "python for data").is_some());
    }

    #[test]
    fn unrelated_or_too_short_words_do_not_match() {
        for q in ["watercolour", "ruby", "be", "painting course ideas", "!!!"] {
            assert!(relevance(q, RUST).is_none(), "{q}");
        }
    }

    #[test]
    fn chinese_matches_by_character_pairs() {
        assert!(relevance("机器学习", ML).is_some());
        assert!(relevance("学习", ML).is_some());
        assert!(relevance("机器学习 入门", ML).is_some());
        assert!(relevance("摄影", ML).is_none());
    }

    #[test]
    fn hostile_queries_stay_cheap() {
        let text = "word ".repeat(2_000);
        let long = "a".repeat(100_000);
        let many = "abcdefgh ".repeat(10_000);
        let started = std::time::Instant::now();
        for _ in 0..20 {
            assert!(relevance(&long, &text).is_none());
            assert!(relevance(&many, &text).is_none());
        }
        // Unbounded, one of these took seconds; bounded, all forty take a few milliseconds.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // Long words still find their near misses.
        assert!(relevance("internationalisaton", "internationalisation basics").is_some());
    }

    #[test]
    fn exact_words_rank_above_near_misses() {
        let exact = relevance("rust", RUST).unwrap();
        let near = relevance("rsut", RUST).unwrap();
        assert!(exact > near);
    }
}
