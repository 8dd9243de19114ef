//! Demo courses: "SQL for Analysts", the reward of Lin Wei's flexible campaign (its paid demo
//! backers are learners at once) and also sold on its own, with a free preview, an audio lesson,
//! quizzes, an optional lesson that opens next week and a final assessment; and a short Chinese
//! mechanics course.

use app::backend::AppState;
use app::courses::model::{CourseState, Level, MediaInfo, MediaKind};
use app::courses::rules::parse_quiz;
use app::courses::store::{self, CourseEdit, LessonEdit};
use app::error::AppError;
use app::money::Currency;
use chrono::{Duration, Utc};

struct DemoLesson {
    title: &'static str,
    body: &'static str,
    preview: bool,
    audio_seconds: Option<u32>,
    quiz: &'static str,
    opens_in_days: Option<i64>,
    /// Not needed for the certificate.
    optional: bool,
    /// The course's final assessment.
    final_exam: bool,
}

const SQL_LESSONS: &[(&str, &[DemoLesson])] = &[
    ("Foundations", &[
        DemoLesson { title: "Why SQL still wins", preview: true, audio_seconds: None, opens_in_days: None, optional: false, final_exam: false,
            body: "## What you will learn\n\nIn twelve lessons you go from your first `SELECT` to window functions, on real datasets.\n\n```sql\nSELECT city, count(*) AS orders\nFROM orders\nGROUP BY city\nORDER BY orders DESC;\n```\n\nThis lesson is a **free preview**: anyone can read it.",
            quiz: "Which clause picks the columns you get back?\n* SELECT\n- FROM\n- ORDER BY\n? SELECT lists the columns; FROM names the tables." },
        DemoLesson { title: "Reading a table: SELECT and WHERE", preview: false, audio_seconds: Some(40), opens_in_days: None, optional: false, final_exam: false,
            body: "Listen to the walkthrough, then try the queries yourself.\n\n- `WHERE` keeps the rows that match\n- `AND` / `OR` combine conditions\n- `IS NULL` finds missing values",
            quiz: "Which rows does WHERE keep?\n* The rows where the condition is true\n- Every row, sorted\n- Only the first row\n? Rows where the condition is false or NULL are dropped.\n\nWhich finds missing values?\n* IS NULL\n- = NULL\n? Comparing with = NULL is never true; use IS NULL." },
    ]),
    ("Aggregates", &[
        DemoLesson { title: "GROUP BY without tears", preview: false, audio_seconds: None, opens_in_days: None, optional: false, final_exam: false,
            body: "Grouping collapses rows that share a key into one row per key. Every selected column is either in the `GROUP BY` or inside an aggregate.",
            quiz: "Which are aggregate functions?\n* COUNT\n* SUM\n- WHERE\n- LIKE\n? COUNT and SUM summarise a group; WHERE and LIKE filter rows.\n\nName the clause that filters groups after aggregation.\n= HAVING\n? WHERE filters rows before grouping, HAVING filters groups after." },
        DemoLesson { title: "Window functions", preview: false, audio_seconds: None, opens_in_days: Some(7),
            optional: true, final_exam: false,
            body: "Running totals, ranks and moving averages without collapsing rows. Opens next week: a bonus, not needed for the certificate.",
            quiz: "" },
    ]),
    ("Final assessment", &[
        DemoLesson { title: "Final assessment", preview: false, audio_seconds: None, opens_in_days: None,
            optional: false, final_exam: true,
            body: "Five questions across the course. It opens once every required lesson is done; pass it (70%) to earn your certificate, which shows your score.",
            quiz: "Which clause picks the columns you get back?\n* SELECT\n- WHERE\n- GROUP BY\n? SELECT lists the columns.\n\n\
                Which finds rows with a missing email?\n* WHERE email IS NULL\n- WHERE email = NULL\n? Nothing equals NULL; IS NULL tests for it.\n\n\
                Which are aggregate functions?\n* COUNT\n* AVG\n- LIKE\n? COUNT and AVG summarise a group.\n\n\
                Name the clause that filters groups after aggregation.\n= HAVING\n? WHERE filters rows, HAVING filters groups.\n\n\
                Every selected column must be in the GROUP BY or inside…\n* an aggregate\n- an ORDER BY\n- a subquery\n? Otherwise the group has no single value to show." },
    ]),
];

