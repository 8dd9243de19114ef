//! Settlement: what happens to pledges once a campaign has ended. Runs as a background pass on
//! every instance; a lease per campaign keeps two instances off the same campaign, and every
//! charge carries the idempotency key `pledge-<id>-charge-<attempt>`, so a pass killed half-way
//! is finished by the next one without charging anybody twice or missing anybody.
//!
//! - succeeded, all-or-nothing: charge every saved card off-session; a decline is retried on the
//!   schedule in `COHORT_CHARGE_RETRIES` (the backer is mailed a card-update link), then dropped.
//! - succeeded, flexible or milestone: money was taken at checkout; nothing to charge.
//! - failed or cancelled: open pledges are cancelled and their backers told; nobody is charged.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;

use super::failures::{self, Failure};
use super::flow;
use super::mails::{self, Kind};
use super::rules::{PledgeEvent, PledgeState};
use super::store::{self, CampaignTerms, Move, PledgeRow};
use super::stripe::PayError;
use crate::backend::db::Db;
use crate::backend::AppState;
use crate::campaigns::rules::{Actor, CampaignEvent, CampaignState};
use crate::error::AppResult;
use crate::vars;

/// Pledges handled per campaign per pass (the next pass continues).
const BATCH: usize = 500;
/// Charges in flight at once per campaign.
const PARALLEL: usize = 8;
const LEASE_SECS: i64 = 120;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub charged: usize,
    pub declined: usize,
    pub dropped: usize,
    pub cancelled: usize,
    pub settled: usize,
    /// Milestone stages released or failed.
    pub stages: usize,
    /// Campaigns and stages whose settlement failed this pass (recorded, retried later).
    pub failed: usize,
}

/// One pass over every campaign with settlement work. `holder` names this instance. Each
/// campaign (and each milestone stage) is settled on its own: a failure is recorded on it,
/// retried with backoff, and never stops the others.
pub async fn pass(state: &AppState, holder: &str, now: DateTime<Utc>) -> AppResult<Report> {
    let mut report = Report::default();
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    let ids: Vec<Id> = state
        .db
        .rows(
            "SELECT record::id(id) AS id FROM campaign WHERE state IN ['succeeded', 'settling'] \
             OR (state IN ['failed', 'cancelled'] AND pledges_closed = false)",
            vars!(),
        )
        .await?;
    let length = Duration::seconds(LEASE_SECS);
    for Id { id } in ids {
        if failures::backing_off(&state.db, &id, None, now).await? {
            continue;
        }
        let lease = format!("settle:{id}");
        let work = campaign(state, &id, now, &mut report);
        match with_lease(&state.db, &lease, holder, length, work).await? {
            None => {}
            Some(Ok(())) => failures::clear(&state.db, &id, None).await?,
            Some(Err(why)) => {
                report.failed += 1;
                failures::record(&state.db, &id, None, &why, now).await?;
            }
        }
    }
    // Refunds that a crash or an outage left reserved are finished with their own keys.
    let resumed = with_lease(
        &state.db,
        "refund_claims",
        holder,
        length,
        super::claims::resume(state, Duration::minutes(2)),
    )
    .await?;
    if let Some(Err(e)) = resumed {
        tracing::warn!(error = ?e, "resuming refund claims failed");
    }
    let decided = with_lease(
        &state.db,
        "milestones",
        holder,
        length,
        super::milestones::ssr::decide_due(state, now),
    )
    .await?;
    if let Some(d) = decided {
        let d = d?;
        report.stages = d.decided;
        report.failed += d.failed;
    }
    Ok(report)
}

/// Runs `work` while holding lease `name`, renewed every third of `length` so a pass that
/// takes minutes keeps it. `None` when another instance holds the lease, or when it was lost
/// while working: the work then stops where it stands (every step is idempotent, and the new
/// holder finishes it).
pub async fn with_lease<T>(
    db: &Db,
    name: &str,
    holder: &str,
    length: Duration,
    work: impl std::future::Future<Output = T>,
) -> AppResult<Option<T>> {
    if !store::take_lease(db, name, holder, Utc::now() + length).await? {
        return Ok(None);
    }
    let renew = async {
        let every = (length / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(30));
        loop {
            tokio::time::sleep(every).await;
            match store::take_lease(db, name, holder, Utc::now() + length).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(lease = name, "lease lost while working; stopping");
                    return;
                }
                Err(e) => tracing::warn!(lease = name, error = ?e, "renewing a lease failed"),
            }
        }
    };
    let out = tokio::select! {
        out = work => Some(out),
        () = renew => None,
    };
    store::drop_lease(db, name, holder).await?;
    Ok(out)
}

/// Runs `work` with at most `limit` of them in flight at once (the next starts as soon as one
/// finishes); the answers come back in completion order. The futures are made before the
/// stream (not by a closure inside it), which keeps the pass's future `Send`.
pub async fn bounded<Fut, T>(work: Vec<Fut>, limit: usize) -> Vec<T>
where
    Fut: std::future::Future<Output = T>,
{
    futures::stream::iter(work)
        .buffer_unordered(limit.max(1))
        .collect()
        .await
}

