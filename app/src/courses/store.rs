//! Course storage (server only): courses, lessons, enrolments, progress, notes, attempts and
//! certificates. Ids are random; a learner's own rows use `[thing, user]` ids so that writing
//! twice (a double click, a retried request) updates instead of duplicating.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::model::{CourseProblem, CourseState, Grant, Level, MediaInfo, Note, Question, Section};
use crate::backend::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::money::Currency;
use crate::vars;

pub fn problem(p: CourseProblem) -> AppError {
    AppError::Invalid(Problem::Course(p))
}

pub fn new_id() -> String {
    crate::payments::flow::new_pledge_id()
}

#[derive(Debug, Clone, Deserialize)]
pub struct CourseRow {
    pub id: String,
    pub creator: String,
    pub creator_name: String,
    pub creator_handle: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub level: Level,
    pub language: String,
    pub tags: Vec<String>,
    pub state: CourseState,
    pub price: Option<i64>,
    pub currency: Currency,
    pub campaign: Option<String>,
    pub campaign_title: Option<String>,
    pub campaign_slug: Option<String>,
    /// The linked campaign's mode: it decides which of its pledges make a backer.
    #[serde(default)]
    pub campaign_mode: Option<crate::campaigns::model::CampaignMode>,
    pub sections: Vec<Section>,
    pub lessons: u32,
    pub published_at: Option<DateTime<Utc>>,
}

const COURSE_FIELDS: &str = "record::id(id) AS id, record::id(creator) AS creator, \
    creator.display_name AS creator_name, creator.handle AS creator_handle, slug, title, summary, \
    level, language, tags, state, price, currency, \
    IF campaign THEN record::id(campaign) ELSE NONE END AS campaign, campaign.title AS campaign_title, \
    campaign.slug AS campaign_slug, campaign.mode AS campaign_mode, sections, published_at, \
    count((SELECT id FROM lesson WHERE course = $parent.id)) AS lessons";

pub async fn course(db: &Db, id: &str) -> AppResult<Option<CourseRow>> {
    Ok(db
        .row(
            &format!("SELECT {COURSE_FIELDS} FROM type::record('course', $id)"),
            vars!("id" => id),
        )
        .await?)
}

pub async fn course_by_slug(db: &Db, slug: &str) -> AppResult<Option<CourseRow>> {
    Ok(db
        .row(
            &format!("SELECT {COURSE_FIELDS} FROM course WHERE slug = $s LIMIT 1"),
            vars!("s" => slug),
        )
        .await?)
}

