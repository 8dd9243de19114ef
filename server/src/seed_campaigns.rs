//! Demo campaigns for `--seed-demo`: live ones with pledges, comments and updates, one funded,
//! one failed, one waiting for review and one draft, so every page has something to show.

use app::backend::AppState;
use app::campaigns::model::{
    CampaignDraft, CampaignMode, Category, FaqItem, MilestoneDraft, StretchDraft, TierDraft,
};
use app::campaigns::rules::{Actor, CampaignEvent, CampaignState};
use app::campaigns::{store, validate};
use app::error::AppError;
use app::money::Currency;
use app::payments::ledger::charge_legs;
use chrono::{Duration, Utc};
use serde_json::json;

struct Demo {
    creator: &'static str,
    title: &'static str,
    slug: &'static str,
    pitch: &'static str,
    category: Category,
    currency: Currency,
    goal: &'static str,
    mode: CampaignMode,
    /// Days from today: (start, end). Negative starts are launched in the past.
    days: (i64, i64),
    state: CampaignState,
    tags: &'static str,
    /// Share of the goal pledged so far, in percent.
    funded_pct: i64,
}

const DEMOS: &[Demo] = &[
    Demo { creator: "tomas_rivera", title: "Reliable Rust Web Services", slug: "reliable-rust-web-services", pitch: "A book and code-along course on building web services in Rust that stay up: errors, tracing, testing and deploys.", category: Category::Book, currency: Currency::Usd, goal: "12000", mode: CampaignMode::AllOrNothing, days: (-12, 18), state: CampaignState::Live, tags: "rust, web, backend", funded_pct: 64 },
    Demo { creator: "linwei", title: "SQL for Analysts: from zero to window functions", slug: "sql-for-analysts", pitch: "Twelve hands-on lessons with real datasets. Backers get the course the day it is funded, chapter by chapter.", category: Category::Course, currency: Currency::Usd, goal: "8000", mode: CampaignMode::Flexible, days: (-20, 10), state: CampaignState::Live, tags: "sql, data, analytics", funded_pct: 118 },
    Demo { creator: "zhangmin", title: "力学自学课：从牛顿定律到刚体转动", slug: "mechanics-self-study", pitch: "面向自学者的中学力学视频课，二十讲，每讲配练习与讲解，支持者优先观看。", category: Category::Course, currency: Currency::Cny, goal: "50000", mode: CampaignMode::Milestone, days: (-5, 25), state: CampaignState::Live, tags: "物理, 力学, 自学", funded_pct: 31 },
    Demo { creator: "maya_okafor", title: "Visual Storytelling Workshop", slug: "visual-storytelling-workshop", pitch: "Six live sessions on drawing stories that children remember, with feedback on your own picture book.", category: Category::Workshop, currency: Currency::Eur, goal: "4000", mode: CampaignMode::AllOrNothing, days: (-40, -10), state: CampaignState::Succeeded, tags: "illustration, picture books", funded_pct: 146 },
    Demo { creator: "linwei", title: "Data Pipelines Book Club", slug: "data-pipelines-book-club", pitch: "A members-only reading group working through data pipeline design, one chapter a week.", category: Category::Community, currency: Currency::Usd, goal: "3000", mode: CampaignMode::AllOrNothing, days: (-45, -15), state: CampaignState::Failed, tags: "data, community", funded_pct: 42 },
    Demo { creator: "tomas_rivera", title: "Async Rust Deep Dive", slug: "async-rust-deep-dive", pitch: "Video course on how futures, executors and cancellation really work, with exercises.", category: Category::Course, currency: Currency::Usd, goal: "9000", mode: CampaignMode::AllOrNothing, days: (3, 33), state: CampaignState::InReview, tags: "rust, async", funded_pct: 0 },
    Demo { creator: "maya_okafor", title: "Colour for Illustrators", slug: "colour-for-illustrators", pitch: "A short course on palettes, light and mood for picture-book illustrators.", category: Category::Course, currency: Currency::Eur, goal: "2500", mode: CampaignMode::Flexible, days: (7, 37), state: CampaignState::Draft, tags: "colour, illustration", funded_pct: 0 },
];

const STORY: &str = "## What we are making\n\nA complete, practical course built in the open. \
Every chapter is shaped by backer feedback: you will see drafts early, tell us what is unclear, \
and get the revised version first.\n\n## Why back it\n\n- Lessons, exercises and solutions\n\
- A community of fellow learners\n- Lifetime access, including every update\n\n\
## Timeline\n\nChapters ship monthly after the campaign closes.";

const BACKERS: &[&str] = &["sam_learns", "ana_s", "chen_yu"];

async fn user_id(state: &AppState, handle: &str) -> Result<String, AppError> {
    let h = app::accounts::model::Handle::parse(handle)?;
    app::accounts::store::find_by_handle(&state.db, &h)
        .await?
        .map(|u| u.id)
        .ok_or(AppError::NotFound)
}

