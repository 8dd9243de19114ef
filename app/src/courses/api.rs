//! Server functions for learners and visitors: the catalogue, course and lesson pages, progress,
//! notes, quizzes, purchases and certificates. Every lesson's content goes through
//! `access::lesson_gate`; the studio's functions are in `studio_api`.

use leptos::prelude::*;

use super::model::{Certificate, CourseCard, CoursePage, LessonPage, QuizResult};
use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::super::access;
    use super::super::assessment;
    use super::super::model::{
        CourseCard, CourseProblem, Gate, LessonContent, LessonOutline, LessonProgress, Standing,
    };
    use super::super::rules;
    use super::super::store::{self, problem, BestScore, CourseRow, LessonRow, ProgressRow};
    use crate::accounts::model::Viewer;
    use crate::backend::AppState;
    use crate::error::{AppError, AppResult};

    pub fn card(c: &CourseRow) -> CourseCard {
        CourseCard {
            id: c.id.clone(),
            slug: c.slug.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            level: c.level,
            language: c.language.clone(),
            state: c.state,
            creator_name: c.creator_name.clone(),
            lessons: c.lessons,
            price: c.price,
            currency: c.currency,
            campaign_title: c.campaign_title.clone(),
        }
    }

    pub fn outline(l: &LessonRow, progress: &[ProgressRow]) -> LessonOutline {
        let mine = progress.iter().find(|p| p.lesson == l.id);
        LessonOutline {
            id: l.id.clone(),
            section: l.section.clone(),
            position: l.position,
            title: l.title.clone(),
            preview: l.preview,
            opens_at: l.opens_at,
            has_media: l.media.is_some(),
            has_quiz: !l.questions.is_empty(),
            optional: l.optional,
            final_assessment: l.final_assessment,
            completed: mine.is_some_and(|p| p.completed),
            percent: mine.map_or(0, |p| p.percent),
        }
    }

    /// Only built after the gate said open.
    pub fn content(l: &LessonRow) -> LessonContent {
        LessonContent {
            body_html: l.body_html.clone(),
            media: l.media.clone(),
            attachments: l.attachments.clone(),
            quiz: l.questions.iter().map(rules::public_question).collect(),
            pass_mark: l.pass_mark,
            version_note: l.version_note.clone(),
            updated_at: l.updated_at,
        }
    }

    pub fn lesson_progress(l: &LessonRow, p: &[ProgressRow], best: &[BestScore]) -> LessonProgress {
        let mine = p.iter().find(|x| x.lesson == l.id);
        let score = best.iter().find(|b| b.lesson == l.id);
        LessonProgress {
            percent: mine.map_or(0, |x| x.percent),
            position: mine.map_or(0.0, |x| x.position),
            completed: mine.is_some_and(|x| x.completed),
            bookmarked: mine.is_some_and(|x| x.bookmarked),
            best_score: score.map(|b| b.best),
            passed: score.is_some_and(|b| b.passed()),
        }
    }

    /// A lesson the viewer is learning from: signed in, enrolled (or managing), and open.
    pub async fn learning(
        state: &AppState,
        viewer: &Viewer,
        lesson_id: &str,
    ) -> AppResult<(LessonRow, CourseRow)> {
        let (lesson, course, standing, gate) =
            access::lesson_gate(&state.db, Some(viewer), lesson_id).await?;
        match gate {
            Gate::Open if standing != Standing::Visitor => Ok((lesson, course)),
            // A visitor on a preview lesson reads it but keeps no record.
            Gate::Open => Err(AppError::Forbidden),
            Gate::NotYet(_) => Err(problem(CourseProblem::NotReleased)),
            Gate::Paywall => Err(AppError::Forbidden),
        }
    }

    /// Issues the certificate once every required lesson is done and the final assessment (if
    /// the course has one) passed; its best score is frozen on the certificate. Answers the
    /// certificate's code when the course is complete.
    pub async fn certify_if_complete(
        state: &AppState,
        viewer: &Viewer,
        course: &CourseRow,
    ) -> AppResult<Option<String>> {
        let lessons = store::lessons(&state.db, course).await?;
        let progress = store::progress_of(&state.db, &course.id, &viewer.id).await?;
        let best = store::best_scores(&state.db, &course.id, &viewer.id).await?;
        let statuses = assessment::statuses(&lessons, &progress, &best);
        if !rules::course_complete(&statuses) {
            return Ok(None);
        }
        let final_score = lessons
            .iter()
            .find(|l| l.final_assessment && !l.questions.is_empty())
            .and_then(|l| best.iter().find(|b| b.lesson == l.id))
            .map(|b| b.best);
        let required = statuses.iter().filter(|s| s.required()).count();
        let code = store::issue_certificate(
            &state.db,
            course,
            &viewer.id,
            store::Issue {
                learner_name: viewer.display_name.as_str(),
                lessons: required as u32,
                final_score,
            },
        )
        .await?;
        state
            .db
            .run(
                "RELATE (type::record('user', $u))->completed->(type::record('course', $c))
                    SET at = time::now()",
                crate::vars!("u" => &viewer.id, "c" => &course.id),
            )
            .await
            .ok();
        Ok(Some(code))
    }

    /// The learner's share of the course's required lessons completed.
    pub fn now_percent(lessons: &[LessonRow], progress: &[ProgressRow], best: &[BestScore]) -> u32 {
        rules::course_percent(&assessment::statuses(lessons, progress, best))
    }
}

