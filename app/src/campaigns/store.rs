//! Campaign queries (server only): drafts, tiers, state changes with their history, listings,
//! search and the numbers behind the dashboard.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::model::{
    CampaignCard, CampaignDraft, CampaignProblem, Category, FaqItem, Milestone, Sort, StretchGoal,
    TierView, ValidCampaign,
};
use super::rules::{transition, Actor, CampaignEvent, CampaignState};
use crate::backend::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::money::{Currency, Money};
use crate::vars;

/// Pledge states that count towards totals and make someone a backer (see
/// `payments::rules::PledgeState::COUNTED`, which a test keeps in step).
pub const COUNTED_PLEDGES: [&str; 4] = ["authorized", "charging", "paid", "retrying"];

/// States anyone may see.
pub const PUBLIC_STATES: [&str; 6] = [
    "scheduled",
    "live",
    "succeeded",
    "failed",
    "settling",
    "settled",
];

fn problem(p: CampaignProblem) -> AppError {
    AppError::Invalid(Problem::Campaign(p))
}

/// The stored campaign, as the server reasons about it.
#[derive(Debug, Clone, Deserialize)]
pub struct CampaignRow {
    pub id: String,
    pub creator: String,
    pub state: CampaignState,
    pub draft: CampaignDraft,
    pub valid: bool,
    pub title: String,
    pub slug: String,
    pub pitch: String,
    pub story_html: String,
    pub cover: Option<String>,
    pub video_url: Option<String>,
    pub category: Category,
    #[serde(default)]
    pub tags: Vec<String>,
    pub currency: Currency,
    pub goal: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub mode: super::model::CampaignMode,
    pub fee_bps: u32,
    #[serde(default)]
    pub faq: Vec<FaqItem>,
    #[serde(default)]
    pub stretch_goals: Vec<StretchGoal>,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    pub reject_reason: Option<String>,
    pub pledged: i64,
    pub backers: u64,
    pub submitted_at: Option<DateTime<Utc>>,
    pub launched_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignRow {
    pub fn goal_money(&self) -> Money {
        Money::new(self.goal, self.currency)
    }
    pub fn pledged_money(&self) -> Money {
        Money::new(self.pledged, self.currency)
    }
    pub fn cover_url(&self) -> Option<String> {
        self.cover.as_ref().map(|f| format!("/media/covers/{f}"))
    }
}

const CAMPAIGN_FIELDS: &str =
    "record::id(id) AS id, record::id(creator) AS creator, state, draft, \
    valid, title, slug, pitch, story_html, cover, video_url, category, tags, currency, goal, \
    starts_at, ends_at, mode, fee_bps, faq, stretch_goals, milestones, reject_reason, pledged, \
    backers, submitted_at, launched_at, created_at, updated_at";

const CARD_FIELDS: &str =
    "record::id(id) AS id, slug, title, pitch, cover, category, state, goal, \
    currency, pledged, backers, ends_at, creator.display_name AS creator_name, \
    creator.handle AS creator_handle";

#[derive(Deserialize)]
struct CardRow {
    id: String,
    slug: String,
    title: String,
    pitch: String,
    cover: Option<String>,
    category: Category,
    state: CampaignState,
    goal: i64,
    currency: Currency,
    pledged: i64,
    backers: u64,
    ends_at: DateTime<Utc>,
    creator_name: String,
    creator_handle: String,
}

impl From<CardRow> for CampaignCard {
    fn from(r: CardRow) -> Self {
        CampaignCard {
            cover_url: r.cover.map(|f| format!("/media/covers/{f}")),
            goal: Money::new(r.goal, r.currency),
            pledged: Money::new(r.pledged, r.currency),
            id: r.id,
            slug: r.slug,
            title: r.title,
            pitch: r.pitch,
            category: r.category,
            state: r.state,
            backers: r.backers,
            ends_at: r.ends_at,
            creator_name: r.creator_name,
            creator_handle: r.creator_handle,
        }
    }
}

/// The instant a calendar day starts (UTC): how campaign dates are stored and compared.
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

fn state_key(s: CampaignState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Starts a draft from a title and category; everything else is filled in the editor.
pub async fn create(
    db: &Db,
    creator: &str,
    title: &str,
    category: Category,
    today: NaiveDate,
) -> AppResult<String> {
    let draft = CampaignDraft {
        title: title.to_string(),
        slug: super::validate::slugify(title),
        category,
        currency: Some(Currency::Usd),
        starts_on: (today + chrono::Days::new(7)).to_string(),
        ends_on: (today + chrono::Days::new(37)).to_string(),
        ..CampaignDraft::default()
    };
    // A placeholder slug keeps the unique index honest until the creator picks one.
    let placeholder = format!(
        "draft-{}",
        crate::backend::security::random_token()[..12].to_lowercase()
    );
    let row: Option<serde_json::Value> = db
        .row(
            "CREATE campaign SET creator = type::record('user', $creator), state = 'draft', \
             draft = $draft, title = $title, slug = $slug, category = $category, currency = 'USD', \
             goal = 1, starts_at = <datetime>$starts, ends_at = <datetime>$ends, mode = 'all_or_nothing' \
             RETURN record::id(id) AS id",
            vars!(
                "creator" => creator, "draft" => draft, "title" => title, "slug" => placeholder,
                "category" => category.key(), "starts" => day_start(today + chrono::Days::new(7)),
                "ends" => day_start(today + chrono::Days::new(37)),
            ),
        )
        .await?;
    row.and_then(|r| r["id"].as_str().map(str::to_string))
        .ok_or(AppError::Internal)
}

pub async fn get(db: &Db, id: &str) -> AppResult<Option<CampaignRow>> {
    Ok(db
        .row(
            &format!("SELECT {CAMPAIGN_FIELDS} FROM type::record('campaign', $id)"),
            vars!("id" => id),
        )
        .await?)
}

pub async fn get_by_slug(db: &Db, slug: &str) -> AppResult<Option<CampaignRow>> {
    Ok(db
        .row(
            &format!("SELECT {CAMPAIGN_FIELDS} FROM campaign WHERE slug = $slug LIMIT 1"),
            vars!("slug" => slug),
        )
        .await?)
}

/// Stores the draft as typed. When it is also valid, writes the campaign's own fields and its
/// tiers in the same transaction, so a refused write (taken slug, quantity below what is
/// already claimed) changes nothing at all.
pub async fn save(
    db: &Db,
    row: &CampaignRow,
    draft: &CampaignDraft,
    valid: Option<(&ValidCampaign, String)>,
    search_text: &str,
) -> AppResult<DateTime<Utc>> {
    let Some((v, story_html)) = valid else {
        db.run(
            "UPDATE type::record('campaign', $id) SET draft = $draft, valid = false, updated_at = time::now()",
            vars!("id" => row.id, "draft" => draft),
        )
        .await?;
        return Ok(Utc::now());
    };
    let taken: Option<String> = db
        .row(
            "SELECT VALUE record::id(id) FROM campaign WHERE slug = $slug AND id != type::record('campaign', $id) LIMIT 1",
            vars!("slug" => v.slug, "id" => row.id),
        )
        .await?;
    if taken.is_some() {
        return Err(problem(CampaignProblem::SlugTaken));
    }
    let existing = tiers(db, &row.id).await?;
    for t in &v.tiers {
        if let Some(id) = &t.id {
            let Some(old) = existing.iter().find(|o| &o.id == id) else {
                return Err(problem(CampaignProblem::TierTitle));
            };
            if t.quantity.is_some_and(|q| q < old.claimed) {
                return Err(problem(CampaignProblem::QuantityBelowClaimed));
            }
        }
    }
    let removed: Vec<&TierView> = existing
        .iter()
        .filter(|o| {
            !v.tiers
                .iter()
                .any(|t| t.id.as_deref() == Some(o.id.as_str()))
        })
        .collect();
    if removed.iter().any(|t| t.claimed > 0) {
        return Err(problem(CampaignProblem::TierHasBackers));
    }
    let removed: Vec<&str> = removed.iter().map(|t| t.id.as_str()).collect();
    let tiers: Vec<serde_json::Value> = v
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({
                "id": t.id, "position": i, "title": t.title, "description": t.description,
                "min_amount": t.min_amount.minor, "quantity": t.quantity,
                "delivery": t.delivery, "grants": t.grants.key(),
            })
        })
        .collect();
    let result = db
        .run(
            "BEGIN TRANSACTION;
             LET $c = type::record('campaign', $id);
             UPDATE $c SET draft = $draft, valid = true, title = $title, slug = $slug,
                pitch = $pitch, story_html = $story_html, video_url = $video ?? NONE,
                category = $category, tags = $tags, currency = $currency, goal = $goal,
                starts_at = <datetime>$starts, ends_at = <datetime>$ends, mode = $mode, faq = $faq,
                stretch_goals = $stretch, milestones = $milestones, search_text = $search,
                updated_at = time::now();
             FOR $r IN $removed { DELETE type::record('tier', $r) WHERE claimed = 0; };
             FOR $t IN $tiers {
                IF $t.id != NONE AND $t.id != NULL {
                    UPDATE type::record('tier', $t.id) SET position = $t.position, title = $t.title,
                        description = $t.description, min_amount = $t.min_amount,
                        quantity = $t.quantity ?? NONE, delivery = $t.delivery ?? NONE,
                        grants = $t.grants WHERE campaign = $c;
                } ELSE {
                    CREATE tier SET campaign = $c, position = $t.position, title = $t.title,
                        description = $t.description, min_amount = $t.min_amount,
                        quantity = $t.quantity ?? NONE, delivery = $t.delivery ?? NONE,
                        grants = $t.grants;
                };
             };
             COMMIT TRANSACTION;",
            vars!(
                "id" => row.id, "draft" => draft, "title" => v.title, "slug" => v.slug,
                "pitch" => v.pitch, "story_html" => story_html, "video" => v.video_url,
                "category" => v.category.key(), "tags" => v.tags,
                "currency" => v.goal.currency.code(), "goal" => v.goal.minor,
                "starts" => day_start(v.starts_on), "ends" => day_start(v.ends_on),
                "mode" => v.mode.key(), "faq" => v.faq, "stretch" => v.stretch_goals,
                "milestones" => v.milestones, "search" => search_text,
                "removed" => removed, "tiers" => tiers,
            ),
        )
        .await;
    match result {
        Ok(()) => Ok(Utc::now()),
        // Two creators claiming one address at the same moment: the index decides.
        Err(e) if e.to_string().contains("campaign_slug") => {
            Err(problem(CampaignProblem::SlugTaken))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_cover(db: &Db, id: &str, file: &str) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Before {
        cover: Option<String>,
    }
    let before: Option<Before> = db
        .row(
            "UPDATE type::record('campaign', $id) SET cover = $file, updated_at = time::now() RETURN BEFORE",
            vars!("id" => id, "file" => file),
        )
        .await?;
    Ok(before.and_then(|b| b.cover))
}

pub async fn tiers(db: &Db, campaign: &str) -> AppResult<Vec<TierView>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        title: String,
        description: String,
        min_amount: i64,
        quantity: Option<u32>,
        claimed: u32,
        delivery: Option<String>,
        grants: super::model::Grant,
        currency: Currency,
    }
    let rows: Vec<Row> = db
        .rows(
            "SELECT record::id(id) AS id, title, description, min_amount, quantity, claimed, \
             delivery, grants, campaign.currency AS currency, position FROM tier \
             WHERE campaign = type::record('campaign', $id) ORDER BY position",
            vars!("id" => campaign),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| TierView {
            min_amount: Money::new(r.min_amount, r.currency),
            id: r.id,
            title: r.title,
            description: r.description,
            quantity: r.quantity,
            claimed: r.claimed,
            delivery: r.delivery,
            grants: r.grants,
        })
        .collect())
}

