//! Course types both sides share: what the studio sends, what the catalogue, course and lesson
//! pages receive. A lesson's content only ever travels inside [`LessonContent`], which the
//! server builds after the entitlement check, so a page without access has nothing to leak.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// Why a course edit, purchase or learning action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CourseProblem {
    TitleLength,
    SummaryLength,
    SlugFormat,
    SlugTaken,
    TooManyTags,
    Price,
    NoSuchSection,
    SectionTitle,
    LessonTitle,
    BodyLength,
    BadDate,
    /// A question needs a prompt, and choice questions two to eight choices with a right one.
    QuestionInvalid,
    TooManyQuestions,
    NoteLength,
    /// Publishing needs at least one lesson.
    NoLessons,
    /// The lesson opens later (drip release).
    NotReleased,
    /// The quiz was answered with the wrong number of answers, or the lesson has no quiz.
    QuizClosed,
    NotForSale,
    AlreadyEnrolled,
    OwnCourse,
    /// The campaign named is not the creator's.
    NotYourCampaign,
    NotComplete,
    /// Reviews: only learners who completed enough of the course; a rating of 1–5 stars.
    NotEligibleToReview,
    /// Coupon codes: 3–30 letters, digits or dashes; a percentage (1–100) or an amount off, at
    /// least one use.
    CouponFormat,
    /// Unknown, expired or used up.
    CouponInvalid,
    /// A gift needs the email of someone else's Cohort account.
    GiftRecipient,
    RatingRange,
    ReviewLength,
    MediaType,
    MediaSize,
    /// The final assessment opens once every other required lesson is done.
    FinalLocked,
    /// Only a lesson with quiz questions can be the final assessment.
    FinalNeedsQuiz,
    /// The final assessment always counts: it cannot also be optional.
    FinalNotOptional,
    /// The course has sold: its currency stays (sales, refunds and the ledger use it).
    CurrencyLocked,
    /// The studio's attempt limit: 1–50 attempts, a wait of 0–720 hours.
    AttemptLimit,
    /// The attempts are used; one more opens after the quiz's wait.
    AttemptWait,
    /// The attempts are used and the quiz allows no more.
    NoAttemptLeft,
}

impl CourseProblem {
    pub fn status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            CourseProblem::SlugTaken
            | CourseProblem::AlreadyEnrolled
            | CourseProblem::CurrencyLocked => S::CONFLICT,
            CourseProblem::CouponInvalid => S::CONFLICT,
            CourseProblem::NotReleased
            | CourseProblem::QuizClosed
            | CourseProblem::NotComplete
            | CourseProblem::FinalLocked
            | CourseProblem::AttemptWait
            | CourseProblem::NoAttemptLeft => S::CONFLICT,
            CourseProblem::OwnCourse
            | CourseProblem::NotYourCampaign
            | CourseProblem::NotEligibleToReview => S::FORBIDDEN,
            CourseProblem::MediaSize => S::PAYLOAD_TOO_LARGE,
            CourseProblem::MediaType => S::UNSUPPORTED_MEDIA_TYPE,
            _ => S::UNPROCESSABLE_ENTITY,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Beginner, Level::Intermediate, Level::Advanced];
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CourseState {
    #[default]
    Draft,
    Published,
}

/// How a learner got into a course. Campaign rewards are not stored as enrolments: they follow
/// the backer's paid pledge (see `access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    CampaignReward,
    Purchase,
    Gift,
    Coupon,
    Membership,
    Admin,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::CampaignReward => "campaign_reward",
            Grant::Purchase => "purchase",
            Grant::Gift => "gift",
            Grant::Coupon => "coupon",
            Grant::Membership => "membership",
            Grant::Admin => "admin",
        }
    }
}

/// What the viewer may do with a course as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standing {
    /// The creator (or an admin): sees every lesson, drafts and unreleased ones too.
    Manager,
    Enrolled(Grant),
    /// Preview lessons only; the rest shows the paywall.
    Visitor,
}