/// Published courses, newest first; `query` narrows by title, summary or tag.
/// Published courses, newest first; with a query, only those it matches (typos, plurals and
/// Chinese included: the same fuzzy check as campaign search), best match first. Courses are
/// few next to campaigns, so the ranking runs over the newest `SCAN` of them in memory.
pub async fn catalogue(db: &Db, query: Option<&str>, limit: usize) -> AppResult<Vec<CourseRow>> {
    const SCAN: usize = 2_000;
    let q = query.map(|q| q.trim().to_lowercase()).unwrap_or_default();
    let n = if q.is_empty() { limit } else { SCAN };
    let rows: Vec<CourseRow> = db
        .rows(
            &format!(
                "SELECT {COURSE_FIELDS} FROM course WHERE state = 'published'
                 ORDER BY published_at DESC LIMIT $n"
            ),
            vars!("n" => n),
        )
        .await?;
    if q.is_empty() {
        return Ok(rows);
    }
    // Ranking is CPU work: off the async workers, so other requests go on.
    crate::backend::blocking(move || {
        let mut ranked: Vec<(f64, CourseRow)> = rows
            .into_iter()
            .filter_map(|c| {
                let text = format!(
                    "{} {} {} {}",
                    c.title,
                    c.summary,
                    c.tags.join(" "),
                    c.creator_name
                )
                .to_lowercase();
                crate::campaigns::fuzzy::relevance(&q, &text).map(|score| (score, c))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.into_iter().take(limit).map(|(_, c)| c).collect()
    })
    .await
}

pub async fn of_creator(db: &Db, creator: &str) -> AppResult<Vec<CourseRow>> {
    Ok(db
        .rows(
            &format!(
                "SELECT {COURSE_FIELDS}, created_at FROM course \
                 WHERE creator = type::record('user', $u) ORDER BY created_at DESC"
            ),
            vars!("u" => creator),
        )
        .await?)
}

/// A new draft with one section. Answers its id.
pub async fn create(db: &Db, creator: &str, title: &str, slug: &str) -> AppResult<String> {
    let id = new_id();
    let res = db
        .run(
            "CREATE type::record('course', $id) SET creator = type::record('user', $u), slug = $s,
                title = $t, level = 'beginner', state = 'draft',
                sections = [{ id: 's1', title: 'Getting started' }]",
            vars!("id" => &id, "u" => creator, "s" => slug, "t" => title),
        )
        .await;
    match res {
        Ok(()) => Ok(id),
        Err(e) if e.is_unique_violation("course_slug") => Err(problem(CourseProblem::SlugTaken)),
        Err(e) => Err(e.into()),
    }
}

pub struct CourseEdit<'a> {
    pub title: &'a str,
    pub slug: &'a str,
    pub summary: &'a str,
    pub level: Level,
    pub language: &'a str,
    pub tags: &'a [String],
    pub price: Option<i64>,
    pub currency: Currency,
    pub campaign: Option<&'a str>,
}

/// Saves the course's settings. Once an order was paid (whatever became of it since), the
/// currency stays: the check and the write are one transaction.
pub async fn update(db: &Db, id: &str, e: CourseEdit<'_>) -> AppResult<()> {
    let res = db
        .run(
            "BEGIN TRANSACTION;
            LET $c = type::record('course', $id);
            IF (SELECT VALUE currency FROM ONLY $c) != $cur AND array::len(
                (SELECT VALUE id FROM course_order WHERE course = $c
                    AND state NOT IN ['pending', 'expired'] LIMIT 1)) > 0 {
                THROW 'course:currency_locked';
            };
            UPDATE $c SET title = $t, slug = $s, summary = $sum,
                level = $lvl, language = $lang, tags = $tags,
                price = IF $price THEN <int>$price ELSE NONE END, currency = $cur,
                campaign = IF $camp THEN type::record('campaign', $camp) ELSE NONE END,
                updated_at = time::now();
            COMMIT TRANSACTION;",
            vars!("id" => id, "t" => e.title, "s" => e.slug, "sum" => e.summary,
                "lvl" => e.level.as_str(), "lang" => e.language, "tags" => e.tags,
                "price" => e.price, "cur" => e.currency.code(), "camp" => e.campaign),
        )
        .await;
    match res {
        Ok(()) => Ok(()),
        Err(e) if e.is_unique_violation("course_slug") => Err(problem(CourseProblem::SlugTaken)),
        Err(e) if e.to_string().contains("course:currency_locked") => {
            Err(problem(CourseProblem::CurrencyLocked))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_sections(db: &Db, id: &str, sections: &[Section]) -> AppResult<()> {
    db.run(
        "UPDATE type::record('course', $id) SET sections = $s, updated_at = time::now()",
        vars!("id" => id, "s" => sections),
    )
    .await?;
    Ok(())
}

pub async fn set_state(db: &Db, id: &str, state: CourseState) -> AppResult<()> {
    let s = match state {
        CourseState::Draft => "draft",
        CourseState::Published => "published",
    };
    db.run(
        "UPDATE type::record('course', $id) SET state = $s, updated_at = time::now(),
            published_at = IF $s = 'published' AND published_at = NONE THEN time::now() ELSE published_at END",
        vars!("id" => id, "s" => s),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
pub struct LessonRow {
    pub id: String,
    pub course: String,
    pub section: String,
    pub position: i64,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub preview: bool,
    pub opens_at: Option<DateTime<Utc>>,
    pub version_note: Option<String>,
    pub media: Option<MediaInfo>,
    pub attachments: Vec<MediaInfo>,
    pub questions: Vec<Question>,
    pub pass_mark: u32,
    pub updated_at: DateTime<Utc>,
    pub optional: bool,
    pub final_assessment: bool,
    pub max_attempts: u32,
    pub retry_wait_hours: u32,
}

impl LessonRow {
    pub fn attempt_limit(&self) -> super::attempts::AttemptLimit {
        super::attempts::AttemptLimit {
            max: self.max_attempts.max(1),
            wait_hours: self.retry_wait_hours,
        }
    }
}

const LESSON_FIELDS: &str = "record::id(id) AS id, record::id(course) AS course, section, \
    position, title, body, body_html, preview, opens_at, version_note, media, attachments, \
    questions, pass_mark, updated_at, (optional ?? false) AS optional, \
    (final_assessment ?? false) AS final_assessment, (max_attempts ?? 3) AS max_attempts, \
    (retry_wait_hours ?? 24) AS retry_wait_hours";

pub async fn lesson(db: &Db, id: &str) -> AppResult<Option<LessonRow>> {
    Ok(db
        .row(
            &format!("SELECT {LESSON_FIELDS} FROM type::record('lesson', $id)"),
            vars!("id" => id),
        )
        .await?)
}

/// A course's lessons in syllabus order: by section order, then position.
pub async fn lessons(db: &Db, course: &CourseRow) -> AppResult<Vec<LessonRow>> {
    let mut rows: Vec<LessonRow> = db
        .rows(
            &format!(
                "SELECT {LESSON_FIELDS} FROM lesson WHERE course = type::record('course', $c) \
                 ORDER BY position"
            ),
            vars!("c" => &course.id),
        )
        .await?;
    let rank = |s: &str| {
        course
            .sections
            .iter()
            .position(|x| x.id == s)
            .unwrap_or(usize::MAX)
    };
    rows.sort_by_key(|l| (rank(&l.section), l.position));
    Ok(rows)
}

pub async fn create_lesson(db: &Db, course: &str, section: &str, title: &str) -> AppResult<String> {
    let id = new_id();
    db.run(
        "LET $c = type::record('course', $course);
         LET $last = (SELECT VALUE position FROM lesson WHERE course = $c ORDER BY position DESC LIMIT 1)[0];
         CREATE type::record('lesson', $id) SET course = $c, section = $section, title = $t,
            position = IF $last = NONE THEN 0 ELSE $last + 1 END;",
        vars!("id" => &id, "course" => course, "section" => section, "t" => title),
    )
    .await?;
    Ok(id)
}

pub struct LessonEdit<'a> {
    pub section: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub body_html: &'a str,
    pub preview: bool,
    pub opens_at: Option<DateTime<Utc>>,
    pub version_note: Option<&'a str>,
    pub questions: &'a [Question],
    pub pass_mark: u32,
    /// Not needed for the certificate.
    pub optional: bool,
    /// The course's final assessment; marking one lesson clears the mark from the others.
    pub final_assessment: bool,
    pub attempt_limit: super::attempts::AttemptLimit,
}

/// Saves a lesson. Marking it the final assessment moves the mark from any other lesson of the
/// course in the same transaction, so a course never has two.
pub async fn update_lesson(db: &Db, id: &str, e: LessonEdit<'_>) -> AppResult<()> {
    db.run(
        "BEGIN TRANSACTION;
         LET $l = type::record('lesson', $id);
         IF $fin {
            UPDATE lesson SET final_assessment = false
                WHERE course = $l.course AND id != $l AND final_assessment = true;
         };
         UPDATE $l SET section = $section, title = $t, body = $b,
            body_html = $h, preview = $p, opens_at = IF $o THEN <datetime>$o ELSE NONE END,
            version_note = IF $v THEN $v ELSE NONE END, questions = $q, pass_mark = $pm,
            optional = $opt, final_assessment = $fin, max_attempts = $max,
            retry_wait_hours = $wait, updated_at = time::now();
         COMMIT TRANSACTION;",
        vars!("id" => id, "section" => e.section, "t" => e.title, "b" => e.body,
            "h" => e.body_html, "p" => e.preview, "o" => e.opens_at, "v" => e.version_note,
            "q" => e.questions, "pm" => e.pass_mark, "opt" => e.optional,
            "fin" => e.final_assessment, "max" => e.attempt_limit.max,
            "wait" => e.attempt_limit.wait_hours),
    )
    .await?;
    Ok(())
}

/// Swaps the lesson with its neighbour in the same section (`up` towards the start).
pub async fn move_lesson(db: &Db, course: &CourseRow, id: &str, up: bool) -> AppResult<()> {
    let all = lessons(db, course).await?;
    let Some(i) = all.iter().position(|l| l.id == id) else {
        return Err(AppError::NotFound);
    };
    let j = if up { i.checked_sub(1) } else { Some(i + 1) };
    let Some(other) = j.and_then(|j| all.get(j)) else {
        return Ok(());
    };
    let me = &all[i];
    // Crossing into the neighbouring section moves the lesson there instead of swapping.
    if other.section != me.section {
        let position = if up {
            other.position - 1
        } else {
            other.position + 1
        };
        db.run(
            "UPDATE type::record('lesson', $id) SET section = $s, position = $p",
            vars!("id" => id, "s" => &other.section, "p" => position),
        )
        .await?;
        return Ok(());
    }
    db.run(
        "BEGIN TRANSACTION;
         UPDATE type::record('lesson', $a) SET position = $pb;
         UPDATE type::record('lesson', $b) SET position = $pa;
         COMMIT TRANSACTION;",
        vars!("a" => id, "b" => &other.id, "pa" => me.position, "pb" => other.position),
    )
    .await?;
    Ok(())
}

/// Numbers the lessons 0, 1, 2… in the given order, in one transaction.
pub async fn set_positions(db: &Db, order: &[String]) -> AppResult<()> {
    let pairs: Vec<(String, usize)> = order.iter().cloned().zip(0..).collect();
    db.run(
        "BEGIN TRANSACTION;
         FOR $p IN $pairs { UPDATE type::record('lesson', $p[0]) SET position = $p[1]; };
         COMMIT TRANSACTION;",
        vars!("pairs" => pairs),
    )
    .await?;
    Ok(())
}

/// Deletes a lesson with its learners' rows; answers the files it held, for the caller to remove.
pub async fn delete_lesson(db: &Db, id: &str) -> AppResult<Vec<String>> {
    let files: Vec<String> = db
        .rows(
            "LET $l = type::record('lesson', $id);
             LET $files = array::concat(IF $l.media THEN [$l.media.file] ELSE [] END, $l.attachments.file ?? []);
             BEGIN TRANSACTION;
             DELETE progress WHERE lesson = $l;
             DELETE note WHERE lesson = $l;
             DELETE attempt WHERE lesson = $l;
             DELETE $l;
             COMMIT TRANSACTION;
             RETURN $files;",
            vars!("id" => id),
        )
        .await?;
    Ok(files)
}

/// Sets the lesson's video or audio; answers the file it replaces.
pub async fn set_media(db: &Db, lesson: &str, media: &MediaInfo) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Old {
        file: Option<String>,
    }
    let old: Option<Old> = db
        .row(
            "LET $l = type::record('lesson', $id);
             LET $old = $l.media.file;
             UPDATE $l SET media = $m, updated_at = time::now();
             RETURN { file: $old };",
            vars!("id" => lesson, "m" => media),
        )
        .await?;
    Ok(old.and_then(|o| o.file))
}

pub async fn add_attachment(db: &Db, lesson: &str, file: &MediaInfo) -> AppResult<()> {
    db.run(
        "UPDATE type::record('lesson', $id) SET attachments += $f, updated_at = time::now()",
        vars!("id" => lesson, "f" => file),
    )
    .await?;
    Ok(())
}

/// The enrolment that is not a campaign reward, if any and not revoked.
pub async fn enrolment(db: &Db, course: &str, user: &str) -> AppResult<Option<Grant>> {
    #[derive(Deserialize)]
    struct Row {
        via: Grant,
    }
    let row: Option<Row> = db
        .row(
            "SELECT via FROM type::record('enrolment', [$c, $u]) WHERE revoked_at = NONE",
            vars!("c" => course, "u" => user),
        )
        .await?;
    Ok(row.map(|r| r.via))
}

impl CourseRow {
    /// The pledge states that make a backer of the linked campaign (none without one).
    pub fn backer_states(&self) -> Vec<&'static str> {
        self.campaign_mode
            .map(crate::payments::rules::backer_states)
            .unwrap_or_default()
    }
}

/// The one condition a pledge meets to open its campaign's course: made by a backer (by
/// `payments::rules::is_backer`, `$states`) on a tier whose grant is the course. The tier's
/// grant is the only source: a pledge without a reward, or on a "nothing extra" tier, opens
/// nothing. Bind `$camp`, `$states` and `$grant` ([`course_grant`]).
pub const REWARD_PLEDGE: &str = "campaign = type::record('campaign', $camp) AND state IN $states \
    AND tier != NONE AND tier.grants = $grant";

/// The key a tier stores when it grants the course.
pub fn course_grant() -> &'static str {
    crate::campaigns::model::Grant::Course.key()
}

/// True when the user backs the course's campaign on a tier that grants the course.
pub async fn backed_for(db: &Db, course: &CourseRow, user: &str) -> AppResult<bool> {
    let Some(campaign) = &course.campaign else {
        return Ok(false);
    };
    let n: Option<u64> = db
        .row(
            &format!(
                "RETURN count((SELECT id FROM pledge WHERE backer = type::record('user', $u)
                    AND {REWARD_PLEDGE}))"
            ),
            vars!("u" => user, "camp" => campaign, "states" => course.backer_states(),
                "grant" => course_grant()),
        )
        .await?;
    Ok(n.unwrap_or(0) > 0)
}

