//! Server functions of the course studio: creating a course, editing it and its lessons,
//! ordering the syllabus, publishing, and granting access by hand. Only the course's creator (or
//! an admin) gets past `access::managed`; everyone else is told the course does not exist.

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::model::{CourseCard, CourseDraft};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

    use super::super::model::CourseProblem;

    /// A `datetime-local` ("2026-12-24T09:00") or date ("2026-12-24") field, read as UTC;
    /// blank means no date.
    pub fn opens_at(input: &str) -> Result<Option<DateTime<Utc>>, CourseProblem> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
            return Ok(Some(dt.and_utc()));
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| Some(dt.and_utc()))
            .ok_or(CourseProblem::BadDate)
    }
}

#[server(endpoint = "my_courses")]
pub async fn my_courses() -> Result<Vec<CourseCard>, AppError> {
    use crate::backend::request::{require_viewer, respond, state};
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let rows = super::store::of_creator(&state.db, &viewer.id).await?;
            Ok(rows.iter().map(super::api::ssr::card).collect())
        }
        .await,
    )
}

/// Starts a draft course; answers its id. Creators only.
#[server(endpoint = "create_course")]
pub async fn create_course(csrf: String, title: String) -> Result<String, AppError> {
    use super::model::CourseProblem;
    use super::store::{self, problem};
    use crate::accounts::model::Role;
    use crate::backend::request::{check_csrf, require_role, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_role(Role::Creator).await?;
            let state = state()?;
            let title = super::rules::title(&title, CourseProblem::TitleLength).map_err(problem)?;
            let mut slug = crate::campaigns::validate::slugify(&title);
            if slug.len() < 3 {
                slug = format!("course-{}", &store::new_id()[..6]);
            }
            match store::create(&state.db, &viewer.id, &title, &slug).await {
                Err(AppError::Invalid(crate::error::Problem::Course(CourseProblem::SlugTaken))) => {
                    let slug = format!("{slug}-{}", &store::new_id()[..4]);
                    store::create(&state.db, &viewer.id, &title, &slug).await
                }
                other => other,
            }
        }
        .await,
    )
}

/// Everything the studio edits about one course.
#[server(endpoint = "course_draft")]
pub async fn get_course_draft(course_id: String) -> Result<CourseDraft, AppError> {
    use super::model::LessonDraft;
    use super::{access, store};
    use crate::backend::request::{require_viewer, respond, state};
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = access::managed(&state.db, &viewer, &course_id).await?;
            let lessons = store::lessons(&state.db, &course).await?;
            let campaigns: Vec<(String, String)> = state
                .db
                .rows::<serde_json::Value>(
                    "SELECT record::id(id) AS id, title, created_at FROM campaign
                     WHERE creator = type::record('user', $u) ORDER BY created_at DESC",
                    crate::vars!("u" => &course.creator),
                )
                .await?
                .into_iter()
                .filter_map(|v| {
                    Some((
                        v["id"].as_str()?.to_string(),
                        v["title"].as_str()?.to_string(),
                    ))
                })
                .collect();
            Ok(CourseDraft {
                card: super::api::ssr::card(&course),
                tags: course.tags.clone(),
                campaign_id: course.campaign.clone(),
                sections: course.sections.clone(),
                lessons: lessons
                    .into_iter()
                    .map(|l| LessonDraft {
                        attempt_limit: l.attempt_limit(),
                        id: l.id,
                        section: l.section,
                        position: l.position,
                        title: l.title,
                        body: l.body,
                        preview: l.preview,
                        opens_at: l.opens_at,
                        version_note: l.version_note,
                        media: l.media,
                        attachments: l.attachments,
                        questions: l.questions,
                        pass_mark: l.pass_mark,
                        optional: l.optional,
                        final_assessment: l.final_assessment,
                    })
                    .collect(),
                campaigns,
                coupons: super::coupons::list(&state.db, &course.id).await?,
                enrolled: store::enrolled_count(&state.db, &course).await?,
            })
        }
        .await,
    )
}

