//! What the review queue shows an admin: each campaign in review with the risk signals the
//! platform noticed. The signals are hints for a person, never automatic decisions.

use super::model::RiskSignal;

const BAD_DOMAINS: &str = include_str!("bad_domains.txt");

/// A goal this many times the category's median is worth a second look.
pub const GOAL_MEDIAN_FACTOR: i64 = 5;
pub const NEW_ACCOUNT_DAYS: i64 = 14;

/// Hosts of the http(s) links in `text`, lowercased, without `www.`.
pub fn link_hosts(text: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    for (i, _) in text.match_indices("://") {
        let scheme_start = text[..i]
            .rfind(|c: char| !c.is_ascii_alphabetic())
            .map(|p| p + 1)
            .unwrap_or(0);
        let scheme = text[scheme_start..i].to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            continue;
        }
        let rest = &text[i + 3..];
        let end = rest
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | ')' | ']' | '"' | '\'' | '<' | '>' | ':'
                ) || c.is_whitespace()
            })
            .unwrap_or(rest.len());
        let host = rest[..end].trim_end_matches('.').to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
        if !host.is_empty() && !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// The listed domain `host` falls under, if any (subdomains included).
pub fn bad_domain(host: &str) -> Option<&'static str> {
    BAD_DOMAINS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .find(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// Signals that need only the campaign and its creator's account.
pub fn account_and_text_signals(
    account_age_days: i64,
    email_verified: bool,
    goal: i64,
    median_goal: Option<i64>,
    texts: &[&str],
) -> Vec<RiskSignal> {
    let mut out = Vec::new();
    if account_age_days < NEW_ACCOUNT_DAYS {
        out.push(RiskSignal::NewAccount {
            days: account_age_days,
        });
    }
    if !email_verified {
        out.push(RiskSignal::UnverifiedEmail);
    }
    if let Some(median) = median_goal.filter(|m| *m > 0) {
        if goal > median * GOAL_MEDIAN_FACTOR {
            out.push(RiskSignal::GoalAboveMedian {
                ratio_x10: goal * 10 / median,
            });
        }
    }
    let mut seen = Vec::new();
    for text in texts {
        for host in link_hosts(text) {
            if let Some(d) = bad_domain(&host) {
                if !seen.contains(&d) {
                    seen.push(d);
                    out.push(RiskSignal::BadLink {
                        domain: d.to_string(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(feature = "ssr")]
pub async fn queue(
    db: &crate::backend::db::Db,
) -> crate::error::AppResult<Vec<super::model::ReviewItem>> {
    use super::store;
    let mut items = Vec::new();
    for (card, submitted_at, creator_id) in store::in_review(db).await? {
        let Some(row) = store::get(db, &card.id).await? else {
            continue;
        };
        let creator = crate::accounts::store::get_user(db, &creator_id).await?;
        let (age, verified) = creator
            .map(|u| {
                (
                    (chrono::Utc::now() - u.created_at).num_days(),
                    u.email_verified_at.is_some(),
                )
            })
            .unwrap_or((0, false));
        let median = store::median_goal(db, row.category, row.currency).await?;
        let mut risks = account_and_text_signals(
            age,
            verified,
            row.goal,
            median,
            &[&row.draft.story, &row.draft.pitch, &row.draft.video_url],
        );
        if let Some(slug) = store::duplicate_of(db, &row.id, &row.pitch, &row.story_html).await? {
            risks.push(RiskSignal::DuplicateText { of_slug: slug });
        }
        items.push(super::model::ReviewItem {
            card,
            submitted_at,
            risks,
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_in_markdown_and_html() {
        let hosts = link_hosts(
            "See [this](https://www.Example.com/path?x=1) and <a href=\"http://bit.ly/abc\">x</a>, \
             mailto:me@example.com, ftp://files.example.net and https://sub.tinyurl.com.",
        );
        assert_eq!(hosts, vec!["example.com", "bit.ly", "sub.tinyurl.com"]);
    }

    #[test]
    fn listed_domains_and_their_subdomains_are_flagged() {
        assert_eq!(bad_domain("bit.ly"), Some("bit.ly"));
        assert_eq!(bad_domain("go.bit.ly"), Some("bit.ly"));
        assert_eq!(bad_domain("notbit.ly"), None);
        assert_eq!(bad_domain("example.com"), None);
    }

    #[test]
    fn signals_cover_new_unverified_oversized_and_bad_links() {
        let s = account_and_text_signals(2, false, 600_000, Some(100_000), &["https://t.co/x"]);
        assert!(s.contains(&RiskSignal::NewAccount { days: 2 }));
        assert!(s.contains(&RiskSignal::UnverifiedEmail));
        assert!(s.contains(&RiskSignal::GoalAboveMedian { ratio_x10: 60 }));
        assert!(s.contains(&RiskSignal::BadLink {
            domain: "t.co".into()
        }));
        let calm =
            account_and_text_signals(400, true, 120_000, Some(100_000), &["https://example.com"]);
        assert!(calm.is_empty(), "{calm:?}");
    }
}