/// The tiers of the course's campaign that include the course, in the campaign's order.
pub async fn reward_tiers(
    db: &Db,
    course: &CourseRow,
) -> AppResult<Vec<crate::campaigns::model::TierView>> {
    let Some(campaign) = &course.campaign else {
        return Ok(Vec::new());
    };
    Ok(crate::campaigns::store::tiers(db, campaign)
        .await?
        .into_iter()
        .filter(|t| t.grants == crate::campaigns::model::Grant::Course)
        .collect())
}

/// Published courses linked to a campaign: (title, slug), for its pledge page.
pub async fn published_for_campaign(db: &Db, campaign: &str) -> AppResult<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        title: String,
        slug: String,
    }
    let rows: Vec<Row> = db
        .rows(
            "SELECT title, slug, published_at FROM course WHERE campaign = type::record('campaign', $c)
                AND state = 'published' ORDER BY published_at",
            vars!("c" => campaign),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.title, r.slug)).collect())
}

/// Grants (or re-grants) a course. An existing live enrolment keeps its original grant.
pub async fn grant(
    db: &Db,
    course: &str,
    user: &str,
    via: Grant,
    source: Option<&str>,
) -> AppResult<()> {
    db.run(
        "LET $e = type::record('enrolment', [$c, $u]);
         IF $e.id = NONE OR $e.revoked_at != NONE {
            UPSERT $e SET course = type::record('course', $c), user = type::record('user', $u),
                via = $via, source = IF $src THEN $src ELSE NONE END, granted_at = time::now(), revoked_at = NONE;
         };",
        vars!("c" => course, "u" => user, "via" => via.as_str(), "src" => source),
    )
    .await?;
    Ok(())
}