/// Saves the course's details. `price` is in major units ("49.00"); blank means not for sale.
#[server(endpoint = "save_course")]
pub async fn save_course(
    csrf: String,
    course_id: String,
    title: String,
    slug: String,
    summary: String,
    level: String,
    language: String,
    tags: String,
    price: String,
    currency: String,
    campaign_id: Option<String>,
) -> Result<(), AppError> {
    use super::model::{CourseProblem, Level};
    use super::store::{self, problem, CourseEdit};
    use super::{access, rules};
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    use crate::money::{Currency, Money};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = access::managed(&state.db, &viewer, &course_id).await?;
            let title = rules::title(&title, CourseProblem::TitleLength).map_err(problem)?;
            let slug = slug.trim().to_lowercase();
            if !crate::campaigns::validate::valid_slug(&slug) {
                return Err(problem(CourseProblem::SlugFormat));
            }
            let summary = rules::summary(&summary).map_err(problem)?;
            let level = Level::parse(&level).ok_or(problem(CourseProblem::Price))?;
            let language = if language == "zh-CN" { "zh-CN" } else { "en" };
            let tags = rules::tags(&tags).map_err(problem)?;
            let currency = Currency::parse(&currency).ok_or(problem(CourseProblem::Price))?;
            let price = match price.trim() {
                "" => None,
                p => Some(
                    Money::parse_positive(p, currency)
                        .map_err(|_| problem(CourseProblem::Price))?
                        .minor,
                ),
            };
            if price.is_some_and(|p| p > currency.sane_max_minor()) {
                return Err(problem(CourseProblem::Price));
            }
            let campaign = campaign_id.filter(|c| !c.is_empty());
            if let Some(c) = &campaign {
                let terms = crate::payments::store::terms(&state.db, c)
                    .await?
                    .ok_or(problem(CourseProblem::NotYourCampaign))?;
                if terms.creator != course.creator {
                    return Err(problem(CourseProblem::NotYourCampaign));
                }
            }
            store::update(
                &state.db,
                &course.id,
                CourseEdit {
                    title: &title,
                    slug: &slug,
                    summary: &summary,
                    level,
                    language,
                    tags: &tags,
                    price,
                    currency,
                    campaign: campaign.as_deref(),
                },
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "add_section")]
pub async fn add_section(csrf: String, course_id: String, title: String) -> Result<(), AppError> {
    use super::model::{CourseProblem, Section};
    use super::store::{self, problem};
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            let title = title.trim();
            if title.is_empty() || title.chars().count() > 120 || course.sections.len() >= 40 {
                return Err(problem(CourseProblem::SectionTitle));
            }
            let mut sections = course.sections.clone();
            sections.push(Section {
                id: format!("s{}", store::new_id()),
                title: title.to_string(),
            });
            store::set_sections(&state.db, &course.id, &sections).await
        }
        .await,
    )
}

/// Adds a lesson at the end of a section; answers its id.
#[server(endpoint = "add_lesson")]
pub async fn add_lesson(
    csrf: String,
    course_id: String,
    section: String,
    title: String,
) -> Result<String, AppError> {
    use super::model::CourseProblem;
    use super::store::{self, problem};
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            if !course.sections.iter().any(|s| s.id == section) {
                return Err(problem(CourseProblem::NoSuchSection));
            }
            let title = super::rules::title(&title, CourseProblem::LessonTitle).map_err(problem)?;
            store::create_lesson(&state.db, &course.id, &section, &title).await
        }
        .await,
    )
}

/// Saves a lesson: text (Markdown, rendered and sanitised here), preview flag, release date,
/// version note, quiz (in the studio's quiz text format, see `rules::parse_quiz`), whether it is
/// optional, and whether it is the course's final assessment (which needs quiz questions, is
/// never optional, and moves the mark from any other lesson), and the quiz's attempt limit
/// (attempts in a row, then the wait in hours for each further one; empty keeps the defaults).
#[server(endpoint = "save_lesson")]
pub async fn save_lesson(
    csrf: String,
    lesson_id: String,
    section: String,
    title: String,
    body: String,
    preview: Option<String>,
    opens_at: String,
    version_note: String,
    quiz: String,
    pass_mark: u32,
    optional: Option<String>,
    final_assessment: Option<String>,
    max_attempts: Option<String>,
    retry_wait_hours: Option<String>,
) -> Result<(), AppError> {
    use super::model::CourseProblem;
    use super::store::{self, problem, LessonEdit};
    use super::{access, rules};
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let lesson = store::lesson(&state.db, &lesson_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let course = access::managed(&state.db, &viewer, &lesson.course).await?;
            if !course.sections.iter().any(|s| s.id == section) {
                return Err(problem(CourseProblem::NoSuchSection));
            }
            let title = rules::title(&title, CourseProblem::LessonTitle).map_err(problem)?;
            let body = rules::body(&body).map_err(problem)?;
            let opens_at = ssr::opens_at(&opens_at).map_err(problem)?;
            let questions = rules::parse_quiz(&quiz).map_err(problem)?;
            let attempt_limit = super::attempts::AttemptLimit::parse(
                max_attempts.as_deref().unwrap_or_default(),
                retry_wait_hours.as_deref().unwrap_or_default(),
            )
            .map_err(problem)?;
            let optional = optional.as_deref() == Some("on");
            let final_assessment = final_assessment.as_deref() == Some("on");
            if final_assessment && questions.is_empty() {
                return Err(problem(CourseProblem::FinalNeedsQuiz));
            }
            if final_assessment && optional {
                return Err(problem(CourseProblem::FinalNotOptional));
            }
            let note = version_note.trim();
            if note.chars().count() > 300 {
                return Err(problem(CourseProblem::BodyLength));
            }
            let html = crate::backend::markdown::render(&body);
            store::update_lesson(
                &state.db,
                &lesson.id,
                LessonEdit {
                    section: &section,
                    title: &title,
                    body: &body,
                    body_html: &html,
                    preview: preview.as_deref() == Some("on"),
                    opens_at,
                    version_note: (!note.is_empty()).then_some(note),
                    questions: &questions,
                    pass_mark: pass_mark.min(100),
                    optional,
                    final_assessment,
                    attempt_limit,
                },
            )
            .await
        }
        .await,
    )
}