/// Published courses, newest first, optionally narrowed by a search; at most `limit` of them
/// (and never more than a catalogue page of 60).
#[server(endpoint = "course_catalogue")]
pub async fn course_catalogue(
    query: Option<String>,
    limit: Option<usize>,
) -> Result<Vec<CourseCard>, AppError> {
    use crate::backend::request::{respond, spend_search_budget, state};
    const PAGE: usize = 60;
    respond(
        async {
            let query = query
                .as_deref()
                .map(crate::campaigns::fuzzy::bounded_query)
                .transpose()?
                .filter(|q| !q.is_empty());
            if query.is_some() {
                spend_search_budget().await?;
            }
            let state = state()?;
            let limit = limit.unwrap_or(PAGE).clamp(1, PAGE);
            let rows = super::store::catalogue(&state.db, query, limit).await?;
            Ok(rows.iter().map(ssr::card).collect())
        }
        .await,
    )
}

/// The course page: its syllabus for everyone, the viewer's progress when enrolled.
#[server(endpoint = "course_page")]
pub async fn get_course_page(slug: String) -> Result<CoursePage, AppError> {
    use super::access;
    use super::purchase;
    use super::store;
    use crate::backend::request::{respond, state, viewer};
    respond(
        async {
            let state = state()?;
            let viewer = viewer().await?;
            let course = store::course_by_slug(&state.db, &slug).await?;
            let (course, standing) =
                access::visible_course(&state.db, viewer.as_ref(), course).await?;
            let lessons = store::lessons(&state.db, &course).await?;
            let (progress, best, certificate, order) = match &viewer {
                Some(v) => (
                    store::progress_of(&state.db, &course.id, &v.id).await?,
                    store::best_scores(&state.db, &course.id, &v.id).await?,
                    store::certificate_of(&state.db, &course.id, &v.id).await?,
                    purchase::open_order(&state, &course.id, &v.id, None).await?,
                ),
                None => (Vec::new(), Vec::new(), None, None),
            };
            // A certificate whose course access is gone is withdrawn: no link to it here.
            let certificate = certificate.filter(|_| standing != super::model::Standing::Visitor);
            let reward_tiers = store::reward_tiers(&state.db, &course).await?;
            let campaign_open = match &course.campaign {
                Some(id) => crate::campaigns::store::get(&state.db, id)
                    .await?
                    .is_some_and(|c| c.state.accepts_pledges()),
                None => false,
            };
            let resume = progress
                .iter()
                .filter(|p| !p.completed)
                .max_by_key(|p| p.updated_at)
                .map(|p| p.lesson.clone())
                .or_else(|| {
                    lessons
                        .iter()
                        .find(|l| !progress.iter().any(|p| p.lesson == l.id && p.completed))
                        .map(|l| l.id.clone())
                });
            let window = state.settings.stripe.refund_period();
            let refundable_order = order
                .as_ref()
                .filter(|o| {
                    o.state == "paid"
                        && o.paid_at
                            .is_some_and(|at| chrono::Utc::now() - at <= window)
                })
                .map(|o| o.id.clone());
            let reviews = store::reviews(&state.db, &course.id).await?;
            let stars: Vec<u8> = reviews.iter().map(|r| r.rating).collect();
            let percent = ssr::now_percent(&lessons, &progress, &best);
            let my_review = viewer
                .as_ref()
                .and_then(|v| {
                    reviews
                        .iter()
                        .find(|r| r.author_handle == v.handle.as_str())
                })
                .cloned();
            Ok(CoursePage {
                ratings: super::rules::ratings(&stars),
                can_review: super::rules::may_review(standing, percent),
                my_review,
                reviews,
                card: ssr::card(&course),
                tags: course.tags.clone(),
                creator_handle: course.creator_handle.clone(),
                campaign_slug: course.campaign_slug.clone(),
                sections: course.sections.clone(),
                progress_percent: percent,
                lessons: lessons.iter().map(|l| ssr::outline(l, &progress)).collect(),
                standing,
                signed_in: viewer.is_some(),
                resume: standing.is_enrolled().then_some(resume).flatten(),
                certificate,
                pending_order: order.as_ref().is_some_and(|o| o.state == "pending"),
                refundable_order,
                refund_days: state.settings.stripe.refund_days(),
                reward_tiers,
                campaign_open,
            })
        }
        .await,
    )
}

