//! Learning reports: a learner's own (time spent, lessons done, quiz scores, streak) and the
//! creator's (enrolments over time, the completion funnel per lesson and where learners stop,
//! average quiz scores), with bar charts drawn as plain SVG and CSS.

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::t;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizScore {
    pub lesson: String,
    /// Best score in percent, or the average for the creator's report.
    pub score: u32,
    pub attempts: u32,
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnerReport {
    pub seconds: u64,
    pub lessons_done: u32,
    pub lessons_total: u32,
    pub streak_days: u32,
    /// Minutes per day over the last 14 days, oldest first.
    pub last_days: Vec<(NaiveDate, u32)>,
    pub quizzes: Vec<QuizScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub lesson: String,
    pub opened: u32,
    pub completed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseInsights {
    pub learners: u32,
    /// New learners per ISO week ("2026-W49"), oldest first, the last 12 weeks.
    pub enrolments: Vec<(String, u32)>,
    pub funnel: Vec<FunnelStep>,
    /// Index into `funnel` of the lesson after which most learners stop, if any stop.
    pub drop_off: Option<usize>,
    pub quizzes: Vec<QuizScore>,
    pub ratings: super::model::Ratings,
}

/// Consecutive days with learning, ending today (or yesterday: today is not over yet).
pub fn streak(days: &[NaiveDate], today: NaiveDate) -> u32 {
    let mut sorted: Vec<NaiveDate> = days.iter().copied().filter(|d| *d <= today).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let Some(&last) = sorted.last() else {
        return 0;
    };
    if (today - last).num_days() > 1 {
        return 0;
    }
    let mut n = 1;
    for pair in sorted.windows(2).rev() {
        if (pair[1] - pair[0]).num_days() == 1 {
            n += 1;
        } else {
            break;
        }
    }
    n
}

/// The step after which the most learners who completed a lesson did not complete the next.
pub fn drop_off(funnel: &[FunnelStep]) -> Option<usize> {
    funnel
        .windows(2)
        .enumerate()
        .map(|(i, w)| (i, w[0].completed.saturating_sub(w[1].completed)))
        .filter(|(_, lost)| *lost > 0)
        .max_by_key(|(i, lost)| (*lost, std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
}

#[cfg(feature = "ssr")]
mod ssr {
    use serde::Deserialize;

    use crate::backend::db::Db;
    use crate::error::AppResult;
    use crate::vars;

    #[derive(Deserialize)]
    pub struct Day {
        pub day: String,
        pub seconds: u64,
    }

    pub async fn days(db: &Db, course: &str, user: &str) -> AppResult<Vec<Day>> {
        Ok(db
            .rows(
                "SELECT day, seconds FROM learning_day WHERE user = type::record('user', $u)
                    AND course = type::record('course', $c)",
                vars!("u" => user, "c" => course),
            )
            .await?)
    }

    #[derive(Deserialize)]
    pub struct LessonCounts {
        pub lesson: String,
        pub opened: u32,
        pub completed: u32,
    }

    pub async fn funnel(db: &Db, course: &str) -> AppResult<Vec<LessonCounts>> {
        Ok(db
            .rows(
                "SELECT record::id(lesson) AS lesson, count() AS opened,
                    count(completed_at != NONE) AS completed
                 FROM progress WHERE course = type::record('course', $c) GROUP BY lesson",
                vars!("c" => course),
            )
            .await?)
    }

    #[derive(Deserialize)]
    pub struct QuizAvg {
        pub lesson: String,
        pub avg: f64,
        pub attempts: u32,
        pub passed: u32,
    }

    pub async fn quiz_averages(db: &Db, course: &str) -> AppResult<Vec<QuizAvg>> {
        Ok(db
            .rows(
                "SELECT record::id(lesson) AS lesson, math::mean(score) AS avg, count() AS attempts,
                    count(passed) AS passed
                 FROM attempt WHERE course = type::record('course', $c) GROUP BY lesson",
                vars!("c" => course),
            )
            .await?)
    }

    /// When each learner joined: purchases and grants, and paid pledges of the linked campaign.
    pub async fn joined(
        db: &Db,
        course: &super::super::store::CourseRow,
    ) -> AppResult<Vec<chrono::DateTime<chrono::Utc>>> {
        Ok(db
            .rows(
                &format!(
                    "RETURN array::concat(
                        (SELECT VALUE granted_at FROM enrolment WHERE course = type::record('course', $c) AND revoked_at = NONE),
                        IF $camp THEN (SELECT VALUE paid_at FROM pledge WHERE {} AND paid_at != NONE) ELSE [] END)",
                    super::super::store::REWARD_PLEDGE
                ),
                vars!("c" => &course.id, "camp" => &course.campaign,
                    "states" => course.backer_states(), "grant" => super::super::store::course_grant()),
            )
            .await?)
    }
}

/// The viewer's own report for a course they learn.
#[server(endpoint = "learning_report")]
pub async fn learning_report(course_id: String) -> Result<LearnerReport, AppError> {
    use super::store;
    use crate::backend::request::{require_viewer, respond, state};
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = store::course(&state.db, &course_id).await?;
            let (course, standing) =
                super::access::visible_course(&state.db, Some(&viewer), course).await?;
            if !standing.is_enrolled() {
                return Err(AppError::Forbidden);
            }
            let lessons = store::lessons(&state.db, &course).await?;
            let progress = store::progress_of(&state.db, &course.id, &viewer.id).await?;
            let best = store::best_scores(&state.db, &course.id, &viewer.id).await?;
            let days = ssr::days(&state.db, &course.id, &viewer.id).await?;
            let today = chrono::Utc::now().date_naive();
            let parsed: Vec<(NaiveDate, u64)> = days
                .iter()
                .filter_map(|d| {
                    Some((
                        NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok()?,
                        d.seconds,
                    ))
                })
                .collect();
            let active: Vec<NaiveDate> = parsed.iter().map(|(d, _)| *d).collect();
            let last_days = (0..14)
                .rev()
                .map(|back| {
                    let day = today - chrono::Duration::days(back);
                    let secs: u64 = parsed
                        .iter()
                        .filter(|(d, _)| *d == day)
                        .map(|(_, s)| s)
                        .sum();
                    (day, (secs / 60) as u32)
                })
                .collect();
            let title_of = |id: &str| {
                lessons
                    .iter()
                    .find(|l| l.id == id)
                    .map(|l| l.title.clone())
                    .unwrap_or_default()
            };
            Ok(LearnerReport {
                seconds: parsed.iter().map(|(_, s)| s).sum(),
                lessons_done: progress.iter().filter(|p| p.completed).count() as u32,
                lessons_total: lessons.len() as u32,
                streak_days: streak(&active, today),
                last_days,
                quizzes: best
                    .iter()
                    .map(|b| QuizScore {
                        lesson: title_of(&b.lesson),
                        score: b.best,
                        attempts: 0,
                        passed: b.passed(),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// The creator's view of how a course is doing.
#[server(endpoint = "course_insights")]
pub async fn get_course_insights(course_id: String) -> Result<CourseInsights, AppError> {
    use super::store;
    use crate::backend::request::{require_viewer, respond, state};
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            let lessons = store::lessons(&state.db, &course).await?;
            let counts = ssr::funnel(&state.db, &course.id).await?;
            let funnel: Vec<FunnelStep> = lessons
                .iter()
                .map(|l| {
                    let c = counts.iter().find(|c| c.lesson == l.id);
                    FunnelStep {
                        lesson: l.title.clone(),
                        opened: c.map_or(0, |c| c.opened),
                        completed: c.map_or(0, |c| c.completed),
                    }
                })
                .collect();
            let quizzes = ssr::quiz_averages(&state.db, &course.id)
                .await?
                .into_iter()
                .filter_map(|q| {
                    let title = lessons.iter().find(|l| l.id == q.lesson)?.title.clone();
                    Some(QuizScore {
                        lesson: title,
                        score: q.avg.round() as u32,
                        attempts: q.attempts,
                        passed: q.passed > 0,
                    })
                })
                .collect();
            let joined = ssr::joined(&state.db, &course).await?;
            let this_week = chrono::Utc::now().date_naive();
            let enrolments = (0..12)
                .rev()
                .map(|back| {
                    let start = this_week - chrono::Duration::weeks(back);
                    let label = start.format("%G-W%V").to_string();
                    let n = joined
                        .iter()
                        .filter(|at| at.date_naive().format("%G-W%V").to_string() == label)
                        .count() as u32;
                    (label, n)
                })
                .collect();
            let reviews = store::reviews(&state.db, &course.id).await?;
            let stars: Vec<u8> = reviews.iter().map(|r| r.rating).collect();
            Ok(CourseInsights {
                learners: joined.len() as u32,
                enrolments,
                drop_off: drop_off(&funnel),
                funnel,
                quizzes,
                ratings: super::rules::ratings(&stars),
            })
        }
        .await,
    )
}

/// Vertical bars for a short series, with the numbers in a visually hidden table for screen
/// readers.
#[component]
fn Columns(title: &'static str, points: Vec<(String, u32)>) -> impl IntoView {
    let max = points.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let w = 24 * points.len().max(1);
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let h = (*v as f64 / max as f64 * 80.0).round();
            view! { <rect x=(i * 24 + 4).to_string() y=(90.0 - h).to_string() width="16" height=h.to_string() rx="2"/> }
        })
        .collect_view();
    view! {
        <figure class="chart-figure">
            <svg class="chart columns" viewBox=format!("0 0 {w} 92") role="img" aria-label=title preserveAspectRatio="none">
                {bars}
            </svg>
            <table class="visually-hidden">
                <caption>{title}</caption>
                <tbody>{points.into_iter().map(|(k, v)| view! { <tr><th scope="row">{k}</th><td>{v}</td></tr> }).collect_view()}</tbody>
            </table>
        </figure>
    }
}

/// Horizontal bars with their values written out.
#[component]
fn Bars(
    rows: Vec<(String, u32, String)>,
    max: u32,
    #[prop(optional)] mark: Option<usize>,
) -> impl IntoView {
    let max = max.max(1);
    view! {
        <ul class="hbars" role="list">
            {rows.into_iter().enumerate().map(|(i, (label, v, text))| view! {
                <li class:marked=mark == Some(i)>
                    <span class="hbar-label">{label}</span>
                    <span class="hbar" aria-hidden="true"><span style=format!("width: {}%", v.min(max) * 100 / max)></span></span>
                    <span class="hbar-value">{text}</span>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn LearnerReportView(course_id: String) -> impl IntoView {
    let c = t().course;
    let data = Resource::new(move || course_id.clone(), learning_report);
    view! {
        <details class="card report">
            <summary>{c.report_title}</summary>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(r) => {
                            let minutes = r.seconds / 60;
                            let days: Vec<(String, u32)> = r.last_days.iter().map(|(d, m)| (d.format("%m-%d").to_string(), *m)).collect();
                            let quizzes: Vec<(String, u32, String)> = r.quizzes.iter().map(|q| (q.lesson.clone(), q.score, format!("{}%", q.score))).collect();
                            view! {
                                <dl class="stats">
                                    <div><dt>{c.time_spent}</dt><dd>{format!("{} h {:02} min", minutes / 60, minutes % 60)}</dd></div>
                                    <div><dt>{c.lessons_done}</dt><dd>{format!("{} / {}", r.lessons_done, r.lessons_total)}</dd></div>
                                    <div><dt>{c.streak}</dt><dd>{r.streak_days}" "{c.days}</dd></div>
                                </dl>
                                <h3>{c.minutes_per_day}</h3>
                                <Columns title=c.minutes_per_day points=days/>
                                <h3>{c.quiz_scores}</h3>
                                {if quizzes.is_empty() { view! { <p class="muted">{c.no_quiz_yet}</p> }.into_any() } else { view! { <Bars rows=quizzes max=100/> }.into_any() }}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </details>
    }
}

#[component]
pub fn InsightsView(course_id: String) -> impl IntoView {
    let c = t().course;
    let data = Resource::new(move || course_id.clone(), get_course_insights);
    view! {
        <section class="card stack insights" aria-labelledby="insights-h">
            <h2 id="insights-h">{c.insights_title}</h2>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(i) if i.learners == 0 => view! { <p class="empty-state">{c.no_learners_yet}</p> }.into_any(),
                        Ok(i) => {
                            let max = i.funnel.iter().map(|f| f.opened).max().unwrap_or(0);
                            let funnel: Vec<(String, u32, String)> = i.funnel.iter().map(|f| (f.lesson.clone(), f.completed, format!("{} / {}", f.completed, f.opened))).collect();
                            let quizzes: Vec<(String, u32, String)> = i.quizzes.iter().map(|q| (q.lesson.clone(), q.score, format!("{}% · {} {}", q.score, q.attempts, c.attempts))).collect();
                            let drop = i.drop_off.and_then(|d| i.funnel.get(d)).map(|f| f.lesson.clone());
                            view! {
                                <p>{i.learners}" "{c.learners}{(i.ratings.count > 0).then(|| format!(" · ★ {}.{} ({})", i.ratings.average_tenths / 10, i.ratings.average_tenths % 10, i.ratings.count))}</p>
                                <h3>{c.enrolments_by_week}</h3>
                                <Columns title=c.enrolments_by_week points=i.enrolments.clone()/>
                                <h3>{c.funnel_title}</h3>
                                <p class="hint">{c.funnel_hint}</p>
                                <Bars rows=funnel max=max mark=i.drop_off.unwrap_or(usize::MAX)/>
                                {drop.map(|d| view! { <p class="form-status">{c.drop_off}" "<strong>{d}</strong></p> })}
                                <h3>{c.quiz_averages}</h3>
                                {if quizzes.is_empty() { view! { <p class="muted">{c.no_quiz_yet}</p> }.into_any() } else { view! { <Bars rows=quizzes max=100/> }.into_any() }}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn streaks_count_consecutive_days_up_to_today_or_yesterday() {
        let today = d("2026-12-10");
        assert_eq!(
            streak(&[d("2026-12-08"), d("2026-12-09"), d("2026-12-10")], today),
            3
        );
        assert_eq!(
            streak(&[d("2026-12-08"), d("2026-12-09")], today),
            2,
            "today is not over"
        );
        assert_eq!(streak(&[d("2026-12-05"), d("2026-12-07")], today), 0);
        assert_eq!(
            streak(
                &[
                    d("2026-12-01"),
                    d("2026-12-09"),
                    d("2026-12-10"),
                    d("2026-12-10")
                ],
                today
            ),
            2
        );
        assert_eq!(streak(&[], today), 0);
    }

    #[test]
    fn the_drop_off_is_where_most_completers_stop() {
        let step = |completed| FunnelStep {
            lesson: String::new(),
            opened: 10,
            completed,
        };
        assert_eq!(drop_off(&[step(10), step(9), step(3), step(3)]), Some(1));
        assert_eq!(drop_off(&[step(5), step(5)]), None);
        assert_eq!(drop_off(&[]), None);
    }
}