/// Applies a lifecycle event. The write only happens if the campaign is still in the state the
/// decision was made from, so two admins (or two server instances running the deadline job)
/// cannot both move it: the loser gets `Ok(None)`.
pub async fn apply(
    db: &Db,
    id: &str,
    from: CampaignState,
    event: CampaignEvent,
    actor: Actor,
    by: Option<&str>,
    reason: Option<&str>,
) -> AppResult<Option<CampaignState>> {
    let to = transition(from, event, actor).map_err(|e| {
        tracing::info!(campaign = id, error = %e, "transition refused");
        problem(CampaignProblem::NotReady)
    })?;
    let actor_key = match actor {
        Actor::Creator => "creator",
        Actor::Admin => "admin",
        Actor::System => "system",
    };
    let moved: Result<Vec<serde_json::Value>, _> = db
        .rows_retrying(
            "BEGIN TRANSACTION;
             LET $c = type::record('campaign', $id);
             LET $moved = (UPDATE $c SET state = $to, updated_at = time::now(),
                reject_reason = IF $to = 'rejected' THEN $reason ?? NONE ELSE reject_reason END,
                submitted_at = IF $to = 'in_review' THEN time::now() ELSE submitted_at END,
                launched_at = IF $to = 'live' THEN time::now() ELSE launched_at END
                WHERE state = $from RETURN record::id(id) AS id);
             IF array::len($moved) > 0 {
                CREATE campaign_event SET campaign = $c, from_state = $from, to_state = $to,
                    actor = $actor, by_user = IF $by THEN type::record('user', $by) ELSE NONE END,
                    reason = $reason ?? NONE;
             };
             COMMIT TRANSACTION;
             RETURN $moved;",
            vars!(
                "id" => id, "from" => state_key(from), "to" => state_key(to),
                "actor" => actor_key, "by" => by, "reason" => reason,
            ),
        )
        .await;
    match moved {
        Ok(moved) => Ok((!moved.is_empty()).then_some(to)),
        // Still conflicting after retries: another writer keeps it busy; the caller lost.
        Err(e) if e.is_conflict() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct Due {
    pub id: String,
    pub state: CampaignState,
    pub goal: i64,
    pub pledged: i64,
}

/// Campaigns whose start or end has come: scheduled ones to launch, live ones to close.
pub async fn due(db: &Db, now: DateTime<Utc>) -> AppResult<Vec<Due>> {
    Ok(db
        .rows(
            "SELECT record::id(id) AS id, state, goal, pledged FROM campaign
             WHERE (state = 'scheduled' AND starts_at <= <datetime>$now) OR (state = 'live' AND ends_at <= <datetime>$now)
             LIMIT 500",
            vars!("now" => now),
        )
        .await?)
}

pub async fn history(db: &Db, id: &str) -> AppResult<Vec<(CampaignState, CampaignState, String)>> {
    #[derive(Deserialize)]
    struct Row {
        from_state: CampaignState,
        to_state: CampaignState,
        actor: String,
    }
    let rows: Vec<Row> = db
        .rows(
            "SELECT from_state, to_state, actor, at FROM campaign_event \
             WHERE campaign = type::record('campaign', $id) ORDER BY at",
            vars!("id" => id),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.from_state, r.to_state, r.actor))
        .collect())
}

