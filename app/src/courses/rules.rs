//! Course rules without I/O: input limits, quiz grading, drip release, completion and the file
//! types lessons accept (decided by the bytes, never the name).

use chrono::{DateTime, Utc};

use super::model::{
    CourseProblem, Discount, Feedback, Gate, MediaKind, Question, QuestionKind, QuizQuestion,
    QuizResult, Ratings, Standing,
};

pub const TITLE_MAX: usize = 120;
pub const SUMMARY_MAX: usize = 2_000;
pub const TAGS_MAX: usize = 8;
pub const BODY_MAX: usize = 100_000;
pub const NOTE_MAX: usize = 5_000;
pub const QUESTIONS_MAX: usize = 20;
pub const CHOICES_MAX: usize = 8;
/// Share of a course's lessons a learner must complete before reviewing it.
pub const REVIEW_SHARE: u32 = 50;

pub fn title(input: &str, problem: CourseProblem) -> Result<String, CourseProblem> {
    let t = input.trim();
    let n = t.chars().count();
    if !(3..=TITLE_MAX).contains(&n) {
        return Err(problem);
    }
    Ok(t.to_string())
}

pub fn summary(input: &str) -> Result<String, CourseProblem> {
    let s = input.trim();
    if s.chars().count() > SUMMARY_MAX {
        return Err(CourseProblem::SummaryLength);
    }
    Ok(s.to_string())
}