impl Standing {
    pub fn is_enrolled(self) -> bool {
        matches!(self, Standing::Enrolled(_))
    }
}

/// Whether one lesson opens for the viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gate {
    Open,
    /// Released later (drip); the date is public, the content is not.
    NotYet(DateTime<Utc>),
    Paywall,
}

/// A section of the syllabus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Video,
    Audio,
    /// A downloadable attachment (PDF, ZIP, plain text).
    File,
}

/// An uploaded file as the pages see it (never its path on disk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    pub file: String,
    pub kind: MediaKind,
    pub mime: String,
    pub size: i64,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multiple,
    /// A short text answer, right when it matches one of `accept` (case and spaces ignored).
    Text,
}

/// A quiz question as stored. Learners never receive this type (it holds the answers); they
/// get [`QuizQuestion`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub prompt: String,
    pub kind: QuestionKind,
    #[serde(default)]
    pub choices: Vec<String>,
    /// Indexes of the right choices.
    #[serde(default)]
    pub correct: Vec<usize>,
    /// Accepted short answers.
    #[serde(default)]
    pub accept: Vec<String>,
    #[serde(default)]
    pub explanation: String,
}

/// A question as a learner sees it before answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizQuestion {
    pub prompt: String,
    pub kind: QuestionKind,
    pub choices: Vec<String>,
}

/// One graded answer: right or not, and the explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub right: bool,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizResult {
    pub score: u32,
    pub pass_mark: u32,
    pub passed: bool,
    /// One per question; empty while the final assessment's attempt is not closed (see
    /// `attempts::reveals_answers`): the score alone is known then.
    pub feedback: Vec<Feedback>,
    /// The learner's attempts once this one is counted.
    #[serde(default)]
    pub attempts: Option<super::attempts::AttemptsView>,
}

/// A course in the catalogue and on the creator's studio list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseCard {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub level: Level,
    pub language: String,
    pub state: CourseState,
    pub creator_name: String,
    pub lessons: u32,
    pub price: Option<i64>,
    pub currency: Currency,
    pub campaign_title: Option<String>,
}

/// A lesson in the syllabus: what anyone may know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LessonOutline {
    pub id: String,
    pub section: String,
    pub position: i64,
    pub title: String,
    pub preview: bool,
    pub opens_at: Option<DateTime<Utc>>,
    pub has_media: bool,
    pub has_quiz: bool,
    /// Not needed for the certificate.
    #[serde(default)]
    pub optional: bool,
    /// The course's final assessment (its quiz is the final exam).
    #[serde(default)]
    pub final_assessment: bool,
    /// For the viewer: done, and how far.
    pub completed: bool,
    pub percent: u32,
}

/// A learner's review as everyone sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: String,
    pub author_name: String,
    pub author_handle: String,
    pub rating: u8,
    pub body: String,
    pub reply: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Average rating (in tenths of a star, to stay an integer) and how many of each star.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratings {
    pub count: u32,
    pub average_tenths: u32,
    /// `[one star, …, five stars]`.
    pub stars: [u32; 5],
}

/// The course page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoursePage {
    pub card: CourseCard,
    pub tags: Vec<String>,
    pub creator_handle: String,
    pub campaign_slug: Option<String>,
    pub sections: Vec<Section>,
    pub lessons: Vec<LessonOutline>,
    pub standing: Standing,
    pub signed_in: bool,
    /// The viewer's share of the required lessons completed, and where to pick up.
    pub progress_percent: u32,
    pub resume: Option<String>,
    pub certificate: Option<String>,
    /// The viewer's purchase waiting for Stripe's confirmation.
    pub pending_order: bool,
    /// A paid purchase the buyer may still refund (within the refund window).
    pub refundable_order: Option<String>,
    /// How many days a buyer may refund a purchase themselves (`COHORT_REFUND_WINDOW`).
    pub refund_days: u32,
    pub ratings: Ratings,
    pub reviews: Vec<Review>,
    /// The viewer may write (or edit) a review, and theirs if written.
    pub can_review: bool,
    pub my_review: Option<Review>,
    /// The linked campaign's reward tiers that include this course (their grant says so);
    /// empty when none does or no campaign is linked.
    #[serde(default)]
    pub reward_tiers: Vec<crate::campaigns::model::TierView>,
    /// The linked campaign takes pledges now (the tiers link to its pledge page).
    #[serde(default)]
    pub campaign_open: bool,
}