/// A lesson: its outline for anyone who may see the course; its content only when the gate
/// opens (nothing of it is in the page otherwise, not even in the hydration data).
#[server(endpoint = "lesson_page")]
pub async fn get_lesson_page(lesson_id: String) -> Result<LessonPage, AppError> {
    use super::access;
    use super::model::{Gate, Standing};
    use super::store;
    use crate::backend::request::{respond, state, viewer};
    respond(
        async {
            let state = state()?;
            let viewer = viewer().await?;
            let (lesson, course, standing, gate) =
                access::lesson_gate(&state.db, viewer.as_ref(), &lesson_id).await?;
            let lessons = store::lessons(&state.db, &course).await?;
            let learner = viewer.as_ref().filter(|_| standing != Standing::Visitor);
            let (progress, best, notes, certificate) = match learner {
                Some(v) => {
                    if gate == Gate::Open && standing.is_enrolled() {
                        // Opening a lesson counts as starting it.
                        store::open_lesson(&state.db, &lesson, &v.id).await?;
                    }
                    (
                        store::progress_of(&state.db, &course.id, &v.id).await?,
                        store::best_scores(&state.db, &course.id, &v.id).await?,
                        store::notes(&state.db, &lesson.id, &v.id).await?,
                        store::certificate_of(&state.db, &course.id, &v.id).await?,
                    )
                }
                None => (Vec::new(), Vec::new(), Vec::new(), None),
            };
            let i = lessons.iter().position(|l| l.id == lesson.id).unwrap_or(0);
            // A learner on a closed final assessment sees why, and what remains, not the exam.
            let final_locked = match learner {
                Some(_) if standing.is_enrolled() && gate == Gate::Open => {
                    let statuses = super::assessment::statuses(&lessons, &progress, &best);
                    super::assessment::lock(&lesson, &lessons, &statuses)
                }
                _ => None,
            };
            let content = (gate == Gate::Open).then(|| {
                let mut content = ssr::content(&lesson);
                if final_locked.is_some() {
                    content.quiz.clear();
                }
                content
            });
            let attempts = match learner {
                Some(v) if gate == Gate::Open && !lesson.questions.is_empty() => {
                    let taken = store::attempt_times(&state.db, &lesson.id, &v.id).await?;
                    Some(super::attempts::standing(
                        lesson.attempt_limit(),
                        &taken,
                        chrono::Utc::now(),
                    ))
                }
                _ => None,
            };
            Ok(LessonPage {
                course_id: course.id.clone(),
                course_slug: course.slug.clone(),
                course_title: course.title.clone(),
                lesson: ssr::outline(&lesson, &progress),
                standing,
                gate,
                content,
                progress: ssr::lesson_progress(&lesson, &progress, &best),
                notes,
                previous: i.checked_sub(1).map(|j| lessons[j].id.clone()),
                next: lessons.get(i + 1).map(|l| l.id.clone()),
                course_percent: ssr::now_percent(&lessons, &progress, &best),
                certificate,
                final_locked,
                attempts,
            })
        }
        .await,
    )
}

