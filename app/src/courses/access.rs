//! The one answer to "may this viewer open this course's lessons?" (server only), whatever
//! granted it: a paid pledge on the course's campaign, or an enrolment (purchase, gift, coupon,
//! membership, admin grant). Pages, server functions and the media route all ask here.

use chrono::Utc;

use super::model::{Certificate, Gate, Grant, Standing};
use super::rules;
use super::store::{self, CourseRow, LessonRow};
use crate::accounts::model::{Role, Viewer};
use crate::backend::db::Db;
use crate::error::{AppError, AppResult};

pub async fn standing(db: &Db, viewer: Option<&Viewer>, course: &CourseRow) -> AppResult<Standing> {
    let Some(v) = viewer else {
        return Ok(Standing::Visitor);
    };
    if v.id == course.creator || v.has(Role::Admin) {
        return Ok(Standing::Manager);
    }
    if let Some(grant) = store::enrolment(db, &course.id, &v.id).await? {
        return Ok(Standing::Enrolled(grant));
    }
    if store::backed_for(db, course, &v.id).await? {
        return Ok(Standing::Enrolled(Grant::CampaignReward));
    }
    Ok(Standing::Visitor)
}

/// Whether `user` still holds the course (ignoring roles): its creator, a live enrolment, or a
/// backer on a tier that grants it. What a certificate rests on.
pub async fn holds(db: &Db, course: &CourseRow, user: &str) -> AppResult<bool> {
    Ok(user == course.creator
        || store::enrolment(db, &course.id, user).await?.is_some()
        || store::backed_for(db, course, user).await?)
}

/// A certificate by its public code, marked withdrawn when the access it rested on is gone (a
/// refunded purchase or pledge, a charge-back, a revoked grant): it is decided when read, so
/// every way of losing the course withdraws it, and regaining the course restores it.
pub async fn certificate(db: &Db, code: &str) -> AppResult<Option<Certificate>> {
    let Some((mut cert, course, user)) = store::certificate(db, code).await? else {
        return Ok(None);
    };
    cert.withdrawn = match store::course(db, &course).await? {
        Some(course) => !holds(db, &course, &user).await?,
        None => true,
    };
    Ok(Some(cert))
}

/// A course the viewer may see at all: published ones, and drafts only for their managers
/// (anyone else gets "not found", so a draft's existence does not leak either).
pub async fn visible_course(
    db: &Db,
    viewer: Option<&Viewer>,
    course: Option<CourseRow>,
) -> AppResult<(CourseRow, Standing)> {
    let course = course.ok_or(AppError::NotFound)?;
    let standing = standing(db, viewer, &course).await?;
    if course.state == super::model::CourseState::Draft && standing != Standing::Manager {
        return Err(AppError::NotFound);
    }
    Ok((course, standing))
}

/// The lesson, its course, the viewer's standing and whether the lesson opens for them.
pub async fn lesson_gate(
    db: &Db,
    viewer: Option<&Viewer>,
    lesson_id: &str,
) -> AppResult<(LessonRow, CourseRow, Standing, Gate)> {
    let lesson = store::lesson(db, lesson_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let course = store::course(db, &lesson.course).await?;
    let (course, standing) = visible_course(db, viewer, course).await?;
    let gate = rules::gate(standing, lesson.preview, lesson.opens_at, Utc::now());
    Ok((lesson, course, standing, gate))
}

/// The course if the viewer manages it (its creator or an admin); "not found" otherwise.
pub async fn managed(db: &Db, viewer: &Viewer, course_id: &str) -> AppResult<CourseRow> {
    let course = store::course(db, course_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if course.creator != viewer.id && !viewer.has(Role::Admin) {
        return Err(AppError::NotFound);
    }
    Ok(course)
}