fn draft(d: &Demo) -> CampaignDraft {
    let today = Utc::now().date_naive();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    let goal: i64 = d.goal.parse().unwrap_or(1000);
    let milestones = if d.mode == CampaignMode::Milestone {
        vec![
            MilestoneDraft {
                share: "40".into(),
                description: "第 1–8 讲上线".into(),
                due: day(d.days.1 + 30),
            },
            MilestoneDraft {
                share: "60".into(),
                description: "第 9–20 讲与练习册".into(),
                due: day(d.days.1 + 90),
            },
        ]
    } else {
        Vec::new()
    };
    CampaignDraft {
        title: d.title.into(),
        slug: d.slug.into(),
        pitch: d.pitch.into(),
        story: STORY.into(),
        video_url: String::new(),
        category: d.category,
        tags: d.tags.into(),
        currency: Some(d.currency),
        goal: d.goal.into(),
        starts_on: day(d.days.0),
        ends_on: day(d.days.1),
        mode: d.mode,
        faq: vec![FaqItem {
            question: "When do backers get access?".into(),
            answer: "The first chapter opens the week the campaign is funded.".into(),
        }],
        tiers: vec![
            TierDraft {
                title: "Early bird".into(),
                description: "The full course at the lowest price.".into(),
                min_amount: (goal / 200).max(5).to_string(),
                quantity: "50".into(),
                delivery: String::new(),
                grants: app::campaigns::model::Grant::Course,
                id: None,
            },
            TierDraft {
                title: "Learner".into(),
                description: "The course, the community and every update.".into(),
                min_amount: (goal / 100).max(10).to_string(),
                quantity: String::new(),
                delivery: String::new(),
                grants: app::campaigns::model::Grant::Course,
                id: None,
            },
            TierDraft {
                title: "Mentor session".into(),
                description: "Everything above plus a one-hour call.".into(),
                min_amount: (goal / 20).max(50).to_string(),
                quantity: "10".into(),
                delivery: String::new(),
                grants: app::campaigns::model::Grant::Course,
                id: None,
            },
        ],
        stretch_goals: vec![StretchDraft {
            amount: (goal * 3 / 2).to_string(),
            title: "Subtitles in Chinese and English".into(),
        }],
        milestones,
    }
}

pub async fn seed(state: &AppState) -> Result<(), AppError> {
    let db = &state.db;
    let admin = user_id(state, "admin").await?;
    for d in DEMOS {
        let creator = user_id(state, d.creator).await?;
        let today = Utc::now().date_naive();
        let id = store::create(db, &creator, d.title, d.category, today).await?;
        let row = store::get(db, &id).await?.ok_or(AppError::NotFound)?;
        let draft = draft(d);
        let valid = validate::validate(&draft, today, false).map_err(|p| {
            tracing::error!(?p, slug = d.slug, "demo campaign invalid");
            AppError::Internal
        })?;
        let html = app::backend::markdown::render(&valid.story);
        let user = app::accounts::store::get_user(db, &creator)
            .await?
            .ok_or(AppError::NotFound)?;
        let text = store::search_text(&valid, user.display_name.as_str(), user.handle.as_str());
        store::save(db, &row, &draft, Some((&valid, html)), &text).await?;
        let path: &[(CampaignEvent, Actor)] = match d.state {
            CampaignState::Draft => &[],
            CampaignState::InReview => &[(CampaignEvent::Submit, Actor::Creator)],
            _ => &[
                (CampaignEvent::Submit, Actor::Creator),
                (CampaignEvent::Approve, Actor::Admin),
                (CampaignEvent::Launch, Actor::System),
            ],
        };
        let mut current = CampaignState::Draft;
        for (event, actor) in path {
            let by = match actor {
                Actor::Creator => Some(creator.as_str()),
                Actor::Admin => Some(admin.as_str()),
                Actor::System => None,
            };
            current = store::apply(db, &id, current, *event, *actor, by, None)
                .await?
                .unwrap_or(current);
        }
        if d.funded_pct > 0 {
            pledge_history(state, &id, d, &valid).await?;
        }
        if matches!(d.state, CampaignState::Succeeded | CampaignState::Failed) {
            let mut events = vec![CampaignEvent::Deadline {
                goal_met: d.state == CampaignState::Succeeded,
            }];
            if d.state == CampaignState::Succeeded {
                // Its pledges are seeded as charged: nothing is left for settlement to do.
                events.extend([
                    CampaignEvent::BeginSettlement,
                    CampaignEvent::FinishSettlement,
                ]);
            }
            for event in events {
                current = store::apply(db, &id, current, event, Actor::System, None, None)
                    .await?
                    .unwrap_or(current);
            }
        }
    }
    tracing::info!(campaigns = DEMOS.len(), "demo campaigns seeded");
    Ok(())
}