/// Comma-separated tags, lower-cased, duplicates dropped.
pub fn tags(input: &str) -> Result<Vec<String>, CourseProblem> {
    let mut out: Vec<String> = Vec::new();
    for t in input.split([',', '，']) {
        let t = t.trim().to_lowercase();
        if !t.is_empty() && t.chars().count() <= 30 && !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > TAGS_MAX {
        return Err(CourseProblem::TooManyTags);
    }
    Ok(out)
}

pub fn body(input: &str) -> Result<String, CourseProblem> {
    if input.len() > BODY_MAX {
        return Err(CourseProblem::BodyLength);
    }
    Ok(input.to_string())
}

pub fn note(input: &str) -> Result<String, CourseProblem> {
    let n = input.trim();
    if n.is_empty() || n.chars().count() > NOTE_MAX {
        return Err(CourseProblem::NoteLength);
    }
    Ok(n.to_string())
}

/// Parses the studio's quiz text. One question per block, blocks separated by a blank line:
///
/// ```text
/// What does SELECT return?
/// * rows            <- `*` marks a right choice
/// - columns
/// ? Explanation shown after answering.
///
/// Name the clause that filters groups.
/// = having          <- `=` lines are accepted short answers
/// ```
///
/// One right choice makes a single-choice question, several a multiple-choice one.
pub fn parse_quiz(input: &str) -> Result<Vec<Question>, CourseProblem> {
    let mut out = Vec::new();
    for block in input.replace("\r\n", "\n").split("\n\n") {
        let lines: Vec<&str> = block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let Some((prompt, rest)) = lines.split_first() else {
            continue;
        };
        let mut q = Question {
            prompt: prompt.to_string(),
            kind: QuestionKind::Single,
            choices: Vec::new(),
            correct: Vec::new(),
            accept: Vec::new(),
            explanation: String::new(),
        };
        for line in rest {
            if let Some(c) = line.strip_prefix('*') {
                q.correct.push(q.choices.len());
                q.choices.push(c.trim().to_string());
            } else if let Some(c) = line.strip_prefix('-') {
                q.choices.push(c.trim().to_string());
            } else if let Some(a) = line.strip_prefix('=') {
                q.accept.push(a.trim().to_string());
            } else if let Some(e) = line.strip_prefix('?') {
                q.explanation = e.trim().to_string();
            } else {
                return Err(CourseProblem::QuestionInvalid);
            }
        }
        q.kind = if !q.accept.is_empty() {
            QuestionKind::Text
        } else if q.correct.len() > 1 {
            QuestionKind::Multiple
        } else {
            QuestionKind::Single
        };
        check_question(&q)?;
        out.push(q);
    }
    if out.len() > QUESTIONS_MAX {
        return Err(CourseProblem::TooManyQuestions);
    }
    Ok(out)
}

/// The studio's quiz text for stored questions (the inverse of [`parse_quiz`]).
pub fn quiz_text(questions: &[Question]) -> String {
    let mut blocks = Vec::new();
    for q in questions {
        let mut lines = vec![q.prompt.clone()];
        for (i, c) in q.choices.iter().enumerate() {
            let mark = if q.correct.contains(&i) { '*' } else { '-' };
            lines.push(format!("{mark} {c}"));
        }
        for a in &q.accept {
            lines.push(format!("= {a}"));
        }
        if !q.explanation.is_empty() {
            lines.push(format!("? {}", q.explanation));
        }
        blocks.push(lines.join("\n"));
    }
    blocks.join("\n\n")
}

fn check_question(q: &Question) -> Result<(), CourseProblem> {
    let prompt_ok = (1..=500).contains(&q.prompt.chars().count());
    let ok = match q.kind {
        QuestionKind::Text => q.choices.is_empty() && !q.accept.is_empty(),
        QuestionKind::Single | QuestionKind::Multiple => {
            (2..=CHOICES_MAX).contains(&q.choices.len())
                && !q.correct.is_empty()
                && q.choices.iter().all(|c| !c.is_empty())
        }
    };
    if prompt_ok && ok {
        Ok(())
    } else {
        Err(CourseProblem::QuestionInvalid)
    }
}

/// What a learner sees of a question: no right answers, no explanation.
pub fn public_question(q: &Question) -> QuizQuestion {
    QuizQuestion {
        prompt: q.prompt.clone(),
        kind: q.kind,
        choices: q.choices.clone(),
    }
}

fn normalised(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Grades one answer per question. A choice answer is the chosen indexes, comma-separated
/// ("2" or "0,3"); a text answer is the text. Answering the wrong number of questions is refused.
pub fn grade(
    questions: &[Question],
    answers: &[String],
    pass_mark: u32,
) -> Result<QuizResult, CourseProblem> {
    if questions.is_empty() || answers.len() != questions.len() {
        return Err(CourseProblem::QuizClosed);
    }
    let feedback: Vec<Feedback> = questions
        .iter()
        .zip(answers)
        .map(|(q, a)| Feedback {
            right: is_right(q, a),
            explanation: q.explanation.clone(),
        })
        .collect();
    let right = feedback.iter().filter(|f| f.right).count() as u32;
    let score = right * 100 / questions.len() as u32;
    Ok(QuizResult {
        score,
        pass_mark,
        passed: score >= pass_mark,
        feedback,
        attempts: None,
    })
}

fn is_right(q: &Question, answer: &str) -> bool {
    match q.kind {
        QuestionKind::Text => {
            let a = normalised(answer);
            !a.is_empty() && q.accept.iter().any(|x| normalised(x) == a)
        }
        QuestionKind::Single | QuestionKind::Multiple => {
            let mut chosen: Vec<usize> = answer
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect();
            chosen.sort_unstable();
            chosen.dedup();
            let mut correct = q.correct.clone();
            correct.sort_unstable();
            chosen == correct
        }
    }
}

/// A lesson with no release date opens with the course; otherwise at its date.
pub fn is_released(opens_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    opens_at.is_none_or(|at| at <= now)
}

/// Whether a lesson opens for a viewer with `standing`: managers see everything, learners every
/// released lesson, visitors released preview lessons. Nothing else gets the content.
pub fn gate(
    standing: Standing,
    preview: bool,
    opens_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Gate {
    let released = is_released(opens_at, now);
    match standing {
        Standing::Manager => Gate::Open,
        Standing::Enrolled(_) if released => Gate::Open,
        Standing::Visitor if preview && released => Gate::Open,
        Standing::Enrolled(_) | Standing::Visitor if !released => {
            Gate::NotYet(opens_at.unwrap_or(now))
        }
        _ => Gate::Paywall,
    }
}

/// Whole percent of `done` out of `total`, rounded down (100 only when all are done).
pub fn percent(done: usize, total: usize) -> u32 {
    if total == 0 {
        return 0;
    }
    (done.min(total) * 100 / total) as u32
}

/// What a lesson needs for the course to count as completed.
#[derive(Debug, Clone, Copy, Default)]
pub struct LessonStatus {
    pub completed: bool,
    pub has_quiz: bool,
    pub quiz_passed: bool,
    /// Not needed for completion (a bonus lesson).
    pub optional: bool,
    /// The course's final assessment: its quiz is the final exam.
    pub final_assessment: bool,
}

impl LessonStatus {
    /// Whether the lesson counts toward completion. The final assessment always does.
    pub fn required(&self) -> bool {
        self.final_assessment || !self.optional
    }

    /// Done for the certificate: completed with its quiz passed; the final assessment is done
    /// when its exam is passed (a final without questions falls back to being completed).
    pub fn done(&self) -> bool {
        if self.final_assessment && self.has_quiz {
            return self.quiz_passed;
        }
        self.completed && (!self.has_quiz || self.quiz_passed)
    }
}

/// Every required lesson done (completed, its quiz passed), the final assessment passed when the
/// course has one: the certificate is earned. Optional lessons never hold it back.
pub fn course_complete(lessons: &[LessonStatus]) -> bool {
    let mut required = lessons.iter().filter(|l| l.required()).peekable();
    required.peek().is_some() && required.all(LessonStatus::done)
}

/// Indexes of the lessons that keep the final assessment closed: every other required lesson
/// not yet done. Empty means it is open (and always for a lesson that is not the final).
pub fn final_blockers(lessons: &[LessonStatus]) -> Vec<usize> {
    lessons
        .iter()
        .enumerate()
        .filter(|(_, l)| l.required() && !l.final_assessment && !l.done())
        .map(|(i, _)| i)
        .collect()
}

/// The learner's share of the course: required lessons completed (the final assessment also
/// by passing it) out of required lessons. Optional lessons count neither way.
pub fn course_percent(lessons: &[LessonStatus]) -> u32 {
    let required: Vec<&LessonStatus> = lessons.iter().filter(|l| l.required()).collect();
    let done = required
        .iter()
        .filter(|l| l.completed || (l.final_assessment && l.quiz_passed))
        .count();
    percent(done, required.len())
}

/// A coupon code as typed: trimmed and upper-cased; 3–30 letters, digits or dashes.
pub fn coupon_code(input: &str) -> Result<String, CourseProblem> {
    let code = input.trim().to_uppercase();
    let ok = (3..=30).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(code)
    } else {
        Err(CourseProblem::CouponFormat)
    }
}

/// The price after a coupon, never below zero. A percentage's discount rounds down to the
/// minor unit.
pub fn discounted(price: i64, d: Discount) -> i64 {
    let off = match d {
        Discount::Percent(p) => price * i64::from(p.min(100)) / 100,
        Discount::Amount(a) => a.max(0),
    };
    (price - off).max(0)
}

/// A 1–5 star rating and an optional text of up to 2,000 characters.
pub fn review(rating: u8, body: &str) -> Result<(u8, String), CourseProblem> {
    if !(1..=5).contains(&rating) {
        return Err(CourseProblem::RatingRange);
    }
    let b = body.trim();
    if b.chars().count() > 2_000 {
        return Err(CourseProblem::ReviewLength);
    }
    Ok((rating, b.to_string()))
}

/// Reviews come from learners who have done at least [`REVIEW_SHARE`] percent of the course.
pub fn may_review(standing: Standing, course_percent: u32) -> bool {
    standing.is_enrolled() && course_percent >= REVIEW_SHARE
}

pub fn ratings(stars: &[u8]) -> Ratings {
    let mut r = Ratings::default();
    for &s in stars.iter().filter(|s| (1..=5).contains(*s)) {
        r.stars[usize::from(s - 1)] += 1;
        r.count += 1;
    }
    let total: u32 = r
        .stars
        .iter()
        .enumerate()
        .map(|(i, n)| (i as u32 + 1) * n)
        .sum();
    // Rounded to the nearest tenth; no ratings, no average.
    r.average_tenths = (total * 10 + r.count / 2).checked_div(r.count).unwrap_or(0);
    r
}

/// The kind, content type and file extension of an uploaded lesson file, decided by its first
/// bytes. `attachment` uploads accept documents; media uploads accept audio and video.
pub fn sniff(head: &[u8], attachment: bool) -> Option<(MediaKind, &'static str, &'static str)> {
    let starts = |sig: &[u8]| head.starts_with(sig);
    if attachment {
        return if starts(b"%PDF-") {
            Some((MediaKind::File, "application/pdf", "pdf"))
        } else if starts(b"PK\x03\x04") {
            Some((MediaKind::File, "application/zip", "zip"))
        } else if !head.is_empty() && std::str::from_utf8(head).is_ok() && !head.contains(&0) {
            Some((MediaKind::File, "text/plain; charset=utf-8", "txt"))
        } else {
            None
        };
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        return if brand.starts_with(b"M4A") {
            Some((MediaKind::Audio, "audio/mp4", "m4a"))
        } else {
            Some((MediaKind::Video, "video/mp4", "mp4"))
        };
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some((MediaKind::Video, "video/webm", "webm"));
    }
    if starts(b"OggS") {
        return Some((MediaKind::Audio, "audio/ogg", "ogg"));
    }
    if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WAVE" {
        return Some((MediaKind::Audio, "audio/wav", "wav"));
    }
    if starts(b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        return Some((MediaKind::Audio, "audio/mpeg", "mp3"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::courses::model::Grant;

    const QUIZ: &str = "What does SELECT return?\n* rows\n- columns only\n? A result set of rows.\n\n\
        Which are aggregates?\n* SUM\n- WHERE\n* COUNT\n\nName the clause that filters groups.\n= HAVING";

    #[test]
    fn quiz_text_parses_into_the_three_kinds_and_back() {
        let qs = parse_quiz(QUIZ).unwrap();
        assert_eq!(qs.len(), 3);
        assert_eq!(qs[0].kind, QuestionKind::Single);
        assert_eq!(qs[0].correct, vec![0]);
        assert_eq!(qs[0].explanation, "A result set of rows.");
        assert_eq!(qs[1].kind, QuestionKind::Multiple);
        assert_eq!(qs[1].correct, vec![0, 2]);
        assert_eq!(qs[2].kind, QuestionKind::Text);
        assert_eq!(parse_quiz(&quiz_text(&qs)).unwrap(), qs);
        assert_eq!(parse_quiz("  \n\n ").unwrap(), vec![]);
    }

    #[test]
    fn malformed_quizzes_are_refused() {
        for bad in [
            "No right answer?\n- a\n- b",
            "One choice only\n* a",
            "Stray line\n* a\n- b\nwhat is this",
        ] {
            assert_eq!(
                parse_quiz(bad),
                Err(CourseProblem::QuestionInvalid),
                "{bad}"
            );
        }
        let many = "Q?\n* a\n- b\n\n".repeat(QUESTIONS_MAX + 1);
        assert_eq!(parse_quiz(&many), Err(CourseProblem::TooManyQuestions));
    }

    #[test]
    fn grading_scores_each_kind_and_refuses_wrong_answer_counts() {
        let qs = parse_quiz(QUIZ).unwrap();
        let all_right = ["0", "2,0", "  having "].map(String::from);
        let r = grade(&qs, &all_right, 70).unwrap();
        assert_eq!((r.score, r.passed), (100, true));
        assert_eq!(r.feedback[0].explanation, "A result set of rows.");
        let one_wrong = ["0", "0", "having"].map(String::from);
        let r = grade(&qs, &one_wrong, 70).unwrap();
        assert_eq!((r.score, r.passed), (66, false));
        assert!(
            !r.feedback[1].right,
            "a partly right multiple choice is wrong"
        );
        assert_eq!(
            grade(&qs, &["0".to_string()], 70),
            Err(CourseProblem::QuizClosed)
        );
        assert_eq!(grade(&[], &[], 70), Err(CourseProblem::QuizClosed));
        let blank = ["", "", ""].map(String::from);
        assert_eq!(grade(&qs, &blank, 70).unwrap().score, 0);
    }

    #[test]
    fn learners_never_receive_the_answers() {
        let qs = parse_quiz(QUIZ).unwrap();
        let public = serde_json::to_string(&public_question(&qs[2])).unwrap();
        assert!(!public.to_lowercase().contains("having"), "{public}");
        let public = serde_json::to_string(&public_question(&qs[0])).unwrap();
        assert!(!public.contains("result set"), "{public}");
    }

    #[test]
    fn completion_needs_every_lesson_and_every_quiz() {
        let done = LessonStatus {
            completed: true,
            ..LessonStatus::default()
        };
        let quiz_failed = LessonStatus {
            has_quiz: true,
            ..done
        };
        let quiz_passed = LessonStatus {
            quiz_passed: true,
            ..quiz_failed
        };
        assert!(course_complete(&[done, quiz_passed]));
        assert!(!course_complete(&[done, quiz_failed]));
        assert!(!course_complete(&[]));
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(3, 3), 100);
        assert_eq!(percent(0, 0), 0);
    }

    fn lesson(completed: bool) -> LessonStatus {
        LessonStatus {
            completed,
            ..LessonStatus::default()
        }
    }

    fn exam(passed: bool) -> LessonStatus {
        LessonStatus {
            has_quiz: true,
            quiz_passed: passed,
            final_assessment: true,
            ..LessonStatus::default()
        }
    }

    #[test]
    fn optional_lessons_never_hold_back_completion_or_progress() {
        let skipped = LessonStatus {
            optional: true,
            ..lesson(false)
        };
        let failed_bonus_quiz = LessonStatus {
            has_quiz: true,
            ..skipped
        };
        assert!(course_complete(&[lesson(true), skipped, failed_bonus_quiz]));
        assert!(!course_complete(&[lesson(false), skipped]));
        assert!(
            !course_complete(&[skipped]),
            "a course of optional lessons only is never complete"
        );
        assert_eq!(course_percent(&[lesson(true), skipped, lesson(false)]), 50);
        let done_bonus = LessonStatus {
            optional: true,
            ..lesson(true)
        };
        assert_eq!(
            course_percent(&[lesson(false), done_bonus]),
            0,
            "a finished optional lesson does not add to the share"
        );
    }

    #[test]
    fn the_final_assessment_is_required_and_done_by_passing_it() {
        assert!(!course_complete(&[lesson(true), exam(false)]));
        assert!(course_complete(&[lesson(true), exam(true)]));
        let optional_exam = LessonStatus {
            optional: true,
            ..exam(false)
        };
        assert!(
            !course_complete(&[lesson(true), optional_exam]),
            "a final assessment cannot be skipped"
        );
        assert_eq!(course_percent(&[lesson(true), exam(false)]), 50);
        assert_eq!(course_percent(&[lesson(true), exam(true)]), 100);
        // A final without questions (never saved so, but defensively) is an ordinary lesson.
        let empty_final = LessonStatus {
            has_quiz: false,
            ..exam(false)
        };
        assert!(!course_complete(&[lesson(true), empty_final]));
        assert!(course_complete(&[
            lesson(true),
            LessonStatus {
                completed: true,
                ..empty_final
            }
        ]));
    }

    #[test]
    fn the_final_assessment_opens_when_every_other_required_lesson_is_done() {
        let skipped = LessonStatus {
            optional: true,
            ..lesson(false)
        };
        let quiz_failed = LessonStatus {
            has_quiz: true,
            ..lesson(true)
        };
        assert_eq!(
            final_blockers(&[
                lesson(true),
                lesson(false),
                skipped,
                quiz_failed,
                exam(false)
            ]),
            vec![1, 3],
            "an open lesson and a failed quiz keep it closed; the optional one does not"
        );
        assert!(final_blockers(&[lesson(true), skipped, exam(false)]).is_empty());
        assert!(
            final_blockers(&[exam(false)]).is_empty(),
            "alone it is open"
        );
    }

    #[test]
    fn only_managers_learners_and_previews_open_a_lesson() {
        let now = Utc::now();
        let at = now + chrono::Duration::days(2);
        let later = Some(at);
        let learner = Standing::Enrolled(Grant::Purchase);
        assert_eq!(gate(Standing::Manager, false, later, now), Gate::Open);
        assert_eq!(gate(learner, false, None, now), Gate::Open);
        assert_eq!(gate(learner, false, later, now), Gate::NotYet(at));
        assert_eq!(gate(Standing::Visitor, true, None, now), Gate::Open);
        assert_eq!(gate(Standing::Visitor, false, None, now), Gate::Paywall);
        assert_eq!(gate(Standing::Visitor, true, later, now), Gate::NotYet(at));
    }

    #[test]
    fn coupons_take_off_what_they_say_and_never_go_negative() {
        assert_eq!(discounted(4_900, Discount::Percent(50)), 2_450);
        assert_eq!(
            discounted(999, Discount::Percent(33)),
            670,
            "329.67 off rounds down to 329"
        );
        assert_eq!(discounted(4_900, Discount::Percent(100)), 0);
        assert_eq!(discounted(4_900, Discount::Amount(1_000)), 3_900);
        assert_eq!(discounted(500, Discount::Amount(1_000)), 0);
        assert_eq!(coupon_code(" launch-50 ").unwrap(), "LAUNCH-50");
        assert_eq!(coupon_code("no spaces"), Err(CourseProblem::CouponFormat));
        assert_eq!(coupon_code("ab"), Err(CourseProblem::CouponFormat));
    }

    #[test]
    fn ratings_average_and_distribution() {
        let r = ratings(&[5, 4, 4, 1, 9]);
        assert_eq!(r.count, 4, "out-of-range stars are ignored");
        assert_eq!(r.stars, [1, 0, 0, 2, 1]);
        assert_eq!(r.average_tenths, 35);
        assert_eq!(ratings(&[]).average_tenths, 0);
        assert_eq!(review(0, ""), Err(CourseProblem::RatingRange));
        assert_eq!(review(6, ""), Err(CourseProblem::RatingRange));
        assert_eq!(
            review(5, &"x".repeat(2_001)),
            Err(CourseProblem::ReviewLength)
        );
        assert!(may_review(Standing::Enrolled(Grant::Purchase), 50));
        assert!(!may_review(Standing::Enrolled(Grant::Purchase), 49));
        assert!(
            !may_review(Standing::Manager, 100),
            "creators do not review their own course"
        );
    }

    #[test]
    fn drip_release_opens_at_its_date() {
        let now = Utc::now();
        assert!(is_released(None, now));
        assert!(is_released(Some(now - chrono::Duration::minutes(1)), now));
        assert!(!is_released(Some(now + chrono::Duration::days(1)), now));
    }

    #[test]
    fn file_types_come_from_the_bytes() {
        let mp4 = b"\0\0\0\x18ftypisom\0\0\0\0";
        assert_eq!(sniff(mp4, false).map(|s| s.1), Some("video/mp4"));
        assert_eq!(
            sniff(b"RIFF\x24\0\0\0WAVEfmt ", false).map(|s| s.1),
            Some("audio/wav")
        );
        assert_eq!(
            sniff(&[0x1A, 0x45, 0xDF, 0xA3, 1], false).map(|s| s.2),
            Some("webm")
        );
        assert_eq!(sniff(b"<html><script>", false), None, "HTML is not a video");
        assert_eq!(
            sniff(b"%PDF-1.7", true).map(|s| s.1),
            Some("application/pdf")
        );
        assert_eq!(sniff(&[0, 159, 146, 150], true), None);
        assert_eq!(sniff(b"%PDF-1.7", false), None, "a PDF is not a video");
    }

    #[test]
    fn input_limits() {
        assert_eq!(
            title("ab", CourseProblem::TitleLength),
            Err(CourseProblem::TitleLength)
        );
        assert_eq!(
            title("  SQL basics ", CourseProblem::TitleLength).unwrap(),
            "SQL basics"
        );
        assert_eq!(tags("SQL, data，sql").unwrap(), vec!["sql", "data"]);
        assert_eq!(tags("a,b,c,d,e,f,g,h,i"), Err(CourseProblem::TooManyTags));
        assert_eq!(note("  "), Err(CourseProblem::NoteLength));
    }
}
