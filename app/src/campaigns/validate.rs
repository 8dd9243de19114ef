//! Turns what the editor holds into a [`ValidCampaign`], or lists every rule it breaks. Pure, so
//! the browser can show the same checklist the server enforces.

use chrono::{Datelike, NaiveDate};

use super::model::{
    CampaignDraft, CampaignMode, CampaignProblem as P, Milestone, StretchGoal, ValidCampaign,
    ValidTier,
};
use crate::money::{Money, MoneyError};

pub const TITLE_CHARS: std::ops::RangeInclusive<usize> = 5..=80;
pub const PITCH_CHARS: std::ops::RangeInclusive<usize> = 10..=200;
pub const STORY_MAX_CHARS: usize = 50_000;
pub const MAX_TAGS: usize = 8;
pub const MAX_TIERS: usize = 20;
pub const DURATION_DAYS: std::ops::RangeInclusive<i64> = 1..=60;
pub const MAX_TIER_QUANTITY: u32 = 100_000;

/// A URL-safe name from a title: lowercase ASCII letters and digits joined by single hyphens.
/// Titles with no ASCII at all (e.g. Chinese) give an empty slug; the editor asks for one then.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(|c| c.to_lowercase()) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

pub fn valid_slug(slug: &str) -> bool {
    (3..=60).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

pub fn parse_tags(input: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in input.split([',', '，']) {
        let t = t.trim().to_lowercase();
        if !t.is_empty() && !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

fn month(s: &str) -> Option<String> {
    let d = NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d").ok()?;
    Some(format!("{:04}-{:02}", d.year(), d.month()))
}

fn chars(s: &str) -> usize {
    s.trim().chars().count()
}

/// Checks every rule. `today` is the creator's calendar day (a start in the past is refused);
/// `check_start` is false once the campaign has been approved (its dates are history by then).
pub fn validate(
    d: &CampaignDraft,
    today: NaiveDate,
    check_start: bool,
) -> Result<ValidCampaign, Vec<P>> {
    let mut problems = Vec::new();
    let mut flag = |p: P| {
        if !problems.contains(&p) {
            problems.push(p);
        }
    };

    if !TITLE_CHARS.contains(&chars(&d.title)) {
        flag(P::TitleLength);
    }
    let slug = d.slug.trim().to_string();
    if !valid_slug(&slug) {
        flag(P::SlugFormat);
    }
    if !PITCH_CHARS.contains(&chars(&d.pitch)) {
        flag(P::PitchLength);
    }
    if chars(&d.story) < 20 || chars(&d.story) > STORY_MAX_CHARS {
        flag(P::StoryLength);
    }
    let video = d.video_url.trim();
    let video_url = if video.is_empty() {
        None
    } else if video.starts_with("https://")
        && video.len() <= 300
        && !video.contains(char::is_whitespace)
    {
        Some(video.to_string())
    } else {
        flag(P::VideoUrl);
        None
    };
    let tags = parse_tags(&d.tags);
    if tags.len() > MAX_TAGS || tags.iter().any(|t| t.chars().count() > 24) {
        flag(P::TooManyTags);
    }

    let goal = match d.currency {
        None => {
            flag(P::GoalAmount);
            None
        }
        Some(cur) => match Money::parse_positive(&d.goal, cur) {
            Ok(m) => Some(m),
            Err(MoneyError::TooLarge) => {
                flag(P::GoalTooHigh);
                None
            }
            Err(_) => {
                flag(P::GoalAmount);
                None
            }
        },
    };

    let (start, end) = (date(&d.starts_on), date(&d.ends_on));
    match (start, end) {
        (Some(s), Some(e)) => {
            if e < s {
                flag(P::EndBeforeStart);
            } else if !DURATION_DAYS.contains(&(e - s).num_days()) {
                flag(P::Duration);
            }
            if check_start && s < today {
                flag(P::StartInPast);
            }
        }
        _ => flag(P::BadDate),
    }

    let mut tiers = Vec::new();
    if d.tiers.is_empty() || d.tiers.len() > MAX_TIERS {
        flag(P::NoTiers);
    }
    for t in &d.tiers {
        if !(1..=80).contains(&chars(&t.title)) || chars(&t.description) > 1000 {
            flag(P::TierTitle);
        }
        let min_amount = d
            .currency
            .and_then(|cur| Money::parse_positive(&t.min_amount, cur).ok());
        match (min_amount, goal) {
            (None, _) => flag(P::TierAmount),
            (Some(m), Some(g)) if m.minor > g.minor => flag(P::TierAboveGoal),
            _ => {}
        }
        let quantity = if t.quantity.trim().is_empty() {
            None
        } else {
            match t.quantity.trim().parse::<u32>() {
                Ok(q) if (1..=MAX_TIER_QUANTITY).contains(&q) => Some(q),
                _ => {
                    flag(P::TierQuantity);
                    None
                }
            }
        };
        let delivery = if t.delivery.trim().is_empty() {
            None
        } else {
            let m = month(&t.delivery);
            if m.is_none() {
                flag(P::DeliveryMonth);
            }
            m
        };
        if let Some(min_amount) = min_amount {
            tiers.push(ValidTier {
                id: t.id.clone().filter(|id| !id.is_empty()),
                title: t.title.trim().to_string(),
                description: t.description.trim().to_string(),
                min_amount,
                quantity,
                delivery,
                grants: t.grants,
            });
        }
    }

    let mut stretch_goals = Vec::new();
    for s in &d.stretch_goals {
        let amount = d
            .currency
            .and_then(|cur| Money::parse_positive(&s.amount, cur).ok());
        match (amount, goal) {
            (Some(a), Some(g)) if a.minor > g.minor && chars(&s.title) > 0 => {
                stretch_goals.push(StretchGoal {
                    amount: a,
                    title: s.title.trim().to_string(),
                })
            }
            _ => flag(P::StretchAmount),
        }
    }
    stretch_goals.sort_by_key(|s| s.amount.minor);

    let mut milestones = Vec::new();
    if d.mode == CampaignMode::Milestone {
        if !(2..=10).contains(&d.milestones.len()) {
            flag(P::MilestonesMissing);
        }
        let mut total = 0u32;
        let mut previous_due = end;
        for m in &d.milestones {
            let share = m.share.trim().trim_end_matches('%').parse::<u32>().ok();
            match share {
                Some(s) if (1..=100).contains(&s) => total += s,
                _ => flag(P::MilestoneShares),
            }
            let due = date(&m.due);
            match (due, previous_due) {
                (Some(due), Some(prev)) if due >= prev => previous_due = Some(due),
                _ => flag(P::MilestoneDue),
            }
            if chars(&m.description) == 0 {
                flag(P::MilestonesMissing);
            }
            if let (Some(share_pct), Some(due)) = (share, due) {
                milestones.push(Milestone {
                    share_pct,
                    description: m.description.trim().to_string(),
                    due,
                });
            }
        }
        if !d.milestones.is_empty() && total != 100 {
            flag(P::MilestoneShares);
        }
    }

    if d.faq.len() > 20
        || d.faq
            .iter()
            .any(|f| chars(&f.question) == 0 || chars(&f.answer) == 0)
    {
        flag(P::FaqIncomplete);
    }

    match (goal, start, end) {
        (Some(goal), Some(starts_on), Some(ends_on)) if problems.is_empty() => Ok(ValidCampaign {
            title: d.title.trim().to_string(),
            slug,
            pitch: d.pitch.trim().to_string(),
            story: d.story.clone(),
            video_url,
            category: d.category,
            tags,
            goal,
            starts_on,
            ends_on,
            mode: d.mode,
            faq: d.faq.clone(),
            tiers,
            stretch_goals,
            milestones,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaigns::model::{FaqItem, MilestoneDraft, StretchDraft, TierDraft};
    use crate::money::Currency;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn good() -> CampaignDraft {
        CampaignDraft {
            title: "Rust for the web".into(),
            slug: "rust-for-the-web".into(),
            pitch: "A hands-on course that builds a real web app.".into(),
            story: "## Why\nBecause the web deserves fast, safe servers.".into(),
            currency: Some(Currency::Usd),
            goal: "5,000".into(),
            starts_on: "2026-11-24".into(),
            ends_on: "2026-12-24".into(),
            tiers: vec![TierDraft {
                title: "Early bird".into(),
                min_amount: "49".into(),
                quantity: "100".into(),
                delivery: "2027-03".into(),
                ..TierDraft::default()
            }],
            ..CampaignDraft::default()
        }
    }

    fn problems(d: &CampaignDraft) -> Vec<P> {
        validate(d, today(), true).err().unwrap_or_default()
    }

    #[test]
    fn a_complete_draft_is_valid() {
        let v = validate(&good(), today(), true).unwrap();
        assert_eq!(v.goal.minor, 500_000);
        assert_eq!(v.tiers[0].quantity, Some(100));
        assert_eq!(v.tiers[0].delivery.as_deref(), Some("2027-03"));
    }

    #[test]
    fn goals_must_be_positive_and_sane() {
        for (goal, p) in [
            ("0", P::GoalAmount),
            ("-5", P::GoalAmount),
            ("abc", P::GoalAmount),
            ("999999999999", P::GoalTooHigh),
        ] {
            let d = CampaignDraft {
                goal: goal.into(),
                ..good()
            };
            assert!(problems(&d).contains(&p), "{goal}");
        }
    }

    #[test]
    fn dates_must_be_ordered_and_within_sixty_days() {
        let d = CampaignDraft {
            ends_on: "2026-11-20".into(),
            ..good()
        };
        assert!(problems(&d).contains(&P::EndBeforeStart));
        let d = CampaignDraft {
            ends_on: "2027-02-01".into(),
            ..good()
        };
        assert!(problems(&d).contains(&P::Duration));
        let d = CampaignDraft {
            starts_on: "2026-11-01".into(),
            ends_on: "2026-11-30".into(),
            ..good()
        };
        assert!(problems(&d).contains(&P::StartInPast));
        assert!(
            validate(&d, today(), false).is_ok(),
            "approved campaigns keep their past start"
        );
        let d = CampaignDraft {
            starts_on: "24/11/2026".into(),
            ..good()
        };
        assert!(problems(&d).contains(&P::BadDate));
    }

    #[test]
    fn tiers_need_a_sane_minimum_below_the_goal() {
        let mut d = good();
        d.tiers[0].min_amount = "6000".into();
        assert!(problems(&d).contains(&P::TierAboveGoal));
        d.tiers[0].min_amount = "0".into();
        assert!(problems(&d).contains(&P::TierAmount));
        d.tiers.clear();
        assert!(problems(&d).contains(&P::NoTiers));
        let mut d = good();
        d.tiers[0].quantity = "0".into();
        assert!(problems(&d).contains(&P::TierQuantity));
        d.tiers[0].quantity = "ten".into();
        assert!(problems(&d).contains(&P::TierQuantity));
    }

    #[test]
    fn milestones_must_share_out_all_funds_after_the_deadline() {
        let mut d = CampaignDraft {
            mode: CampaignMode::Milestone,
            ..good()
        };
        assert!(problems(&d).contains(&P::MilestonesMissing));
        d.milestones = vec![
            MilestoneDraft {
                share: "40".into(),
                description: "Chapters 1-4".into(),
                due: "2027-01-31".into(),
            },
            MilestoneDraft {
                share: "50%".into(),
                description: "The rest".into(),
                due: "2027-03-31".into(),
            },
        ];
        assert!(problems(&d).contains(&P::MilestoneShares));
        d.milestones[1].share = "60".into();
        assert!(validate(&d, today(), true).is_ok());
        d.milestones[0].due = "2026-12-01".into();
        assert!(problems(&d).contains(&P::MilestoneDue));
    }

    #[test]
    fn stretch_goals_lie_above_the_goal_and_come_sorted() {
        let mut d = good();
        d.stretch_goals = vec![
            StretchDraft {
                amount: "9000".into(),
                title: "Video lessons".into(),
            },
            StretchDraft {
                amount: "7000".into(),
                title: "Workbook".into(),
            },
        ];
        let v = validate(&d, today(), true).unwrap();
        assert_eq!(v.stretch_goals[0].title, "Workbook");
        d.stretch_goals[0].amount = "100".into();
        assert!(problems(&d).contains(&P::StretchAmount));
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let d = CampaignDraft::default();
        let p = problems(&d);
        for expected in [
            P::TitleLength,
            P::SlugFormat,
            P::PitchLength,
            P::GoalAmount,
            P::BadDate,
            P::NoTiers,
        ] {
            assert!(p.contains(&expected), "{expected:?} missing from {p:?}");
        }
    }

    #[test]
    fn incomplete_faq_and_bad_video_links_are_refused() {
        let d = CampaignDraft {
            faq: vec![FaqItem {
                question: "When?".into(),
                answer: " ".into(),
            }],
            ..good()
        };
        assert!(problems(&d).contains(&P::FaqIncomplete));
        let d = CampaignDraft {
            video_url: "javascript:alert(1)".into(),
            ..good()
        };
        assert!(problems(&d).contains(&P::VideoUrl));
    }

    #[test]
    fn slugs_are_made_from_titles_and_checked() {
        assert_eq!(
            slugify("  Rust for the Web!  2nd ed. "),
            "rust-for-the-web-2nd-ed"
        );
        assert_eq!(slugify("机器学习"), "");
        assert!(valid_slug("rust-101"));
        for bad in [
            "ab", "-rust", "rust-", "ru--st", "Rust", "rust web", "<script>",
        ] {
            assert!(!valid_slug(bad), "{bad}");
        }
        assert_eq!(parse_tags("Rust, web，Rust ,  "), vec!["rust", "web"]);
    }
}