pub async fn by_creator(db: &Db, creator: &str) -> AppResult<Vec<CampaignCard>> {
    let rows: Vec<CardRow> = db
        .rows(
            &format!(
                "SELECT {CARD_FIELDS}, updated_at FROM campaign \
                 WHERE creator = type::record('user', $u) ORDER BY updated_at DESC LIMIT 100"
            ),
            vars!("u" => creator),
        )
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// A few of the creator's other public campaigns, for the creator card. Read straight off the
/// (creator, created_at) index without sorting: a creator with thousands of campaigns would
/// otherwise cost a sort on every page view (measured with bench/campaigns.sh).
pub async fn others_by(db: &Db, creator: &str, except: &str) -> AppResult<Vec<CampaignCard>> {
    let rows: Vec<CardRow> = db
        .rows(
            &format!(
                "SELECT {CARD_FIELDS} FROM campaign WHERE creator = type::record('user', $u) \
                 AND state IN $public LIMIT 5"
            ),
            vars!("u" => creator, "public" => PUBLIC_STATES),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.id != except)
        .take(4)
        .map(Into::into)
        .collect())
}

pub async fn in_review(db: &Db) -> AppResult<Vec<(CampaignCard, Option<DateTime<Utc>>, String)>> {
    #[derive(Deserialize)]
    struct Row {
        #[serde(flatten)]
        card: CardRow,
        submitted_at: Option<DateTime<Utc>>,
        creator_id: String,
    }
    let rows: Vec<Row> = db
        .rows(
            &format!(
                "SELECT {CARD_FIELDS}, submitted_at, record::id(creator) AS creator_id FROM campaign \
                 WHERE state = 'in_review' ORDER BY submitted_at LIMIT 100"
            ),
            vars!(),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.card.into(), r.submitted_at, r.creator_id))
        .collect())
}