/// Revokes the enrolment `source` granted (a refunded purchase); other grants stay.
pub async fn revoke(db: &Db, course: &str, user: &str, source: &str) -> AppResult<()> {
    db.run(
        "UPDATE type::record('enrolment', [$c, $u]) SET revoked_at = time::now()
         WHERE source = $src AND revoked_at = NONE",
        vars!("c" => course, "u" => user, "src" => source),
    )
    .await?;
    Ok(())
}

/// Learners of a course: enrolments, and backers on a tier that grants it.
pub async fn enrolled_count(db: &Db, course: &CourseRow) -> AppResult<u64> {
    let n: Option<u64> = db
        .row(
            &format!(
                "RETURN count((SELECT id FROM enrolment WHERE course = type::record('course', $c) AND revoked_at = NONE))
                    + IF $camp THEN count((SELECT id FROM pledge WHERE {REWARD_PLEDGE})) ELSE 0 END"
            ),
            vars!("c" => &course.id, "camp" => &course.campaign, "states" => course.backer_states(),
                "grant" => course_grant()),
        )
        .await?;
    Ok(n.unwrap_or(0))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProgressRow {
    pub lesson: String,
    pub percent: u32,
    pub position: f64,
    pub bookmarked: bool,
    pub completed: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The learner's progress on every lesson of a course they opened.
pub async fn progress_of(db: &Db, course: &str, user: &str) -> AppResult<Vec<ProgressRow>> {
    Ok(db
        .rows(
            "SELECT record::id(lesson) AS lesson, percent, position, bookmarked,
                completed_at != NONE AS completed, updated_at
             FROM progress WHERE user = type::record('user', $u) AND course = type::record('course', $c)",
            vars!("u" => user, "c" => course),
        )
        .await?)
}

/// Records that the learner is at `position` seconds, `percent` through the lesson, having spent
/// `seconds` more on it. Percent never goes down (rewatching the start keeps the furthest point).
pub async fn save_progress(
    db: &Db,
    lesson: &LessonRow,
    user: &str,
    percent: u32,
    position: f64,
    seconds: u32,
) -> AppResult<()> {
    db.run(
        "UPSERT type::record('progress', [$l, $u]) SET course = type::record('course', $c),
            lesson = type::record('lesson', $l), user = type::record('user', $u),
            percent = math::max([percent ?? 0, $p]), position = $pos,
            seconds = (seconds ?? 0) + $s, updated_at = time::now();
         LET $day = time::format(time::now(), '%Y-%m-%d');
         UPSERT type::record('learning_day', [$c, $u, $day]) SET course = type::record('course', $c),
            user = type::record('user', $u), day = $day, seconds = (seconds ?? 0) + $s;",
        vars!("l" => &lesson.id, "u" => user, "c" => &lesson.course, "p" => percent.min(100),
            "pos" => position.max(0.0), "s" => seconds.min(600)),
    )
    .await?;
    Ok(())
}

/// The learner opened the lesson: its row exists from now on (where they were is kept).
pub async fn open_lesson(db: &Db, lesson: &LessonRow, user: &str) -> AppResult<()> {
    db.run(
        "UPSERT type::record('progress', [$l, $u]) SET course = type::record('course', $c),
            lesson = type::record('lesson', $l), user = type::record('user', $u),
            updated_at = time::now()",
        vars!("l" => &lesson.id, "u" => user, "c" => &lesson.course),
    )
    .await?;
    Ok(())
}

pub async fn complete(db: &Db, lesson: &LessonRow, user: &str) -> AppResult<()> {
    db.run(
        "UPSERT type::record('progress', [$l, $u]) SET course = type::record('course', $c),
            lesson = type::record('lesson', $l), user = type::record('user', $u), percent = 100,
            completed_at = completed_at ?? time::now(), updated_at = time::now()",
        vars!("l" => &lesson.id, "u" => user, "c" => &lesson.course),
    )
    .await?;
    Ok(())
}

pub async fn set_bookmark(db: &Db, lesson: &LessonRow, user: &str, on: bool) -> AppResult<()> {
    db.run(
        "UPSERT type::record('progress', [$l, $u]) SET course = type::record('course', $c),
            lesson = type::record('lesson', $l), user = type::record('user', $u), bookmarked = $on",
        vars!("l" => &lesson.id, "u" => user, "c" => &lesson.course, "on" => on),
    )
    .await?;
    Ok(())
}

pub async fn notes(db: &Db, lesson: &str, user: &str) -> AppResult<Vec<Note>> {
    Ok(db
        .rows(
            "SELECT record::id(id) AS id, body_html, at_seconds, created_at FROM note
             WHERE user = type::record('user', $u) AND lesson = type::record('lesson', $l)
             ORDER BY created_at",
            vars!("u" => user, "l" => lesson),
        )
        .await?)
}

pub async fn add_note(
    db: &Db,
    lesson: &LessonRow,
    user: &str,
    body: &str,
    body_html: &str,
    at_seconds: Option<f64>,
) -> AppResult<()> {
    db.run(
        "CREATE note SET course = type::record('course', $c), lesson = type::record('lesson', $l),
            user = type::record('user', $u), body = $b, body_html = $h,
            at_seconds = IF $at THEN <float>$at ELSE NONE END",
        vars!("c" => &lesson.course, "l" => &lesson.id, "u" => user, "b" => body,
            "h" => body_html, "at" => at_seconds),
    )
    .await?;
    Ok(())
}

/// Striped locks so one learner's attempts at one quiz are decided one after another on this
/// instance: two answers sent at once cannot both take the last attempt. Across instances,
/// [`record_attempt`] refuses a write when another attempt landed since the decision.
pub fn attempt_lock(lesson: &str, user: &str) -> &'static tokio::sync::Mutex<()> {
    use std::hash::{Hash, Hasher};
    static LOCKS: std::sync::LazyLock<Vec<tokio::sync::Mutex<()>>> =
        std::sync::LazyLock::new(|| (0..64).map(|_| tokio::sync::Mutex::new(())).collect());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (lesson, user).hash(&mut h);
    &LOCKS[(h.finish() % 64) as usize]
}

/// Records an attempt made at `at`, as the `before`-th one: if the learner's attempts are no
/// longer `before` (another landed meanwhile), nothing is written and the answer is refused.
pub async fn record_attempt(
    db: &Db,
    lesson: &LessonRow,
    user: &str,
    (score, passed): (u32, bool),
    before: usize,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let res = db
        .run(
            "BEGIN TRANSACTION;
             LET $lesson = type::record('lesson', $l); LET $user = type::record('user', $u);
             IF count((SELECT id FROM attempt WHERE user = $user AND lesson = $lesson)) != $before {
                THROW 'attempt:raced';
             };
             CREATE attempt SET course = type::record('course', $c), lesson = $lesson,
                user = $user, score = $s, passed = $p, at = <datetime>$at;
             COMMIT TRANSACTION;",
            vars!("c" => &lesson.course, "l" => &lesson.id, "u" => user, "s" => score,
                "p" => passed, "before" => before, "at" => at),
        )
        .await;
    match res {
        Ok(()) => Ok(()),
        Err(e) if e.to_string().contains("attempt:raced") || e.is_conflict() => {
            Err(AppError::Conflict)
        }
        Err(e) => Err(e.into()),
    }
}

/// When the learner made each attempt at a lesson's quiz.
pub async fn attempt_times(db: &Db, lesson: &str, user: &str) -> AppResult<Vec<DateTime<Utc>>> {
    Ok(db
        .rows(
            "SELECT VALUE at FROM attempt WHERE user = type::record('user', $u)
                AND lesson = type::record('lesson', $l)",
            vars!("u" => user, "l" => lesson),
        )
        .await?)
}

#[derive(Debug, Clone, Deserialize)]
pub struct BestScore {
    pub lesson: String,
    pub best: u32,
    /// Passing attempts.
    pub passes: u32,
}

impl BestScore {
    pub fn passed(&self) -> bool {
        self.passes > 0
    }
}

/// Each quiz's best score for the learner in a course.
pub async fn best_scores(db: &Db, course: &str, user: &str) -> AppResult<Vec<BestScore>> {
    Ok(db
        .rows(
            "SELECT record::id(lesson) AS lesson, math::max(score) AS best,
                count(passed) AS passes
             FROM attempt WHERE user = type::record('user', $u) AND course = type::record('course', $c)
             GROUP BY lesson",
            vars!("u" => user, "c" => course),
        )
        .await?)
}

/// What a certificate freezes when it is issued.
pub struct Issue<'a> {
    pub learner_name: &'a str,
    /// Required lessons of the course.
    pub lessons: u32,
    /// The final assessment's best score, for courses with one.
    pub final_score: Option<u32>,
}

