//! `server seed-bench`: the data set the campaign benchmarks run against (bench/campaigns.sh):
//! 10 000 live campaigns with English and Chinese titles for search, and one campaign,
//! `/c/bench-campaign`, with 10 000 pledges and 2 000 comments. Writes in batches so a
//! fresh on-disk database fills in about a minute.

use app::backend::AppState;
use app::error::AppError;
use chrono::{Duration, Utc};
use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::json;

const WORDS: &[&str] = &[
    "rust",
    "python",
    "data",
    "design",
    "watercolour",
    "sketching",
    "physics",
    "calculus",
    "statistics",
    "machine",
    "learning",
    "writing",
    "poetry",
    "history",
    "cooking",
    "bread",
    "gardening",
    "photography",
    "guitar",
    "piano",
    "japanese",
    "spanish",
    "marketing",
    "finance",
    "investing",
    "leadership",
    "yoga",
    "chess",
    "astronomy",
    "biology",
    "chemistry",
    "robotics",
    "electronics",
    "woodworking",
    "pottery",
    "animation",
    "film",
    "podcasting",
    "typography",
    "illustration",
    "security",
    "networks",
    "databases",
    "compilers",
    "kubernetes",
    "linux",
    "excel",
    "negotiation",
    "public",
    "speaking",
];
const KINDS: &[&str] = &[
    "course",
    "book",
    "workshop",
    "community",
    "bootcamp",
    "handbook",
];
const ZH: &[&str] = &[
    "机器学习",
    "数据分析",
    "摄影",
    "书法",
    "编程",
    "物理",
    "绘画",
    "写作",
    "理财",
    "烘焙",
];
const CATEGORIES: &[&str] = &["course", "book", "community", "workshop"];

pub struct Sizes {
    pub campaigns: usize,
    pub pledges: usize,
    pub comments: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            campaigns: 10_000,
            pledges: 10_000,
            comments: 2_000,
        }
    }
}

pub async fn seed(state: &AppState, sizes: Sizes) -> Result<String, AppError> {
    let db = &state.db;
    crate::seed::seed_demo(state).await?;
    let creators: Vec<String> = db
        .rows(
            "SELECT VALUE record::id(id) FROM user WHERE roles CONTAINS 'creator'",
            json!({}),
        )
        .await?;
    let backers: Vec<String> = db
        .rows("SELECT VALUE record::id(id) FROM user", json!({}))
        .await?;
    let started = std::time::Instant::now();
    let mut rng = rand::rng();
    let now = Utc::now();
    let mut batch = Vec::new();
    for i in 0..sizes.campaigns {
        let a = WORDS.choose(&mut rng).copied().unwrap_or("rust");
        let b = WORDS.choose(&mut rng).copied().unwrap_or("data");
        let kind = KINDS.choose(&mut rng).copied().unwrap_or("course");
        let title = if i % 5 == 0 {
            format!(
                "{}{} {}",
                ZH.choose(&mut rng).copied().unwrap_or("编程"),
                "入门课程",
                i
            )
        } else {
            format!("{} {} {kind} {i}", capitalise(a), b)
        };
        let goal: i64 = rng.random_range(1_000..200_000) * 100;
        let pledged: i64 = goal * rng.random_range(0..180) / 100;
        batch.push(json!({
            "creator": format!("user:{}", creators[i % creators.len().max(1)]), "state": "live", "draft": {}, "valid": true,
            "title": title, "slug": format!("bench-{i}"), "pitch": format!("Learn {a} and {b} step by step."),
            "category": CATEGORIES[i % CATEGORIES.len()], "currency": "USD", "goal": goal,
            "pledged": pledged, "backers": pledged / 5000,
            "starts_at": (now - Duration::days(5)).to_rfc3339(), "ends_at": (now + Duration::days(rng.random_range(1..50))).to_rfc3339(),
            "launched_at": (now - Duration::days(5)).to_rfc3339(), "mode": "all_or_nothing",
            "search_text": format!("{title} learn {a} and {b} step by step.").to_lowercase(),
        }));
        if batch.len() == 500 || i + 1 == sizes.campaigns {
            db.run(
                "FOR $c IN $batch {
                    CREATE campaign SET creator = type::record($c.creator), state = $c.state,
                        draft = $c.draft, valid = $c.valid, title = $c.title, slug = $c.slug,
                        pitch = $c.pitch, category = $c.category, currency = $c.currency,
                        goal = $c.goal, pledged = $c.pledged, backers = $c.backers, mode = $c.mode,
                        search_text = $c.search_text, starts_at = <datetime>$c.starts_at,
                        ends_at = <datetime>$c.ends_at, launched_at = <datetime>$c.launched_at;
                 };",
                json!({ "batch": std::mem::take(&mut batch) }),
            )
            .await?;
        }
    }
    let campaigns_secs = started.elapsed().as_secs_f64();

    // The one big campaign: demo content plus many pledges and comments.
    let big: String = db
        .row(
            "SELECT VALUE record::id(id) FROM campaign WHERE slug = 'reliable-rust-web-services'",
            json!({}),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    db.run(
        "UPDATE type::record('campaign', $c) SET slug = 'bench-campaign'",
        json!({ "c": big }),
    )
    .await?;
    let tiers: Vec<String> = db
        .rows(
            "SELECT VALUE record::id(id) FROM tier WHERE campaign = type::record('campaign', $c)",
            json!({ "c": big }),
        )
        .await?;
    let started = std::time::Instant::now();
    let mut total = 0i64;
    for chunk in 0..sizes.pledges.div_ceil(500) {
        let n = 500.min(sizes.pledges - chunk * 500);
        let rows: Vec<_> = (0..n)
            .map(|_| {
                let amount: i64 = rng.random_range(10..500) * 100;
                let source = ["twitter", "newsletter", "weibo", "friend"].choose(&mut rng).copied();
                total += amount;
                json!({
                    "backer": backers.choose(&mut rng), "tier": tiers.choose(&mut rng), "amount": amount,
                    "at": (now - Duration::minutes(rng.random_range(0..(12 * 24 * 60)))).to_rfc3339(),
                    "ref": source,
                })
            })
            .collect();
        db.run(
            "FOR $p IN $rows { CREATE pledge SET campaign = type::record('campaign', $c), backer = type::record('user', $p.backer),
                tier = type::record('tier', $p.tier), amount = $p.amount, currency = 'USD', state = 'authorized',
                ref = $p.ref, created_at = <datetime>$p.at; };",
            json!({ "c": big, "rows": rows }),
        )
        .await?;
    }
    db.run(
        "UPDATE type::record('campaign', $c) SET pledged += $t, backers += $n",
        json!({ "c": big, "t": total, "n": sizes.pledges }),
    )
    .await?;
    for chunk in 0..sizes.comments.div_ceil(500) {
        let n = 500.min(sizes.comments - chunk * 500);
        let rows: Vec<_> = (0..n)
            .map(|i| json!({ "author": backers.choose(&mut rng), "body": format!("Comment {} about chapter {}.", chunk * 500 + i, i % 12) }))
            .collect();
        db.run(
            "FOR $r IN $rows { CREATE comment SET campaign = type::record('campaign', $c), author = type::record('user', $r.author), body = $r.body; };",
            json!({ "c": big, "rows": rows }),
        )
        .await?;
    }
    Ok(format!(
        "seeded {} campaigns in {campaigns_secs:.1} s; /c/bench-campaign has {} more pledges and {} comments ({:.1} s)",
        sizes.campaigns,
        sizes.pledges,
        sizes.comments,
        started.elapsed().as_secs_f64()
    ))
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