async fn campaign(
    state: &AppState,
    id: &str,
    now: DateTime<Utc>,
    report: &mut Report,
) -> Result<(), Failure> {
    let Some(terms) = store::terms(&state.db, id).await? else {
        return Ok(());
    };
    match terms.state {
        CampaignState::Failed | CampaignState::Cancelled => {
            close_unfunded(state, &terms, report).await
        }
        CampaignState::Succeeded => {
            crate::campaigns::store::apply(
                &state.db,
                id,
                CampaignState::Succeeded,
                CampaignEvent::BeginSettlement,
                Actor::System,
                None,
                None,
            )
            .await?;
            charge_due(state, &terms, now, report).await
        }
        CampaignState::Settling => charge_due(state, &terms, now, report).await,
        _ => Ok(()),
    }
}

/// Cancels every open pledge of a campaign that will not be funded; a milestone campaign's
/// money (taken at checkout and held) goes back in full. A pledge that cannot be refunded or
/// cancelled now (Stripe refused or cannot be reached) is left for the next pass and named in
/// the failure; the others go on, and the loop ends when a round changes nothing.
async fn close_unfunded(
    state: &AppState,
    terms: &CampaignTerms,
    report: &mut Report,
) -> Result<(), Failure> {
    let mut problems: Vec<String> = Vec::new();
    let mut tried = std::collections::HashSet::new();
    refund_held(state, terms, report, &mut problems, &mut tried).await?;
    let mut stuck = std::collections::HashSet::new();
    loop {
        let open = store::of_campaign(
            &state.db,
            &terms.id,
            &[
                PledgeState::Authorized,
                PledgeState::Retrying,
                PledgeState::PendingCheckout,
            ],
            BATCH + stuck.len(),
        )
        .await?;
        let open: Vec<PledgeRow> = open
            .into_iter()
            .filter(|p| !stuck.contains(&p.id))
            .collect();
        if open.is_empty() {
            break;
        }
        for p in open {
            let was_authorized = p.state == PledgeState::Authorized;
            match flow::cancel(state, &p).await {
                Ok(()) => {
                    let now = store::get(&state.db, &p.id).await?;
                    let pending = p.state == PledgeState::PendingCheckout;
                    if !pending && now.is_some_and(|n| n.state == PledgeState::Cancelled) {
                        report.cancelled += 1;
                        if was_authorized {
                            mails::send(state, &p, terms, Kind::GoalMissed).await;
                        }
                    }
                }
                // Checkout took the money first: refunded below with the other paid pledges.
                Err(crate::error::AppError::Invalid(crate::error::Problem::Pledge(
                    super::model::PledgeProblem::AlreadyPaid,
                ))) => {}
                Err(e) => {
                    problems.push(format!("cancelling pledge {}: {e}", p.id));
                    stuck.insert(p.id.clone());
                }
            }
        }
    }
    // Checkout that took money while the campaign closed (the cancel applied it): back too.
    refund_held(state, terms, report, &mut problems, &mut tried).await?;
    if !problems.is_empty() {
        return Err(Failure(problems.join("; ")));
    }
    state
        .db
        .run(
            "UPDATE type::record('campaign', $c) SET pledges_closed = true",
            vars!("c" => &terms.id),
        )
        .await?;
    Ok(())
}

/// Refunds in full every paid pledge of a milestone campaign that will not be funded; a
/// refund that fails is named in `problems` and the others go on.
async fn refund_held(
    state: &AppState,
    terms: &CampaignTerms,
    report: &mut Report,
    problems: &mut Vec<String>,
    tried: &mut std::collections::HashSet<String>,
) -> Result<(), Failure> {
    if terms.mode != crate::campaigns::model::CampaignMode::Milestone {
        return Ok(());
    }
    for p in store::of_campaign(&state.db, &terms.id, &[PledgeState::Paid], 100_000).await? {
        if p.refunded + p.refund_reserved >= p.paid || !tried.insert(p.id.clone()) {
            continue;
        }
        match flow::refund(state, &p, None, flow::Refunder::Admin).await {
            Ok(_) => report.cancelled += 1,
            Err(e) => {
                let why = super::claims::last_failure(&state.db, &p.id)
                    .await?
                    .unwrap_or_else(|| e.to_string());
                problems.push(format!("refund of pledge {}: {why}", p.id));
            }
        }
    }
    Ok(())
}