/// The player reports where the learner is, every few seconds while playing or reading.
#[server(endpoint = "save_progress")]
pub async fn save_progress(
    csrf: String,
    lesson_id: String,
    percent: u32,
    position: f64,
    seconds: u32,
) -> Result<(), AppError> {
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let (lesson, _) = ssr::learning(&state, &viewer, &lesson_id).await?;
            let position = if position.is_finite() { position } else { 0.0 };
            super::store::save_progress(&state.db, &lesson, &viewer.id, percent, position, seconds)
                .await
        }
        .await,
    )
}

/// Marks a lesson done. Answers the certificate's code when that completed the course.
#[server(endpoint = "complete_lesson")]
pub async fn complete_lesson(csrf: String, lesson_id: String) -> Result<Option<String>, AppError> {
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let (lesson, course) = ssr::learning(&state, &viewer, &lesson_id).await?;
            super::assessment::ensure_open(&state.db, &course, &lesson, &viewer.id).await?;
            super::store::complete(&state.db, &lesson, &viewer.id).await?;
            ssr::certify_if_complete(&state, &viewer, &course).await
        }
        .await,
    )
}

#[server(endpoint = "bookmark_lesson")]
pub async fn bookmark_lesson(csrf: String, lesson_id: String, on: bool) -> Result<(), AppError> {
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let (lesson, _) = ssr::learning(&state, &viewer, &lesson_id).await?;
            super::store::set_bookmark(&state.db, &lesson, &viewer.id, on).await
        }
        .await,
    )
}

/// A private note on a lesson, in Markdown, at the player's position when there is one.
#[server(endpoint = "add_note")]
pub async fn add_note(
    csrf: String,
    lesson_id: String,
    body: String,
    at_seconds: Option<f64>,
) -> Result<(), AppError> {
    use super::store::problem;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let body = super::rules::note(&body).map_err(problem)?;
            let (lesson, _) = ssr::learning(&state, &viewer, &lesson_id).await?;
            let html = crate::backend::markdown::render(&body);
            let at = at_seconds.filter(|s| s.is_finite() && *s >= 0.0);
            super::store::add_note(&state.db, &lesson, &viewer.id, &body, &html, at).await
        }
        .await,
    )
}