/// Moves a lesson one place up or down the syllabus (keyboard-friendly reordering).
#[server(endpoint = "move_lesson")]
pub async fn move_lesson(csrf: String, lesson_id: String, up: bool) -> Result<(), AppError> {
    use super::store;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let lesson = store::lesson(&state.db, &lesson_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let course = super::access::managed(&state.db, &viewer, &lesson.course).await?;
            store::move_lesson(&state.db, &course, &lesson.id, up).await
        }
        .await,
    )
}

#[server(endpoint = "delete_lesson")]
pub async fn delete_lesson(csrf: String, lesson_id: String) -> Result<(), AppError> {
    use super::store;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let lesson = store::lesson(&state.db, &lesson_id)
                .await?
                .ok_or(AppError::NotFound)?;
            super::access::managed(&state.db, &viewer, &lesson.course).await?;
            let files = store::delete_lesson(&state.db, &lesson.id).await?;
            let dir = state.settings.media_dir.join("lessons");
            for f in files
                .iter()
                .filter(|f| !f.contains('/') && !f.contains(".."))
            {
                let _ = tokio::fs::remove_file(dir.join(f)).await;
            }
            Ok(())
        }
        .await,
    )
}

/// Publishes (or unpublishes) a course. Publishing needs at least one lesson.
#[server(endpoint = "publish_course")]
pub async fn publish_course(
    csrf: String,
    course_id: String,
    publish: bool,
) -> Result<(), AppError> {
    use super::model::{CourseProblem, CourseState};
    use super::store::{self, problem};
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            if publish && course.lessons == 0 {
                return Err(problem(CourseProblem::NoLessons));
            }
            let to = if publish {
                CourseState::Published
            } else {
                CourseState::Draft
            };
            store::set_state(&state.db, &course.id, to).await
        }
        .await,
    )
}

/// Opens the course to someone by email (a gift, a scholarship, a support case): an admin
/// grant, kept until revoked.
#[server(endpoint = "grant_course")]
pub async fn grant_course(csrf: String, course_id: String, email: String) -> Result<(), AppError> {
    use super::model::Grant;
    use super::store;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            let email = crate::accounts::model::Email::parse(&email)
                .map_err(|_| AppError::Invalid(crate::error::Problem::InvalidEmail))?;
            let user = crate::accounts::store::find_by_email(&state.db, &email)
                .await?
                .ok_or(AppError::NotFound)?;
            store::grant(
                &state.db,
                &course.id,
                &user.id,
                Grant::Admin,
                Some(&format!("grant:{}", viewer.id)),
            )
            .await
        }
        .await,
    )
}

/// Creates (or changes) a coupon: `percent` off (1–100) or `amount` off (major units, e.g.
/// "10.00"), usable `max_uses` times, until `expires_on` (a date; blank for no expiry).
#[server(endpoint = "save_coupon")]
pub async fn save_coupon(
    csrf: String,
    course_id: String,
    code: String,
    percent: String,
    amount: String,
    max_uses: String,
    expires_on: String,
) -> Result<(), AppError> {
    use super::model::{CourseProblem, Discount};
    use super::store::problem;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    use crate::money::Money;
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            let bad = || problem(CourseProblem::CouponFormat);
            let code = super::rules::coupon_code(&code).map_err(problem)?;
            let discount = match (percent.trim(), amount.trim()) {
                (p, "") if !p.is_empty() => match p.parse::<u32>() {
                    Ok(p) if (1..=100).contains(&p) => Discount::Percent(p),
                    _ => return Err(bad()),
                },
                ("", a) if !a.is_empty() => Discount::Amount(
                    Money::parse_positive(a, course.currency)
                        .map_err(|_| bad())?
                        .minor,
                ),
                _ => return Err(bad()),
            };
            let max_uses = match max_uses.trim().parse::<u32>() {
                Ok(n) if (1..=100_000).contains(&n) => n,
                _ => return Err(bad()),
            };
            let expires_at = ssr::opens_at(&expires_on).map_err(problem)?;
            super::coupons::save(&state.db, &course.id, &code, discount, max_uses, expires_at).await
        }
        .await,
    )
}

/// Puts a section's lessons in the given order (drag and drop). `order` must name exactly the
/// section's lessons; anything else is refused and changes nothing.
#[server(endpoint = "reorder_section")]
pub async fn reorder_section(
    csrf: String,
    course_id: String,
    section: String,
    order: Vec<String>,
) -> Result<(), AppError> {
    use super::model::CourseProblem;
    use super::store::{self, problem};
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            let mut current: Vec<String> = store::lessons(&state.db, &course)
                .await?
                .into_iter()
                .filter(|l| l.section == section)
                .map(|l| l.id)
                .collect();
            let mut wanted = order.clone();
            current.sort();
            wanted.sort();
            if current != wanted || current.is_empty() {
                return Err(problem(CourseProblem::NoSuchSection));
            }
            store::set_positions(&state.db, &order).await
        }
        .await,
    )
}