/// Pledges spread over the days since launch (front-loaded, as real campaigns are), a few
/// comments and one update per funded campaign.
async fn pledge_history(
    state: &AppState,
    id: &str,
    d: &Demo,
    v: &app::campaigns::model::ValidCampaign,
) -> Result<(), AppError> {
    let db = &state.db;
    let target = v.goal.minor * d.funded_pct / 100;
    let tiers = store::tiers(db, id).await?;
    let start = Utc::now() + Duration::days(d.days.0);
    let elapsed = (d.days.1.min(0) - d.days.0).max(1);
    let mut backers = Vec::new();
    for b in BACKERS {
        backers.push(user_id(state, b).await?);
    }
    // Saved cards only where the charge is still to come (a live all-or-nothing campaign, or
    // one that will miss its goal); demo pledges have no card in the simulator, so a funded
    // all-or-nothing demo is seeded as already charged and settled.
    let paid = d.mode != CampaignMode::AllOrNothing || d.state == CampaignState::Succeeded;
    let escrow = d.mode == CampaignMode::Milestone;
    let fee_bps = app::payments::store::terms(db, id)
        .await?
        .map(|t| t.fee_bps)
        .unwrap_or(500);
    let mut total = 0;
    let mut n = 0u64;
    let mut i = 0usize;
    while total < target {
        let tier = &tiers[i % tiers.len()];
        let amount = tier.min_amount.minor;
        // Most pledges arrive early: day ≈ elapsed · (i/N)².
        let frac = (total as f64 / target as f64).powi(2);
        let at = start + Duration::hours((frac * elapsed as f64 * 24.0) as i64 + 1);
        let source = ["direct", "twitter", "newsletter", "weibo"][i % 4];
        if paid {
            // Money already taken (flexible, milestone, or the funded campaign): a paid pledge
            // and its ledger entry, so the ledger pages and "where the money went" add up.
            let platform_fee = amount * i64::from(fee_bps) / 10_000;
            let stripe_fee = crate::stripe_sim::cards::fee(amount, v.goal.currency.code());
            let legs = charge_legs(id, amount, platform_fee, stripe_fee, escrow);
            db.run(
                "LET $p = (CREATE pledge SET campaign = type::record('campaign', $c),
                    backer = type::record('user', $b), tier = type::record('tier', $t), amount = $a,
                    base_amount = $a, currency = $cur, state = 'paid', checkout_mode = 'payment',
                    paid = $a, paid_at = <datetime>$at, platform_fee = $pf, stripe_fee = $sf,
                    ref = IF $r = 'direct' THEN NONE ELSE $r END, created_at = <datetime>$at)[0];
                 CREATE ledger_tx SET kind = 'charge', campaign = type::record('campaign', $c),
                    pledge = $p.id, currency = $cur, source = 'seed:' + record::id($p.id),
                    memo = 'demo pledge', legs = $legs, at = <datetime>$at;
                 UPDATE type::record('tier', $t) SET claimed += 1;",
                json!({ "c": id, "b": backers[i % backers.len()], "t": tier.id, "a": amount,
                    "cur": v.goal.currency.code(), "r": source, "at": at, "pf": platform_fee,
                    "sf": stripe_fee, "legs": legs }),
            )
            .await?;
        } else {
            db.run(
                "CREATE pledge SET campaign = type::record('campaign', $c), backer = type::record('user', $b), \
                 tier = type::record('tier', $t), amount = $a, base_amount = $a, currency = $cur, \
                 state = 'authorized', checkout_mode = 'setup', \
                 ref = IF $r = 'direct' THEN NONE ELSE $r END, created_at = <datetime>$at;
                 UPDATE type::record('tier', $t) SET claimed += 1;",
                json!({ "c": id, "b": backers[i % backers.len()], "t": tier.id, "a": amount, "cur": v.goal.currency.code(), "r": source, "at": at }),
            )
            .await?;
        }
        total += amount;
        n += 1;
        i += 1;
        if i > 5000 {
            break;
        }
    }
    db.run(
        "UPDATE type::record('campaign', $c) SET pledged = $p, backers = $n;
         FOR $s IN [['direct', 240], ['twitter', 130], ['newsletter', 75], ['weibo', 40]] {
            UPSERT type::record('visit', [$c, $s[0]]) SET campaign = type::record('campaign', $c), source = $s[0], count = $s[1];
         };",
        json!({ "c": id, "p": total, "n": n }),
    )
    .await?;
    let creator = store::get(db, id)
        .await?
        .map(|r| r.creator)
        .unwrap_or_default();
    let first = app::campaigns::talk_store::create_comment(
        db,
        id,
        &backers[0],
        None,
        "Will the exercises come with solutions?",
    )
    .await?;
    app::campaigns::talk_store::create_comment(
        db,
        id,
        &creator,
        Some(&first),
        "Yes: every exercise has a worked solution, released a week after the lesson.",
    )
    .await?;
    app::campaigns::talk_store::create_comment(db, id, &backers[2], None, "期待中文字幕！").await?;
    let html = app::backend::markdown::render(
        "Thank you all! The first chapter draft is ready for backers: tell us what is unclear.",
    );
    app::campaigns::talk_store::create_update(
        db,
        id,
        "Chapter 1 draft is ready",
        &html,
        app::campaigns::model::Audience::Backers,
    )
    .await?;
    let html = app::backend::markdown::render(
        "We passed the halfway mark. Here is the plan for the next weeks.",
    );
    app::campaigns::talk_store::create_update(
        db,
        id,
        "Halfway there",
        &html,
        app::campaigns::model::Audience::Public,
    )
    .await?;
    Ok(())
}