/// Grades a quiz attempt (recorded either way) with feedback on every question. The final
/// assessment is refused, and nothing recorded, until every other required lesson is done;
/// passing it completes its lesson. Attempts are limited per quiz (`attempts`): past the limit
/// the answer is refused and nothing recorded; the final assessment gives the score alone
/// until its attempt is closed (passed, or the last one there will be).
#[server(endpoint = "answer_quiz")]
pub async fn answer_quiz(
    csrf: String,
    lesson_id: String,
    answers: Vec<String>,
) -> Result<(QuizResult, Option<String>), AppError> {
    use super::store::problem;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let (lesson, course) = ssr::learning(&state, &viewer, &lesson_id).await?;
            super::assessment::ensure_open(&state.db, &course, &lesson, &viewer.id).await?;
            let mut result = super::rules::grade(&lesson.questions, &answers, lesson.pass_mark)
                .map_err(problem)?;
            let limit = lesson.attempt_limit();
            let _one_at_a_time = super::store::attempt_lock(&lesson.id, &viewer.id)
                .lock()
                .await;
            let mut taken = super::store::attempt_times(&state.db, &lesson.id, &viewer.id).await?;
            let now = chrono::Utc::now();
            super::attempts::may_attempt(&super::attempts::standing(limit, &taken, now))
                .map_err(problem)?;
            super::store::record_attempt(
                &state.db,
                &lesson,
                &viewer.id,
                (result.score, result.passed),
                taken.len(),
                now,
            )
            .await?;
            taken.push(now);
            let after = super::attempts::standing(limit, &taken, now);
            if !super::attempts::reveals_answers(lesson.final_assessment, result.passed, &after) {
                result.feedback.clear();
            }
            result.attempts = Some(after);
            if result.passed && lesson.final_assessment {
                super::store::complete(&state.db, &lesson, &viewer.id).await?;
            }
            let certificate = if result.passed {
                ssr::certify_if_complete(&state, &viewer, &course).await?
            } else {
                None
            };
            Ok((result, certificate))
        }
        .await,
    )
}

/// Opens Checkout for a course on sale, for the buyer or as a gift to another account, with an
/// optional coupon. Answers the URL to go to, or nothing when a coupon made it free and the
/// learner is enrolled already.
#[server(endpoint = "buy_course")]
pub async fn buy_course(
    csrf: String,
    course_id: String,
    coupon: Option<String>,
    gift_email: Option<String>,
) -> Result<Option<String>, AppError> {
    use super::access;
    use super::model::{CourseProblem, CourseState, Standing};
    use super::purchase::{self, Begun, Purchase};
    use super::store::{self, problem};
    use crate::backend::rate_limit;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            rate_limit::hit(
                &state.db,
                &format!("pledge:{}", viewer.id),
                rate_limit::PLEDGE_PER_USER,
            )
            .await?;
            let coupon = match coupon.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                Some(c) => Some(super::rules::coupon_code(c).map_err(problem)?),
                None => None,
            };
            let course = store::course(&state.db, &course_id).await?;
            let (course, standing) =
                access::visible_course(&state.db, Some(&viewer), course).await?;
            if course.state != CourseState::Published {
                return Err(problem(CourseProblem::NotForSale));
            }
            let recipient = match gift_email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
            {
                Some(email) => {
                    let email = crate::accounts::model::Email::parse(email)
                        .map_err(|_| problem(CourseProblem::GiftRecipient))?;
                    let user = crate::accounts::store::find_by_email(&state.db, &email)
                        .await?
                        .filter(|u| u.id != viewer.id)
                        .ok_or(problem(CourseProblem::GiftRecipient))?;
                    let theirs =
                        access::standing(&state.db, Some(&user.clone().into_viewer()), &course)
                            .await?;
                    if theirs != Standing::Visitor {
                        return Err(problem(CourseProblem::GiftRecipient));
                    }
                    Some(user.id)
                }
                None => {
                    match standing {
                        Standing::Manager if course.creator == viewer.id => {
                            return Err(problem(CourseProblem::OwnCourse))
                        }
                        Standing::Enrolled(_) => {
                            return Err(problem(CourseProblem::AlreadyEnrolled))
                        }
                        _ => {}
                    }
                    None
                }
            };
            let begun = purchase::begin(
                &state,
                Purchase {
                    course: &course,
                    buyer: &viewer.id,
                    recipient: recipient.as_deref(),
                    coupon: coupon.as_deref(),
                },
            )
            .await?;
            Ok(match begun {
                Begun::Checkout(url) => Some(url),
                Begun::Enrolled => None,
            })
        }
        .await,
    )
}