/// The median goal (in minor units, same currency) of public campaigns in a category.
pub async fn median_goal(
    db: &Db,
    category: Category,
    currency: Currency,
) -> AppResult<Option<i64>> {
    let goals: Vec<i64> = db
        .rows(
            "SELECT VALUE goal FROM campaign WHERE category = $cat AND currency = $cur \
             AND state IN $public ORDER BY goal LIMIT 10000",
            vars!("cat" => category.key(), "cur" => currency.code(), "public" => PUBLIC_STATES),
        )
        .await?;
    Ok((!goals.is_empty()).then(|| goals[goals.len() / 2]))
}

/// Another campaign whose story or pitch is the same text (copy-paste scams reuse them).
pub async fn duplicate_of(
    db: &Db,
    id: &str,
    pitch: &str,
    story_html: &str,
) -> AppResult<Option<String>> {
    let slug: Option<String> = db
        .row(
            "SELECT VALUE slug FROM campaign WHERE id != type::record('campaign', $id) \
             AND valid = true AND (pitch = $pitch OR (story_html = $story AND string::len($story) > 200)) LIMIT 1",
            vars!("id" => id, "pitch" => pitch, "story" => story_html),
        )
        .await?;
    Ok(slug)
}

/// Public campaigns for discovery: optional full-text query, category and order.
///
/// Search runs over one field (`search_text`: title, pitch, tags, creator) indexed as 2- and
/// 3-character n-grams. The query is cut into the same n-grams (SurrealDB does not n-gram the
/// query side itself) and matched with OR, so a misspelt word still shares n-grams with the
/// right one, and Chinese text (no spaces) matches by character pairs. The best BM25 candidates
/// then go through `fuzzy::relevance`, which keeps real matches (typos included) and ranks them.
pub async fn search(
    db: &Db,
    q: &str,
    category: Option<Category>,
    sort: Sort,
    limit: usize,
) -> AppResult<Vec<CampaignCard>> {
    let q = q.trim().to_lowercase();
    let visible = "state IN ['live', 'succeeded', 'settling', 'settled']";
    let cat = if category.is_some() {
        "AND category = $cat"
    } else {
        ""
    };
    let order = match sort {
        Sort::Relevance if !q.is_empty() => "score DESC",
        // Goals come in different currencies, so "most funded" compares share of goal.
        Sort::Relevance | Sort::MostFunded => "funded DESC",
        Sort::EndingSoon => "ends_at ASC",
        Sort::Newest => "launched_at DESC",
    };
    let live_only = if sort == Sort::EndingSoon {
        "AND state = 'live'"
    } else {
        ""
    };
    if q.chars().count() < 2 {
        let vars = vars!("cat" => category.map(|c| c.key()), "limit" => limit);
        let sql = format!(
            "SELECT {CARD_FIELDS}, launched_at, funded FROM campaign \
             WHERE {visible} {live_only} {cat} ORDER BY {order} LIMIT $limit"
        );
        let rows: Vec<CardRow> = db.rows(&sql, vars).await?;
        return Ok(rows.into_iter().map(Into::into).collect());
    }
    #[derive(Deserialize)]
    struct Hit {
        id: String,
        search_text: String,
    }
    let mut terms: Vec<String> = db
        .rows(
            "RETURN search::analyze('campaign_text', $q)",
            vars!("q" => q),
        )
        .await?;
    // Latin pairs ("in", "on") occur in nearly every text; trigrams are what tell words apart.
    // Chinese keeps its pairs (two characters already carry meaning).
    terms.retain(|t| t.chars().count() == 3 || t.chars().any(|c| (c as u32) >= 0x2E80));
    terms.sort();
    terms.dedup();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    // Candidates: anything sharing an n-gram. Ranking every hit by BM25 inside the database
    // costs seconds on 10 000 campaigns (measured), so hits come unordered and only the id and
    // the text travel; the fuzzy check ranks them and cards are fetched for the survivors.
    let sql = format!(
        "SELECT record::id(id) AS id, search_text FROM campaign
         WHERE search_text @1,OR@ $terms AND {visible} {live_only} {cat}
         LIMIT {CANDIDATES}"
    );
    let vars = vars!("terms" => terms.join(" "), "cat" => category.map(|c| c.key()));
    let hits: Vec<Hit> = db.rows(&sql, vars).await?;
    // Ranking thousands of texts is CPU work: off the async workers, so other requests go on.
    let ranked = crate::backend::blocking(move || {
        let mut ranked: Vec<(f64, String)> = hits
            .into_iter()
            .filter_map(|h| super::fuzzy::relevance(&q, &h.search_text).map(|r| (r, h.id)))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.truncate(limit);
        ranked
    })
    .await?;
    let ids: Vec<&str> = ranked.iter().map(|(_, id)| id.as_str()).collect();
    let by_sort = if sort == Sort::Relevance { "" } else { order };
    let sql = format!(
        "SELECT {CARD_FIELDS}, launched_at, funded \
         FROM $ids.map(|$i| type::record('campaign', $i)) {}",
        if by_sort.is_empty() {
            String::new()
        } else {
            format!("ORDER BY {by_sort}")
        }
    );
    let mut cards: Vec<CampaignCard> = db
        .rows::<CardRow>(&sql, vars!("ids" => ids))
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    if sort == Sort::Relevance {
        cards.sort_by_key(|c| ids.iter().position(|id| *id == c.id).unwrap_or(usize::MAX));
    }
    Ok(cards)
}