/// Issues the learner's certificate once; answers its code (the existing one when issued before).
pub async fn issue_certificate(
    db: &Db,
    course: &CourseRow,
    user: &str,
    issue: Issue<'_>,
) -> AppResult<String> {
    if let Some(code) = certificate_of(db, &course.id, user).await? {
        return Ok(code);
    }
    let code = crate::backend::security::random_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect::<String>();
    let res = db
        .run(
            "CREATE certificate SET course = type::record('course', $c), user = type::record('user', $u),
                code = $code, learner_name = $ln, course_title = $ct, creator_name = $cn, lessons = $n,
                final_score = IF $fs = NONE OR $fs = NULL THEN NONE ELSE <int>$fs END",
            vars!("c" => &course.id, "u" => user, "code" => &code, "ln" => issue.learner_name,
                "ct" => &course.title, "cn" => &course.creator_name, "n" => issue.lessons,
                "fs" => issue.final_score),
        )
        .await;
    match res {
        Ok(()) => Ok(code),
        // Two completions at once: the first one's certificate stands.
        Err(e) if e.is_unique_violation("certificate_once") => certificate_of(db, &course.id, user)
            .await?
            .ok_or(AppError::Internal),
        Err(e) => Err(e.into()),
    }
}

pub async fn certificate_of(db: &Db, course: &str, user: &str) -> AppResult<Option<String>> {
    Ok(db
        .row(
            "SELECT VALUE code FROM certificate WHERE course = type::record('course', $c)
                AND user = type::record('user', $u) LIMIT 1",
            vars!("c" => course, "u" => user),
        )
        .await?)
}

