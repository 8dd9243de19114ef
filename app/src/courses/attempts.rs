//! Quiz attempts without I/O: how many a learner may make, the wait before one more, and when
//! the final assessment may show which answers were right. Limits stop a score from being
//! brute-forced (answer, read which questions were wrong, answer again); see docs/courses.md.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::model::CourseProblem;

/// Attempts a new quiz allows before the wait applies.
pub const DEFAULT_MAX: u32 = 3;
/// Hours to wait for one more attempt once they are used.
pub const DEFAULT_WAIT_HOURS: u32 = 24;
pub const MAX_ATTEMPTS: u32 = 50;
/// Thirty days.
pub const MAX_WAIT_HOURS: u32 = 720;

/// A quiz's attempt rule, as the studio sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptLimit {
    /// Attempts in a row (at least one).
    pub max: u32,
    /// Once they are used, one more attempt every `wait_hours`; 0: no more attempts at all.
    pub wait_hours: u32,
}

impl Default for AttemptLimit {
    fn default() -> Self {
        AttemptLimit {
            max: DEFAULT_MAX,
            wait_hours: DEFAULT_WAIT_HOURS,
        }
    }
}

impl AttemptLimit {
    /// The studio's two fields, as typed; empty keeps the default.
    pub fn parse(max: &str, wait_hours: &str) -> Result<AttemptLimit, CourseProblem> {
        let read = |s: &str, default: u32, range: std::ops::RangeInclusive<u32>| {
            let s = s.trim();
            if s.is_empty() {
                return Ok(default);
            }
            s.parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or(CourseProblem::AttemptLimit)
        };
        Ok(AttemptLimit {
            max: read(max, DEFAULT_MAX, 1..=MAX_ATTEMPTS)?,
            wait_hours: read(wait_hours, DEFAULT_WAIT_HOURS, 0..=MAX_WAIT_HOURS)?,
        })
    }
}

/// Where a learner stands with a quiz's attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptsView {
    pub limit: AttemptLimit,
    /// Attempts made so far.
    pub used: u32,
    /// Attempts the learner may make now (0 while waiting or when none remain).
    pub left: u32,
    /// When the next attempt opens, while waiting.
    pub next_at: Option<DateTime<Utc>>,
}

/// The learner's attempts given the times of those made (`taken`, any order).
pub fn standing(limit: AttemptLimit, taken: &[DateTime<Utc>], now: DateTime<Utc>) -> AttemptsView {
    let used = u32::try_from(taken.len()).unwrap_or(u32::MAX);
    let (left, next_at) = if used < limit.max {
        (limit.max - used, None)
    } else if limit.wait_hours == 0 {
        (0, None)
    } else {
        let last = taken.iter().max().copied().unwrap_or(now);
        let next = last + Duration::hours(i64::from(limit.wait_hours));
        if now >= next {
            (1, None)
        } else {
            (0, Some(next))
        }
    };
    AttemptsView {
        limit,
        used,
        left,
        next_at,
    }
}

/// One more attempt now, or the refusal (nothing is graded or recorded then).
pub fn may_attempt(view: &AttemptsView) -> Result<(), CourseProblem> {
    if view.left > 0 {
        Ok(())
    } else if view.next_at.is_some() {
        Err(CourseProblem::AttemptWait)
    } else {
        Err(CourseProblem::NoAttemptLeft)
    }
}

/// Whether an attempt's answer may say, question by question, what was right. An ordinary quiz
/// always does (it is for learning). The final assessment only once the attempt is closed for
/// good: passed (the certificate's score is frozen at that moment), or the last attempt there
/// will ever be (`after` is the standing once this attempt is counted). Before that, the
/// learner sees the score alone, so wrong answers cannot be found one question at a time.
pub fn reveals_answers(final_assessment: bool, passed: bool, after: &AttemptsView) -> bool {
    !final_assessment || passed || (after.left == 0 && after.next_at.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default() + Duration::hours(h)
    }

    #[test]
    fn attempts_run_out_then_one_more_opens_after_each_wait() {
        let limit = AttemptLimit {
            max: 2,
            wait_hours: 24,
        };
        assert_eq!(standing(limit, &[], at(0)).left, 2);
        assert_eq!(standing(limit, &[at(0)], at(0)).left, 1);
        let used = standing(limit, &[at(0), at(1)], at(2));
        assert_eq!((used.left, used.next_at), (0, Some(at(25))));
        assert_eq!(may_attempt(&used), Err(CourseProblem::AttemptWait));
        let later = standing(limit, &[at(1), at(0)], at(25));
        assert_eq!((later.left, later.next_at), (1, None));
        assert_eq!(may_attempt(&later), Ok(()));
        // The attempt after the wait starts the next wait.
        let again = standing(limit, &[at(0), at(1), at(25)], at(30));
        assert_eq!((again.left, again.next_at), (0, Some(at(49))));
    }

    #[test]
    fn without_a_wait_the_last_attempt_is_the_last() {
        let limit = AttemptLimit {
            max: 1,
            wait_hours: 0,
        };
        let done = standing(limit, &[at(0)], at(10_000));
        assert_eq!((done.left, done.next_at), (0, None));
        assert_eq!(may_attempt(&done), Err(CourseProblem::NoAttemptLeft));
    }

    #[test]
    fn the_final_assessment_hides_answers_until_its_attempt_is_closed() {
        let limit = AttemptLimit {
            max: 2,
            wait_hours: 24,
        };
        let one_left = standing(limit, &[at(0)], at(0));
        let waiting = standing(limit, &[at(0), at(1)], at(1));
        assert!(!reveals_answers(true, false, &one_left));
        assert!(!reveals_answers(true, false, &waiting), "a retry will come");
        assert!(reveals_answers(true, true, &one_left), "passed: closed");
        assert!(
            reveals_answers(false, false, &one_left),
            "ordinary quizzes teach"
        );
        let last = standing(
            AttemptLimit {
                max: 2,
                wait_hours: 0,
            },
            &[at(0), at(1)],
            at(1),
        );
        assert!(
            reveals_answers(true, false, &last),
            "no attempt will ever come"
        );
    }

    #[test]
    fn the_studio_limits_parse_with_defaults_and_bounds() {
        assert_eq!(AttemptLimit::parse("", ""), Ok(AttemptLimit::default()));
        assert_eq!(
            AttemptLimit::parse(" 5 ", "0"),
            Ok(AttemptLimit {
                max: 5,
                wait_hours: 0
            })
        );
        for (m, w) in [
            ("0", "1"),
            ("51", "1"),
            ("x", "1"),
            ("2", "721"),
            ("2", "-1"),
        ] {
            assert_eq!(
                AttemptLimit::parse(m, w),
                Err(CourseProblem::AttemptLimit),
                "{m} {w}"
            );
        }
    }
}