/// How many index hits the fuzzy check looks at. A query whose n-grams occur in more
/// campaigns than this may miss some matches; the fuzzy ranking keeps the best of those seen.
const CANDIDATES: usize = 3000;

/// What the search index sees of a campaign.
pub fn search_text(v: &ValidCampaign, creator_name: &str, creator_handle: &str) -> String {
    format!(
        "{} {} {} {} {}",
        v.title,
        v.pitch,
        v.tags.join(" "),
        creator_name,
        creator_handle
    )
    .to_lowercase()
}

/// A backer of the campaign by [`crate::payments::rules::is_backer`] (`mode` is the campaign's).
pub async fn is_backer(
    db: &Db,
    user: &str,
    campaign: &str,
    mode: super::model::CampaignMode,
) -> AppResult<bool> {
    pledged_in(
        db,
        user,
        campaign,
        &crate::payments::rules::backer_states(mode),
    )
    .await
}

/// The user holds a pledge that counts towards the total (a saved card included).
pub async fn has_counted_pledge(db: &Db, user: &str, campaign: &str) -> AppResult<bool> {
    pledged_in(db, user, campaign, &COUNTED_PLEDGES).await
}

async fn pledged_in(db: &Db, user: &str, campaign: &str, states: &[&str]) -> AppResult<bool> {
    let n: Option<u64> = db
        .row(
            "SELECT VALUE count() FROM pledge WHERE backer = type::record('user', $u) \
             AND campaign = type::record('campaign', $c) AND state IN $states GROUP ALL",
            vars!("u" => user, "c" => campaign, "states" => states),
        )
        .await?;
    Ok(n.unwrap_or(0) > 0)
}