/// A lesson's content: only built for a viewer entitled to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LessonContent {
    pub body_html: String,
    pub media: Option<MediaInfo>,
    pub attachments: Vec<MediaInfo>,
    pub quiz: Vec<QuizQuestion>,
    pub pass_mark: u32,
    pub version_note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub body_html: String,
    pub at_seconds: Option<f64>,
    pub created_at: DateTime<Utc>,
}

/// The viewer's own record of a lesson.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonProgress {
    pub percent: u32,
    pub position: f64,
    pub completed: bool,
    pub bookmarked: bool,
    pub best_score: Option<u32>,
    pub passed: bool,
}

/// The lesson page: the outline always, the content only when the viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LessonPage {
    pub course_id: String,
    pub course_slug: String,
    pub course_title: String,
    pub lesson: LessonOutline,
    pub standing: Standing,
    pub gate: Gate,
    pub content: Option<LessonContent>,
    pub progress: LessonProgress,
    pub notes: Vec<Note>,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// Share of the required lessons completed.
    pub course_percent: u32,
    pub certificate: Option<String>,
    /// On the final assessment, for a learner who may not take it yet: the required lessons
    /// still to do. The quiz is left out of `content` while this is set.
    #[serde(default)]
    pub final_locked: Option<Vec<LessonRef>>,
    /// The learner's attempts at this lesson's quiz (lessons with one, for learners).
    #[serde(default)]
    pub attempts: Option<super::attempts::AttemptsView>,
}

/// A lesson named in a message (the final assessment's "still to do" list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonRef {
    pub id: String,
    pub title: String,
}

/// A lesson as the studio edits it (questions with their answers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LessonDraft {
    pub id: String,
    pub section: String,
    pub position: i64,
    pub title: String,
    pub body: String,
    pub preview: bool,
    pub opens_at: Option<DateTime<Utc>>,
    pub version_note: Option<String>,
    pub media: Option<MediaInfo>,
    pub attachments: Vec<MediaInfo>,
    pub questions: Vec<Question>,
    pub pass_mark: u32,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub final_assessment: bool,
    #[serde(default)]
    pub attempt_limit: super::attempts::AttemptLimit,
}

/// The studio's view of a course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseDraft {
    pub card: CourseCard,
    pub tags: Vec<String>,
    pub campaign_id: Option<String>,
    pub sections: Vec<Section>,
    pub lessons: Vec<LessonDraft>,
    /// The creator's campaigns a course can be the reward of: (id, title).
    pub campaigns: Vec<(String, String)>,
    pub coupons: Vec<CouponView>,
    pub enrolled: u64,
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discount {
    Percent(u32),
    /// In the course's currency's minor units.
    Amount(i64),
}

/// A coupon as the studio lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CouponView {
    pub code: String,
    pub discount: Discount,
    pub max_uses: u32,
    pub used: u32,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A public certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    pub code: String,
    pub learner_name: String,
    pub course_title: String,
    pub course_slug: String,
    pub creator_name: String,
    pub lessons: u32,
    pub issued_at: DateTime<Utc>,
    /// The best score of the final assessment when the certificate was issued (courses with one).
    #[serde(default)]
    pub final_score: Option<u32>,
    /// The course access it rested on is gone (refunded, charged back, revoked): it no longer
    /// certifies anything, and says so.
    #[serde(default)]
    pub withdrawn: bool,
}
