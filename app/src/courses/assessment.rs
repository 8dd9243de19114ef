//! Required lessons and the final assessment on the server: each lesson's status for one
//! learner, what keeps the final assessment closed, and the refusal when it is answered early.
//! The decisions themselves are the pure ones in `rules`.

use super::model::{CourseProblem, LessonRef};
use super::rules::{self, LessonStatus};
use super::store::{self, problem, BestScore, CourseRow, LessonRow, ProgressRow};
use crate::backend::db::Db;
use crate::error::AppResult;

/// The learner's status on every lesson, in syllabus order.
pub fn statuses(
    lessons: &[LessonRow],
    progress: &[ProgressRow],
    best: &[BestScore],
) -> Vec<LessonStatus> {
    lessons
        .iter()
        .map(|l| LessonStatus {
            completed: progress.iter().any(|p| p.lesson == l.id && p.completed),
            has_quiz: !l.questions.is_empty(),
            quiz_passed: best.iter().any(|b| b.lesson == l.id && b.passed()),
            optional: l.optional,
            final_assessment: l.final_assessment,
        })
        .collect()
}

/// For the final assessment: the required lessons still to do before it opens (`None` when it
/// is open, or when `lesson` is not the final assessment).
pub fn lock(
    lesson: &LessonRow,
    lessons: &[LessonRow],
    statuses: &[LessonStatus],
) -> Option<Vec<LessonRef>> {
    if !lesson.final_assessment {
        return None;
    }
    let blockers = rules::final_blockers(statuses);
    (!blockers.is_empty()).then(|| {
        blockers
            .into_iter()
            .filter_map(|i| lessons.get(i))
            .map(|l| LessonRef {
                id: l.id.clone(),
                title: l.title.clone(),
            })
            .collect()
    })
}

/// Refuses (and so records nothing) while the final assessment is closed for this learner.
/// Any other lesson passes.
pub async fn ensure_open(
    db: &Db,
    course: &CourseRow,
    lesson: &LessonRow,
    user: &str,
) -> AppResult<()> {
    if !lesson.final_assessment {
        return Ok(());
    }
    let lessons = store::lessons(db, course).await?;
    let progress = store::progress_of(db, &course.id, user).await?;
    let best = store::best_scores(db, &course.id, user).await?;
    match lock(lesson, &lessons, &statuses(&lessons, &progress, &best)) {
        Some(_) => Err(problem(CourseProblem::FinalLocked)),
        None => Ok(()),
    }
}