/// Cumulative pledged per day since launch, and pledges per tier and per referral source.
pub async fn pledge_stats(
    db: &Db,
    campaign: &str,
) -> AppResult<(
    Vec<(DateTime<Utc>, i64)>,
    Vec<(String, u64)>,
    Vec<(String, u64)>,
    Vec<(String, u64)>,
)> {
    #[derive(Deserialize)]
    struct Day {
        day: DateTime<Utc>,
        total: i64,
    }
    #[derive(Deserialize)]
    struct Count {
        key: Option<String>,
        n: u64,
    }
    let vars = vars!("c" => campaign, "counted" => COUNTED_PLEDGES);
    let days: Vec<Day> = db
        .rows(
            "SELECT time::floor(created_at, 1d) AS day, math::sum(amount) AS total FROM pledge \
             WHERE campaign = type::record('campaign', $c) AND state IN $counted GROUP BY day ORDER BY day",
            vars.clone(),
        )
        .await?;
    let per_tier: Vec<Count> = db
        .rows(
            "SELECT tier.title AS key, count() AS n FROM pledge \
             WHERE campaign = type::record('campaign', $c) AND state IN $counted GROUP BY key",
            vars.clone(),
        )
        .await?;
    let per_ref: Vec<Count> = db
        .rows(
            "SELECT ref AS key, count() AS n FROM pledge \
             WHERE campaign = type::record('campaign', $c) AND state IN $counted GROUP BY key",
            vars.clone(),
        )
        .await?;
    let visits: Vec<Count> = db
        .rows(
            "SELECT source AS key, count AS n FROM visit WHERE campaign = type::record('campaign', $c)",
            vars,
        )
        .await?;
    let pairs = |v: Vec<Count>, none: &str| -> Vec<(String, u64)> {
        v.into_iter()
            .map(|c| (c.key.unwrap_or_else(|| none.to_string()), c.n))
            .collect()
    };
    Ok((
        days.into_iter().map(|d| (d.day, d.total)).collect(),
        pairs(per_tier, "—"),
        pairs(per_ref, "direct"),
        pairs(visits, "direct"),
    ))
}