/// The buyer refunds their own purchase within the refund window; access ends with it.
#[server(endpoint = "refund_course")]
pub async fn refund_course(csrf: String, order_id: String) -> Result<(), AppError> {
    use crate::accounts::model::Role;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let order = super::purchase::order(&state, &order_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let admin = viewer.has(Role::Admin);
            if order.buyer != viewer.id && !admin {
                return Err(AppError::NotFound);
            }
            super::purchase::refund(&state, &order, !admin).await
        }
        .await,
    )
}

/// A certificate by its public code: anyone with the link can verify it.
#[server(endpoint = "certificate")]
pub async fn get_certificate(code: String) -> Result<Certificate, AppError> {
    use crate::backend::request::{respond, state};
    respond(
        async {
            let state = state()?;
            super::access::certificate(&state.db, code.trim())
                .await?
                .ok_or(AppError::NotFound)
        }
        .await,
    )
}

/// A learner's review (one each; sending again edits it).
#[server(endpoint = "review_course")]
pub async fn review_course(
    csrf: String,
    course_id: String,
    rating: u8,
    body: String,
) -> Result<(), AppError> {
    use super::model::CourseProblem;
    use super::store::{self, problem};
    use super::{access, rules};
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let (rating, body) = rules::review(rating, &body).map_err(problem)?;
            let course = store::course(&state.db, &course_id).await?;
            let (course, standing) =
                access::visible_course(&state.db, Some(&viewer), course).await?;
            let lessons = store::lessons(&state.db, &course).await?;
            let progress = store::progress_of(&state.db, &course.id, &viewer.id).await?;
            let best = store::best_scores(&state.db, &course.id, &viewer.id).await?;
            if !rules::may_review(standing, ssr::now_percent(&lessons, &progress, &best)) {
                return Err(problem(CourseProblem::NotEligibleToReview));
            }
            store::save_review(&state.db, &course.id, &viewer.id, rating, &body).await?;
            state
                .db
                .run(
                    "RELATE (type::record('user', $u))->reviewed->(type::record('course', $c))
                        SET rating = $r, at = time::now()",
                    crate::vars!("u" => &viewer.id, "c" => &course.id, "r" => rating),
                )
                .await
                .ok();
            Ok(())
        }
        .await,
    )
}

/// The course's manager answers a review (an empty reply removes the answer) or hides it.
#[server(endpoint = "moderate_review")]
pub async fn moderate_review(
    csrf: String,
    review_id: String,
    reply: String,
    hide: Option<String>,
) -> Result<(), AppError> {
    use super::model::CourseProblem;
    use super::store::{self, problem};
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = store::review_course(&state.db, &review_id)
                .await?
                .ok_or(AppError::NotFound)?;
            super::access::managed(&state.db, &viewer, &course).await?;
            if hide.as_deref() == Some("on") {
                return store::hide_review(&state.db, &review_id).await;
            }
            let reply = reply.trim();
            if reply.chars().count() > 2_000 {
                return Err(problem(CourseProblem::ReviewLength));
            }
            store::reply_review(&state.db, &review_id, (!reply.is_empty()).then_some(reply)).await
        }
        .await,
    )
}

/// Anyone signed in may report a review; reports wait for moderation.
#[server(endpoint = "report_review")]
pub async fn report_review(csrf: String, review_id: String) -> Result<(), AppError> {
    use super::store;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            store::review_course(&state.db, &review_id)
                .await?
                .ok_or(AppError::NotFound)?;
            store::report_review(&state.db, &review_id, &viewer.id).await
        }
        .await,
    )
}
