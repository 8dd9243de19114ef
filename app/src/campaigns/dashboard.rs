//! The creator dashboard's numbers (server only): the pledge curve, the forecast from it, tiers,
//! referral sources and conversion.

use chrono::Utc;

use super::forecast::{forecast, Point};
use super::model::{CampaignCard, DashboardData, ReferralStat};
use super::store::{self, CampaignRow};
use super::talk_store;
use crate::backend::db::Db;
use crate::error::AppResult;

/// Turns per-day sums into a cumulative series, one value per day from `start` to `days`.
pub fn cumulative(
    start: chrono::DateTime<Utc>,
    days: u32,
    per_day: &[(chrono::DateTime<Utc>, i64)],
) -> Vec<i64> {
    let mut out = vec![0i64; days.max(1) as usize];
    for (day, total) in per_day {
        let index = (*day - start).num_days().clamp(0, out.len() as i64 - 1) as usize;
        out[index] += total;
    }
    let mut running = 0;
    for v in &mut out {
        running += *v;
        *v = running;
    }
    out
}

pub async fn load(db: &Db, row: CampaignRow) -> AppResult<DashboardData> {
    let (per_day, tier_backers, pledges_by_ref, visits_by_ref) =
        store::pledge_stats(db, &row.id).await?;
    let start = row.launched_at.unwrap_or(row.starts_at).min(row.starts_at);
    let duration_days = (row.ends_at - start).num_days().max(1) as u32;
    let elapsed = ((Utc::now() - start).num_days() + 1).clamp(0, duration_days as i64) as usize;
    let series = cumulative(start, duration_days, &per_day);
    let daily_totals: Vec<i64> = series.iter().take(elapsed.max(1)).copied().collect();
    let points: Vec<Point> = daily_totals
        .iter()
        .enumerate()
        .map(|(i, total)| Point {
            day: i as f64 + 1.0,
            total: *total as f64,
        })
        .collect();
    let forecast = forecast(&points, duration_days as f64, row.goal as f64);
    let mut referrals: Vec<ReferralStat> = visits_by_ref
        .iter()
        .map(|(source, visits)| ReferralStat {
            source: source.clone(),
            visits: *visits,
            pledges: pledges_by_ref
                .iter()
                .find(|(s, _)| s == source)
                .map(|(_, n)| *n)
                .unwrap_or(0),
        })
        .collect();
    for (source, n) in &pledges_by_ref {
        if !referrals.iter().any(|r| &r.source == source) {
            referrals.push(ReferralStat {
                source: source.clone(),
                visits: 0,
                pledges: *n,
            });
        }
    }
    referrals.sort_by(|a, b| b.visits.cmp(&a.visits).then(b.pledges.cmp(&a.pledges)));
    let visits = visits_by_ref.iter().map(|(_, n)| n).sum();
    let comments = talk_store::comment_count(db, &row.id).await?;
    let tiers = store::tiers(db, &row.id).await?;
    let creator = crate::accounts::store::get_user(db, &row.creator).await?;
    let card = CampaignCard {
        cover_url: row.cover_url(),
        goal: row.goal_money(),
        pledged: row.pledged_money(),
        id: row.id,
        slug: row.slug,
        title: row.title,
        pitch: row.pitch,
        category: row.category,
        state: row.state,
        backers: row.backers,
        ends_at: row.ends_at,
        creator_name: creator
            .as_ref()
            .map(|c| c.display_name.to_string())
            .unwrap_or_default(),
        creator_handle: creator.map(|c| c.handle.to_string()).unwrap_or_default(),
    };
    Ok(DashboardData {
        card,
        starts_at: start,
        daily_totals,
        duration_days,
        tiers,
        tier_backers,
        referrals,
        visits,
        comments,
        forecast,
    })
}

#[cfg(test)]
mod tests {
    use super::cumulative;
    use chrono::{TimeZone, Utc};

    #[test]
    fn daily_sums_accumulate_across_the_campaign() {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let day = |d| Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap();
        let series = cumulative(start, 5, &[(day(1), 100), (day(3), 50), (day(20), 7)]);
        assert_eq!(series, vec![100, 100, 150, 150, 157]);
    }
}
