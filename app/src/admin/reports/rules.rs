//! Pure rules of the report queue: open reports grouped by the item they point at (oldest
//! first), and the short plain-text excerpt an admin reads instead of the whole content.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{ReasonCount, ReportedKind};

/// Characters of content shown in the queue.
pub const EXCERPT_CHARS: usize = 160;
/// Distinct reasons listed per item (the most common); the rest are counted.
pub const MAX_REASONS: usize = 5;
/// Characters of one reason shown in the queue.
pub const REASON_CHARS: usize = 120;

/// One open report as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenReport {
    pub kind: ReportedKind,
    pub target: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// The open reports of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub kind: ReportedKind,
    pub target: String,
    pub reports: u32,
    /// Most common first; at most [`MAX_REASONS`].
    pub reasons: Vec<ReasonCount>,
    pub first_reported: DateTime<Utc>,
}

/// Groups reports by their item, the item first reported longest ago first.
pub fn group(reports: impl IntoIterator<Item = OpenReport>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(ReportedKind, String), usize> = HashMap::new();
    for r in reports {
        let i = *index.entry((r.kind, r.target.clone())).or_insert_with(|| {
            groups.push(Group {
                kind: r.kind,
                target: r.target.clone(),
                reports: 0,
                reasons: Vec::new(),
                first_reported: r.created_at,
            });
            groups.len() - 1
        });
        let g = &mut groups[i];
        g.reports += 1;
        g.first_reported = g.first_reported.min(r.created_at);
        let reason = excerpt(&r.reason, REASON_CHARS);
        match g.reasons.iter_mut().find(|x| x.reason == reason) {
            Some(x) => x.count += 1,
            None => g.reasons.push(ReasonCount { reason, count: 1 }),
        }
    }
    for g in &mut groups {
        // A stable sort: equally common reasons keep the order they were first given in.
        g.reasons.sort_by_key(|x| std::cmp::Reverse(x.count));
        g.reasons.truncate(MAX_REASONS);
    }
    groups.sort_by(|a, b| {
        a.first_reported
            .cmp(&b.first_reported)
            .then_with(|| a.target.cmp(&b.target))
    });
    groups
}

/// `text` on one line, cut to `max` characters (at a word boundary when one is near) with an
/// ellipsis when it was longer.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i >= cut.len() * 2 / 3 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + i64::from(minute) * 60, 0).unwrap_or_default()
    }

    fn report(kind: ReportedKind, target: &str, reason: &str, minute: u32) -> OpenReport {
        OpenReport {
            kind,
            target: target.into(),
            reason: reason.into(),
            created_at: at(minute),
        }
    }

    #[test]
    fn reports_group_by_item_oldest_first_with_reasons_counted() {
        let groups = group([
            report(ReportedKind::Review, "r1", "rude", 5),
            report(ReportedKind::Comment, "c1", "spam", 3),
            report(ReportedKind::Review, "r1", "off topic", 2),
            report(ReportedKind::Review, "r1", "rude", 9),
            // Same id, other kind: another item.
            report(ReportedKind::Comment, "r1", "spam", 1),
        ]);
        let keys: Vec<_> = groups.iter().map(|g| (g.kind, g.target.as_str())).collect();
        assert_eq!(
            keys,
            vec![
                (ReportedKind::Comment, "r1"),
                (ReportedKind::Review, "r1"),
                (ReportedKind::Comment, "c1"),
            ]
        );
        let review = &groups[1];
        assert_eq!(review.reports, 3);
        assert_eq!(review.first_reported, at(2));
        assert_eq!(
            review.reasons,
            vec![
                ReasonCount {
                    reason: "rude".into(),
                    count: 2
                },
                ReasonCount {
                    reason: "off topic".into(),
                    count: 1
                },
            ]
        );
    }

    #[test]
    fn only_the_most_common_reasons_are_listed() {
        let many = (0..8).map(|i| report(ReportedKind::Comment, "c", &format!("reason {i}"), i));
        let repeated = (0..3).map(|i| report(ReportedKind::Comment, "c", "spam", 20 + i));
        let groups = group(many.chain(repeated));
        assert_eq!(groups[0].reports, 11);
        assert_eq!(groups[0].reasons.len(), MAX_REASONS);
        assert_eq!(groups[0].reasons[0].reason, "spam");
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("  Hello\n\n  world ", 20), "Hello world");
        let long = "word ".repeat(50);
        let short = excerpt(&long, 24);
        assert!(short.chars().count() <= 24, "{short}");
        assert!(short.ends_with("word…"), "{short}");
        // No spaces to cut at (Chinese): a hard cut on a character boundary.
        let zh = "这是一条很长的评论".repeat(10);
        assert_eq!(excerpt(&zh, 5), "这是一条…");
        assert_eq!(excerpt("", 5), "");
    }
}