/// Live campaigns' slugs and last change, for the sitemap.
pub async fn sitemap_entries(db: &Db) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    #[derive(Deserialize)]
    struct Row {
        slug: String,
        updated_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = db
        .rows(
            "SELECT slug, updated_at FROM campaign WHERE state = 'live' ORDER BY updated_at DESC LIMIT 5000",
            vars!(),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.slug, r.updated_at)).collect())
}

/// The deadline job's one pass: launches scheduled campaigns whose start has come and closes
/// live ones whose end has come (succeeded when the goal is met, else failed). Safe to run on
/// several instances at once: each move is a compare-and-set on the state, so a campaign moves
/// once and its history records one transition. Returns how many campaigns this call moved.
pub async fn advance_due(db: &Db, now: DateTime<Utc>) -> AppResult<usize> {
    let mut moved = 0;
    for d in due(db, now).await? {
        let event = match d.state {
            CampaignState::Scheduled => CampaignEvent::Launch,
            CampaignState::Live => CampaignEvent::Deadline {
                goal_met: d.pledged >= d.goal,
            },
            _ => continue,
        };
        if apply(db, &d.id, d.state, event, Actor::System, None, None)
            .await?
            .is_some()
        {
            tracing::info!(campaign = %d.id, ?event, "deadline job moved campaign");
            moved += 1;
        }
    }
    Ok(moved)
}