/// A certificate by its code, with the course and the learner it was issued to (whose access
/// decides whether it still stands: `access::certificate`).
pub async fn certificate(
    db: &Db,
    code: &str,
) -> AppResult<Option<(super::model::Certificate, String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        course: String,
        user: String,
        #[serde(flatten)]
        cert: super::model::Certificate,
    }
    let row: Option<Row> = db
        .row(
            "SELECT code, learner_name, course_title, course.slug AS course_slug, creator_name,
                lessons, issued_at, final_score, record::id(course) AS course,
                record::id(user) AS user FROM certificate WHERE code = $code LIMIT 1",
            vars!("code" => code),
        )
        .await?;
    Ok(row.map(|r| (r.cert, r.course, r.user)))
}

/// Visible reviews of a course, newest first, and the stars of all of them.
pub async fn reviews(db: &Db, course: &str) -> AppResult<Vec<super::model::Review>> {
    Ok(db
        .rows(
            "SELECT record::id(id) AS id, user.display_name AS author_name,
                user.handle AS author_handle, rating, body, reply, created_at
             FROM review WHERE course = type::record('course', $c) AND hidden = false
             ORDER BY created_at DESC LIMIT 200",
            vars!("c" => course),
        )
        .await?)
}

/// Writes (or rewrites) the learner's review; the creator's reply stays.
pub async fn save_review(
    db: &Db,
    course: &str,
    user: &str,
    rating: u8,
    body: &str,
) -> AppResult<()> {
    // A random id (pages address reviews by it); `review_once` keeps it one per learner.
    db.run(
        "LET $c = type::record('course', $course);
         LET $u = type::record('user', $user);
         LET $mine = (SELECT VALUE id FROM review WHERE course = $c AND user = $u LIMIT 1)[0];
         IF $mine {
            UPDATE $mine SET rating = $r, body = $b, updated_at = time::now();
         } ELSE {
            CREATE review SET course = $c, user = $u, rating = $r, body = $b;
         };",
        vars!("course" => course, "user" => user, "r" => rating, "b" => body),
    )
    .await?;
    Ok(())
}

