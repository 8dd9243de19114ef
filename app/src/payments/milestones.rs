//! Milestone release: a milestone campaign's money is held (the `escrow:` ledger account) and
//! released stage by stage. The creator marks the next stage delivered; backers have a window
//! (`COHORT_MILESTONE_WINDOW`, 7 days by default) to object; when it closes, the stage's share
//! is released unless backers holding half the paid money objected. A failed stage refunds
//! everything still held to the backers, pro rata, and ends the campaign's later stages.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    /// Not delivered yet.
    Pending,
    /// Delivered; backers may object until the window closes.
    Voting,
    Released,
    /// Refunding what was held (a plan is stored, each refund idempotent).
    Failing,
    Failed,
}

/// Whether a stage passes: objectors hold less than half of the money paid.
pub fn passes(objecting: i64, total: i64) -> bool {
    total <= 0 || objecting.saturating_mul(2) < total
}

/// What stage `share_pct` releases: its share of everything the escrow held before any
/// release (`base`), never more than what remains; the last stage takes what remains, so
/// rounding never leaves money behind.
pub fn release_amount(base: i64, remaining: i64, share_pct: u32, last: bool) -> i64 {
    if last {
        return remaining.max(0);
    }
    ((base as i128 * share_pct as i128) / 100).clamp(0, remaining.max(0) as i128) as i64
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageView {
    pub index: usize,
    pub share_pct: u32,
    pub description: String,
    pub due: chrono::NaiveDate,
    pub state: StageState,
    pub note: Option<String>,
    pub window_ends_at: Option<DateTime<Utc>>,
    /// Share of the paid money whose backers objected, in percent.
    pub objecting_pct: u32,
    pub released: i64,
    pub viewer_objected: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestonePanel {
    pub currency: crate::money::Currency,
    pub stages: Vec<StageView>,
    pub held: i64,
    /// The creator may mark this stage delivered now.
    pub can_deliver: Option<usize>,
    /// The viewer backed with money and a vote is open.
    pub can_object: bool,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::{Duration, Utc};
    use serde::Deserialize;

    use super::{passes, release_amount, StageState, StageView};
    use crate::backend::AppState;
    use crate::campaigns::model::{CampaignMode, Milestone};
    use crate::error::{AppError, AppResult};
    use crate::money::Money;
    use crate::payments::ledger::{release_legs, Leg};
    use crate::payments::store;
    use crate::vars;

    #[derive(Debug, Clone, Deserialize)]
    pub struct StageRow {
        pub index: usize,
        pub state: StageState,
        pub note: Option<String>,
        pub window_ends_at: Option<chrono::DateTime<Utc>>,
        #[serde(default)]
        pub released: i64,
        #[serde(default)]
        pub plan: Vec<(String, i64)>,
    }

    pub async fn milestones_of(state: &AppState, campaign: &str) -> AppResult<Vec<Milestone>> {
        let m: Option<Vec<Milestone>> = state
            .db
            .row(
                "SELECT VALUE milestones FROM type::record('campaign', $c)",
                vars!("c" => campaign),
            )
            .await?;
        Ok(m.unwrap_or_default())
    }

    pub async fn stages(state: &AppState, campaign: &str) -> AppResult<Vec<StageRow>> {
        Ok(state
            .db
            .rows(
                "SELECT index, state, note, window_ends_at, released, plan FROM stage \
                 WHERE campaign = type::record('campaign', $c) ORDER BY index",
                vars!("c" => campaign),
            )
            .await?)
    }

    /// Escrow balance now, and everything released so far.
    pub async fn escrow(state: &AppState, campaign: &str) -> AppResult<(i64, i64)> {
        let legs: Vec<Vec<Leg>> = state
            .db
            .rows(
                "SELECT VALUE legs FROM ledger_tx WHERE campaign = type::record('campaign', $c)",
                vars!("c" => campaign),
            )
            .await?;
        let key = format!("escrow:{campaign}");
        let held = legs
            .iter()
            .flatten()
            .filter(|l| l.account == key)
            .map(|l| l.amount)
            .sum();
        let released: i64 = state
            .db
            .row::<i64>(
                "SELECT VALUE math::sum(released) FROM stage WHERE campaign = type::record('campaign', $c) GROUP ALL",
                vars!("c" => campaign),
            )
            .await
            .ok()
            .flatten()
            .unwrap_or(0);
        Ok((held, released))
    }

    /// Paid money per backer (net of refunds), and what objectors of `index` hold.
    async fn weights(state: &AppState, campaign: &str, index: usize) -> AppResult<(i64, i64)> {
        #[derive(Deserialize)]
        struct W {
            net: i64,
            objected: bool,
        }
        let rows: Vec<W> = state
            .db
            .rows(
                "SELECT paid - refunded AS net, \
                 record::exists(type::record('objection', [$c, $i, record::id(backer)])) AS objected \
                 FROM pledge WHERE campaign = type::record('campaign', $c) AND state = 'paid'",
                vars!("c" => campaign, "i" => index),
            )
            .await?;
        let total = rows.iter().map(|r| r.net).sum();
        let objecting = rows.iter().filter(|r| r.objected).map(|r| r.net).sum();
        Ok((objecting, total))
    }

    pub async fn views(
        state: &AppState,
        campaign: &str,
        viewer: Option<&str>,
    ) -> AppResult<Vec<StageView>> {
        let milestones = milestones_of(state, campaign).await?;
        let rows = stages(state, campaign).await?;
        let mut out = Vec::new();
        for (i, m) in milestones.into_iter().enumerate() {
            let row = rows.iter().find(|r| r.index == i);
            let (objecting, total) = weights(state, campaign, i).await?;
            let viewer_objected = match viewer {
                Some(u) => state
                    .db
                    .row::<bool>(
                        "RETURN record::exists(type::record('objection', [$c, $i, $u]))",
                        vars!("c" => campaign, "i" => i, "u" => u),
                    )
                    .await?
                    .unwrap_or(false),
                None => false,
            };
            out.push(StageView {
                index: i,
                share_pct: m.share_pct,
                description: m.description,
                due: m.due,
                state: row.map(|r| r.state).unwrap_or(StageState::Pending),
                note: row.and_then(|r| r.note.clone()),
                window_ends_at: row.and_then(|r| r.window_ends_at),
                objecting_pct: if total > 0 {
                    (objecting * 100 / total) as u32
                } else {
                    0
                },
                released: row.map(|r| r.released).unwrap_or(0),
                viewer_objected,
            });
        }
        Ok(out)
    }

    /// The creator marks the next stage delivered; the objection window opens.
    pub async fn deliver(
        state: &AppState,
        campaign: &str,
        index: usize,
        note: &str,
    ) -> AppResult<()> {
        let window =
            Duration::from_std(state.settings.stripe.milestone_window).unwrap_or(Duration::days(7));
        state
            .db
            .run(
                "CREATE type::record('stage', [$c, $i]) SET campaign = type::record('campaign', $c),
                    index = $i, state = 'voting', note = $note, delivered_at = time::now(),
                    window_ends_at = <datetime>$until",
                vars!("c" => campaign, "i" => index, "note" => note, "until" => Utc::now() + window),
            )
            .await
            .map_err(|_| AppError::Conflict)?;
        Ok(())
    }

    /// What a pass over the stages did.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub struct Decided {
        pub decided: usize,
        /// Stages whose decision failed (recorded on the stage, retried with backoff).
        pub failed: usize,
    }

    /// Decides every stage whose window has closed. Safe to repeat: a release is one
    /// transaction keyed by stage; a failure stores its refund plan first, then works through
    /// it with one refund claim per backer. Each stage is decided on its own: one that fails
    /// is recorded (with the reason, for admins) and retried later, and the others go on.
    pub async fn decide_due(state: &AppState, now: chrono::DateTime<Utc>) -> AppResult<Decided> {
        use crate::payments::failures;
        #[derive(Deserialize)]
        struct Due {
            campaign: String,
            index: usize,
        }
        let due: Vec<Due> = state
            .db
            .rows(
                "SELECT record::id(campaign) AS campaign, index FROM stage \
                 WHERE (state = 'voting' AND window_ends_at <= <datetime>$now) OR state = 'failing'",
                vars!("now" => now),
            )
            .await?;
        let mut out = Decided::default();
        for d in due {
            let stage = Some(d.index);
            if failures::backing_off(&state.db, &d.campaign, stage, now).await? {
                continue;
            }
            match decide(state, &d.campaign, d.index).await {
                Ok(()) => {
                    failures::clear(&state.db, &d.campaign, stage).await?;
                    out.decided += 1;
                }
                Err(why) => {
                    failures::record(&state.db, &d.campaign, stage, &why, now).await?;
                    out.failed += 1;
                }
            }
        }
        Ok(out)
    }

    async fn decide(
        state: &AppState,
        campaign: &str,
        index: usize,
    ) -> Result<(), crate::payments::failures::Failure> {
        let Some(terms) = store::terms(&state.db, campaign).await? else {
            return Ok(());
        };
        if terms.mode != CampaignMode::Milestone {
            return Ok(());
        }
        let rows = stages(state, campaign).await?;
        let Some(row) = rows.iter().find(|r| r.index == index).cloned() else {
            return Ok(());
        };
        let milestones = milestones_of(state, campaign).await?;
        let (held, released) = escrow(state, campaign).await?;
        if row.state == StageState::Voting {
            let (objecting, total) = weights(state, campaign, index).await?;
            if passes(objecting, total) {
                let share = milestones.get(index).map(|m| m.share_pct).unwrap_or(0);
                let last = index + 1 >= milestones.len();
                let amount = release_amount(held + released, held, share, last);
                let legs = release_legs(campaign, amount);
                state
                    .db
                    .run(
                        "BEGIN TRANSACTION;
                         UPDATE type::record('stage', [$c, $i]) SET state = 'released', released = $amt
                            WHERE state = 'voting';
                         IF $amt > 0 {
                            CREATE ledger_tx SET kind = 'release', campaign = type::record('campaign', $c),
                                currency = $cur, source = $src, memo = $memo, legs = $legs;
                         };
                         COMMIT TRANSACTION;",
                        vars!(
                            "c" => campaign, "i" => index, "amt" => amount, "cur" => terms.currency,
                            "src" => format!("release:{campaign}:{index}"),
                            "memo" => format!("milestone {} released", index + 1), "legs" => legs,
                        ),
                    )
                    .await
                    .or_else(|e| {
                        if e.is_unique_violation("ledger_source") {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })?;
                tracing::info!(campaign, index, amount, "milestone released");
                return Ok(());
            }
            // Objected: plan the refund of everything still held, once.
            #[derive(Deserialize)]
            struct P {
                id: String,
                net: i64,
            }
            let paid: Vec<P> = state
                .db
                .rows(
                    "SELECT record::id(id) AS id, paid - refunded AS net FROM pledge \
                     WHERE campaign = type::record('campaign', $c) AND state = 'paid' ORDER BY id",
                    vars!("c" => campaign),
                )
                .await?;
            let weights: Vec<i64> = paid.iter().map(|p| p.net).collect();
            let shares = Money::new(held.max(0), terms.currency).split_pro_rata(&weights);
            let plan: Vec<(String, i64)> = paid
                .iter()
                .zip(shares)
                .map(|(p, m)| (p.id.clone(), m.minor.min(p.net)))
                .filter(|(_, a)| *a > 0)
                .collect();
            state
                .db
                .run(
                    "UPDATE type::record('stage', [$c, $i]) SET state = 'failing', plan = $plan WHERE state = 'voting';
                     FOR $s IN (SELECT VALUE id FROM stage WHERE campaign = type::record('campaign', $c) AND index > $i) {
                        UPDATE $s SET state = 'failed';
                     };",
                    vars!("c" => campaign, "i" => index, "plan" => plan),
                )
                .await?;
            tracing::info!(
                campaign,
                index,
                "milestone objected; refunding what is held"
            );
        }
        let row = stages(state, campaign)
            .await?
            .into_iter()
            .find(|r| r.index == index)
            .ok_or(AppError::NotFound)?;
        if row.state != StageState::Failing {
            return Ok(());
        }
        let mut problems = Vec::new();
        for (pledge, amount) in &row.plan {
            if let Err(e) = refund_share(state, campaign, index, pledge, *amount).await {
                let why = crate::payments::claims::last_failure(&state.db, pledge)
                    .await?
                    .unwrap_or_else(|| e.to_string());
                problems.push(format!("refund of pledge {pledge}: {why}"));
            }
        }
        if !problems.is_empty() {
            return Err(crate::payments::failures::Failure(problems.join("; ")));
        }
        state
            .db
            .run(
                "UPDATE type::record('stage', [$c, $i]) SET state = 'failed' WHERE state = 'failing'",
                vars!("c" => campaign, "i" => index),
            )
            .await?;
        Ok(())
    }

    /// One backer's share of a failed stage's held money, back to their card.
    async fn refund_share(
        state: &AppState,
        campaign: &str,
        index: usize,
        pledge: &str,
        amount: i64,
    ) -> AppResult<()> {
        let source_key = format!("escrow-refund-{campaign}-{index}-{pledge}");
        let done: Option<String> = state
            .db
            .row(
                "SELECT VALUE source FROM ledger_tx WHERE memo = $m LIMIT 1",
                vars!("m" => &source_key),
            )
            .await?;
        if done.is_some() {
            return Ok(());
        }
        let Some(p) = store::get(&state.db, pledge).await? else {
            return Ok(());
        };
        if p.payment_intent.is_none() {
            return Ok(());
        }
        // One claim per stage and backer: asked again, it answers as it stands. Capped by
        // what the pledge still has unrefunded (a creator's refund may have come first).
        let claim_id = format!("escrow-{campaign}-{index}-{pledge}");
        let amount = match crate::payments::claims::get(&state.db, &claim_id).await? {
            Some(c) if c.state != "failed" => c.amount,
            _ => amount.min(p.paid - p.refunded - p.refund_reserved),
        };
        if amount <= 0 {
            return Ok(());
        }
        let claim = crate::payments::claims::reserve(
            &state.db,
            &claim_id,
            &p.id,
            amount,
            crate::payments::claims::Purpose::Escrow,
            &source_key,
        )
        .await?;
        crate::payments::claims::finish(state, &claim).await?;
        Ok(())
    }
}

/// The milestone stages of a campaign, with what the viewer may do.
#[server(endpoint = "milestone_panel")]
pub async fn load_milestones(campaign_id: String) -> Result<MilestonePanel, AppError> {
    use crate::backend::request::{respond, state, viewer};
    respond(
        async {
            let state = state()?;
            let terms = crate::payments::store::terms(&state.db, &campaign_id)
                .await?
                .filter(|t| t.state.is_public())
                .ok_or(AppError::NotFound)?;
            let viewer = viewer().await?;
            let stages =
                ssr::views(&state, &terms.id, viewer.as_ref().map(|v| v.id.as_str())).await?;
            let (held, _) = ssr::escrow(&state, &terms.id).await?;
            let funded = matches!(
                terms.state,
                crate::campaigns::rules::CampaignState::Settling
                    | crate::campaigns::rules::CampaignState::Settled
            ) && terms.mode == crate::campaigns::model::CampaignMode::Milestone;
            let next = stages.iter().position(|s| s.state != StageState::Released);
            let can_deliver = match (&viewer, next) {
                (Some(v), Some(i))
                    if funded
                        && v.id == terms.creator
                        && stages[i].state == StageState::Pending =>
                {
                    Some(i)
                }
                _ => None,
            };
            let voting = stages.iter().any(|s| s.state == StageState::Voting);
            let can_object = match &viewer {
                Some(v) if voting => crate::payments::store::open_of(&state.db, &v.id, &terms.id)
                    .await?
                    .is_some_and(|p| p.state == crate::payments::rules::PledgeState::Paid),
                _ => false,
            };
            Ok(MilestonePanel {
                currency: terms.currency,
                stages,
                held,
                can_deliver,
                can_object,
            })
        }
        .await,
    )
}

#[server(endpoint = "deliver_milestone")]
pub async fn deliver_milestone(
    csrf: String,
    campaign_id: String,
    note: String,
) -> Result<(), AppError> {
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let terms = crate::payments::store::terms(&state.db, &campaign_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if terms.creator != viewer.id {
                return Err(AppError::NotFound);
            }
            let note = note.trim();
            if note.is_empty() || note.chars().count() > 2000 {
                return Err(crate::payments::store::problem(
                    crate::payments::model::PledgeProblem::NoteMissing,
                ));
            }
            let stages = ssr::views(&state, &terms.id, None).await?;
            let funded = matches!(
                terms.state,
                crate::campaigns::rules::CampaignState::Settling
                    | crate::campaigns::rules::CampaignState::Settled
            ) && terms.mode == crate::campaigns::model::CampaignMode::Milestone;
            let next = stages.iter().position(|s| s.state != StageState::Released);
            match next {
                Some(i) if funded && stages[i].state == StageState::Pending => {
                    ssr::deliver(&state, &terms.id, i, note).await
                }
                _ => Err(crate::payments::store::problem(
                    crate::payments::model::PledgeProblem::NotNow,
                )),
            }
        }
        .await,
    )
}

/// A backer who paid objects to the stage being voted on (once).
#[server(endpoint = "object_milestone")]
pub async fn object_milestone(csrf: String, campaign_id: String) -> Result<(), AppError> {
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let paid = crate::payments::store::open_of(&state.db, &viewer.id, &campaign_id)
                .await?
                .is_some_and(|p| p.state == crate::payments::rules::PledgeState::Paid);
            if !paid {
                return Err(AppError::Forbidden);
            }
            let stages = ssr::views(&state, &campaign_id, None).await?;
            let Some(i) = stages.iter().position(|s| s.state == StageState::Voting) else {
                return Err(crate::payments::store::problem(
                    crate::payments::model::PledgeProblem::NotNow,
                ));
            };
            state
                .db
                .run(
                    "CREATE type::record('objection', [$c, $i, $u]) SET at = time::now()",
                    crate::vars!("c" => &campaign_id, "i" => i, "u" => &viewer.id),
                )
                .await
                .map_err(|_| AppError::Conflict)?;
            Ok(())
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_money_objecting_stops_a_release() {
        assert!(passes(0, 100));
        assert!(passes(49, 100));
        assert!(!passes(50, 100));
        assert!(passes(0, 0), "no paid backers, nobody to object");
    }

    #[test]
    fn stages_release_their_share_and_the_last_takes_the_rest() {
        // 30 % + 30 % + 40 % of 1001.
        let base = 1001;
        let a = release_amount(base, 1001, 30, false);
        let b = release_amount(base, 1001 - a, 30, false);
        let c = release_amount(base, 1001 - a - b, 40, true);
        assert_eq!((a, b, c), (300, 300, 401));
        assert_eq!(a + b + c, base);
        assert_eq!(
            release_amount(base, 10, 30, false),
            10,
            "never more than remains"
        );
    }
}