/// A mono 16-bit PCM WAV of a slowly rising tone: real audio any browser plays and seeks.
pub fn demo_wav(seconds: u32) -> Vec<u8> {
    let rate = 8_000u32;
    let samples = rate * seconds;
    let mut out = Vec::with_capacity(44 + samples as usize * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(samples * 2).to_le_bytes());
    let mut phase = 0.0f64;
    for i in 0..samples {
        let t = f64::from(i) / f64::from(rate);
        let freq = 220.0 + 20.0 * t;
        phase += 2.0 * std::f64::consts::PI * freq / f64::from(rate);
        let v = (phase.sin() * 6_000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

async fn user_id(state: &AppState, handle: &str) -> Result<String, AppError> {
    let h = app::accounts::model::Handle::parse(handle).map_err(|_| AppError::Internal)?;
    Ok(app::accounts::store::find_by_handle(&state.db, &h)
        .await?
        .ok_or(AppError::NotFound)?
        .id)
}

async fn campaign_id(state: &AppState, slug: &str) -> Result<Option<String>, AppError> {
    Ok(state
        .db
        .row(
            "SELECT VALUE record::id(id) FROM campaign WHERE slug = $s LIMIT 1",
            serde_json::json!({ "s": slug }),
        )
        .await?)
}

struct DemoCourse<'a> {
    creator: &'a str,
    title: &'a str,
    slug: &'a str,
    summary: &'a str,
    language: &'a str,
    level: Level,
    tags: &'a [&'a str],
    price: Option<i64>,
    currency: Currency,
    campaign: &'a str,
    sections: &'a [(&'a str, &'a [DemoLesson])],
}

async fn course(state: &AppState, d: DemoCourse<'_>) -> Result<(), AppError> {
    let db = &state.db;
    let creator = user_id(state, d.creator).await?;
    let id = store::create(db, &creator, d.title, d.slug).await?;
    let campaign = campaign_id(state, d.campaign).await?;
    let tags: Vec<String> = d.tags.iter().map(|t| t.to_string()).collect();
    store::update(
        db,
        &id,
        CourseEdit {
            title: d.title,
            slug: d.slug,
            summary: d.summary,
            level: d.level,
            language: d.language,
            tags: &tags,
            price: d.price,
            currency: d.currency,
            campaign: campaign.as_deref(),
        },
    )
    .await?;
    let sections: Vec<app::courses::model::Section> = d
        .sections
        .iter()
        .enumerate()
        .map(|(i, (title, _))| app::courses::model::Section {
            id: format!("s{}", i + 1),
            title: title.to_string(),
        })
        .collect();
    store::set_sections(db, &id, &sections).await?;
    let dir = state.settings.media_dir.join("lessons");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|_| AppError::Internal)?;
    for (section, (_, lessons)) in sections.iter().zip(d.sections) {
        for l in lessons.iter() {
            let lesson = store::create_lesson(db, &id, &section.id, l.title).await?;
            let questions = parse_quiz(l.quiz).map_err(|p| {
                tracing::error!(?p, lesson = l.title, "demo quiz invalid");
                AppError::Internal
            })?;
            store::update_lesson(
                db,
                &lesson,
                LessonEdit {
                    section: &section.id,
                    title: l.title,
                    body: l.body,
                    body_html: &app::backend::markdown::render(l.body),
                    preview: l.preview,
                    opens_at: l.opens_in_days.map(|n| Utc::now() + Duration::days(n)),
                    version_note: None,
                    questions: &questions,
                    pass_mark: 70,
                    optional: l.optional,
                    final_assessment: l.final_exam,
                    // The demo's final exam is stricter than its practice quizzes.
                    attempt_limit: if l.final_exam {
                        app::courses::attempts::AttemptLimit {
                            max: 2,
                            wait_hours: 48,
                        }
                    } else {
                        app::courses::attempts::AttemptLimit::default()
                    },
                },
            )
            .await?;
            if let Some(seconds) = l.audio_seconds {
                let bytes = demo_wav(seconds);
                let file = format!("demo-{lesson}.wav");
                tokio::fs::write(dir.join(&file), &bytes)
                    .await
                    .map_err(|_| AppError::Internal)?;
                store::set_media(
                    db,
                    &lesson,
                    &MediaInfo {
                        file,
                        kind: MediaKind::Audio,
                        mime: "audio/wav".into(),
                        size: bytes.len() as i64,
                        name: "walkthrough.wav".into(),
                    },
                )
                .await?;
            }
        }
    }
    store::set_state(db, &id, CourseState::Published).await?;
    Ok(())
}

const MECHANICS: &[(&str, &[DemoLesson])] = &[("牛顿定律", &[
    DemoLesson { title: "第一讲：惯性与参考系", preview: true, audio_seconds: None, opens_in_days: None, optional: false, final_exam: false,
        body: "物体在不受外力时保持静止或匀速直线运动。本讲免费试看。", quiz: "" },
    DemoLesson { title: "第二讲：F = ma", preview: false, audio_seconds: None, opens_in_days: None, optional: false, final_exam: false,
        body: "力、质量与加速度的关系，以及如何画受力分析图。",
        quiz: "质量为 2 kg 的物体受 4 N 合力，加速度是多少（m/s²）？\n= 2\n? a = F / m = 4 / 2 = 2。" },
])];

pub async fn seed(state: &AppState) -> Result<(), AppError> {
    course(
        state,
        DemoCourse {
            creator: "linwei",
            title: "SQL for Analysts",
            slug: "sql-for-analysts",
            summary: "From your first SELECT to window functions, with real datasets and a quiz after every lesson. Backers of the campaign get it the day it is funded, chapter by chapter.",
            language: "en",
            level: Level::Beginner,
            tags: &["sql", "data", "analytics"],
            price: Some(4_900),
            currency: Currency::Usd,
            campaign: "sql-for-analysts",
            sections: SQL_LESSONS,
        },
    )
    .await?;
    course(
        state,
        DemoCourse {
            creator: "zhangmin",
            title: "力学自学课",
            slug: "mechanics-self-study-course",
            summary: "面向自学者的中学力学视频课，每讲配练习与讲解。",
            language: "zh-CN",
            level: Level::Intermediate,
            tags: &["物理", "力学"],
            price: Some(19_900),
            currency: Currency::Cny,
            campaign: "mechanics-self-study",
            sections: MECHANICS,
        },
    )
    .await?;
    tracing::info!("demo courses seeded");
    Ok(())
}