async fn charge_due(
    state: &AppState,
    terms: &CampaignTerms,
    now: DateTime<Utc>,
    report: &mut Report,
) -> Result<(), Failure> {
    loop {
        let due = store::due_of_campaign(&state.db, &terms.id, now, BATCH).await?;
        if due.is_empty() {
            break;
        }
        let work: Vec<_> = due.iter().map(|p| charge(state, terms, p, now)).collect();
        let outcomes = bounded(work, PARALLEL).await;
        let mut progressed = false;
        let mut error = None;
        for o in outcomes {
            match o {
                Ok(Outcome::Charged) => report.charged += 1,
                Ok(Outcome::Declined) => report.declined += 1,
                Ok(Outcome::Dropped) => report.dropped += 1,
                Ok(Outcome::Unchanged) => continue,
                Err(e) => {
                    error.get_or_insert(e);
                    continue;
                }
            }
            progressed = true;
        }
        if let Some(e) = error {
            return Err(e.into());
        }
        if !progressed {
            // Stripe is unavailable or another writer holds these pledges: try next pass.
            return Ok(());
        }
    }
    let still_open: Vec<serde_json::Value> = state
        .db
        .rows(
            "SELECT id FROM pledge WHERE campaign = type::record('campaign', $c) \
             AND state IN ['authorized', 'charging', 'retrying'] LIMIT 1",
            vars!("c" => &terms.id),
        )
        .await?;
    if still_open.is_empty()
        && crate::campaigns::store::apply(
            &state.db,
            &terms.id,
            CampaignState::Settling,
            CampaignEvent::FinishSettlement,
            Actor::System,
            None,
            None,
        )
        .await?
        .is_some()
    {
        report.settled += 1;
        tracing::info!(campaign = %terms.id, "campaign settled");
    }
    Ok(())
}

enum Outcome {
    Charged,
    Declined,
    Dropped,
    Unchanged,
}

/// One charge attempt. A pledge found in `charging` was left there by a pass that stopped
/// mid-way: the same attempt is made again with the same idempotency key, and Stripe answers
/// with the first attempt's result instead of charging again.
async fn charge(
    state: &AppState,
    terms: &CampaignTerms,
    p: &PledgeRow,
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let p = if p.state == PledgeState::Charging {
        p.clone()
    } else {
        match store::start_charge(&state.db, &p.id, p.state).await? {
            Some(p) => p,
            None => return Ok(Outcome::Unchanged),
        }
    };
    let (Some(customer), Some(card)) = (&p.customer, &p.payment_method) else {
        tracing::warn!(pledge = %p.id, "pledge without a saved card");
        return decline(state, terms, &p, now, "no saved card".into(), None).await;
    };
    let result = state
        .payments
        .charge_saved_card(
            &format!("pledge-{}-charge-{}", p.id, p.attempts),
            customer,
            card,
            p.amount,
            p.currency,
            HashMap::from([
                ("pledge".to_string(), p.id.clone()),
                ("attempt".to_string(), p.attempts.to_string()),
            ]),
        )
        .await;
    match result {
        Ok(facts) if facts.succeeded => {
            flow::record_paid(state, &p, &facts).await?;
            Ok(Outcome::Charged)
        }
        Ok(facts) => {
            let why = facts
                .failure
                .map(|(_, m)| m)
                .unwrap_or_else(|| "the charge did not complete".into());
            decline(state, terms, &p, now, why, Some(facts.id)).await
        }
        Err(PayError::Declined {
            message,
            payment_intent,
            ..
        }) => decline(state, terms, &p, now, message, payment_intent).await,
        Err(e) => {
            tracing::warn!(pledge = %p.id, error = %e, "charge attempt failed; retried next pass");
            Ok(Outcome::Unchanged)
        }
    }
}

async fn decline(
    state: &AppState,
    terms: &CampaignTerms,
    p: &PledgeRow,
    now: DateTime<Utc>,
    why: String,
    intent: Option<String>,
) -> AppResult<Outcome> {
    let schedule = &state.settings.stripe.retry_schedule;
    // Attempt n (1-based) is followed by wait n; after the last wait's attempt, drop.
    let last = p.attempts as usize > schedule.len();
    let mut m = Move::new(PledgeEvent::ChargeDeclined { last })
        .patch(serde_json::json!({ "failure": why, "payment_intent": intent }));
    if !last {
        let wait = schedule[(p.attempts as usize).saturating_sub(1)];
        m.next_attempt_at = Some(now + Duration::from_std(wait).unwrap_or(Duration::days(1)));
    }
    let Some(after) = store::apply(&state.db, &p.id, PledgeState::Charging, m).await? else {
        return Ok(Outcome::Unchanged);
    };
    if last {
        mails::send(state, &after, terms, Kind::Dropped).await;
        Ok(Outcome::Dropped)
    } else {
        mails::send(state, &after, terms, Kind::ChargeFailed).await;
        Ok(Outcome::Declined)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn bounded_never_has_more_than_its_limit_in_flight() {
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let work: Vec<_> = (0..500u64)
            .map(|i| {
                let (in_flight, most) = (&in_flight, &most);
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(1 + i % 3)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    i
                }
            })
            .collect();
        let done = bounded(work, PARALLEL).await;
        assert_eq!(done.len(), 500, "every item ran");
        assert_eq!(
            most.load(Ordering::SeqCst),
            PARALLEL,
            "and never more than 8 at once"
        );
    }
}