/// The course a review belongs to, if the review exists.
pub async fn review_course(db: &Db, review: &str) -> AppResult<Option<String>> {
    Ok(db
        .row(
            "SELECT VALUE record::id(course) FROM type::record('review', $id)",
            vars!("id" => review),
        )
        .await?)
}

pub async fn reply_review(db: &Db, review: &str, reply: Option<&str>) -> AppResult<()> {
    db.run(
        "UPDATE type::record('review', $id) SET reply = IF $r THEN $r ELSE NONE END",
        vars!("id" => review, "r" => reply),
    )
    .await?;
    Ok(())
}

pub async fn hide_review(db: &Db, review: &str) -> AppResult<()> {
    db.run(
        "UPDATE type::record('review', $id) SET hidden = true",
        vars!("id" => review),
    )
    .await?;
    Ok(())
}

/// A report for moderation, once per reporter.
pub async fn report_review(db: &Db, review: &str, reporter: &str) -> AppResult<()> {
    let res = db
        .run(
            "CREATE report SET target = type::record('review', $t), reporter = type::record('user', $u),
                reason = 'review reported from the course page'",
            vars!("t" => review, "u" => reporter),
        )
        .await;
    match res {
        Err(e) if e.is_unique_violation("report_once") => Ok(()),
        other => Ok(other?),
    }
}
