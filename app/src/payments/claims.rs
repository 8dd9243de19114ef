//! Refunds reserved before Stripe is asked. A refund first becomes a claim in the database: one
//! transaction checks that the pledge is paid and that what is refunded, what other claims
//! hold and this amount together stay within what was paid, then holds the amount on the
//! pledge (`refund_reserved`). Only then is Stripe called, with an idempotency key derived
//! from the claim, and the result is recorded from Stripe's refund object. Two refunds racing
//! each other can therefore never refund more than the ledger records: the second one either
//! fits beside the first or is refused before Stripe hears of it. A recording that loses a
//! race with another writer is re-read and tried again, never dropped; a claim left reserved
//! by a crash is finished by the settlement job (`resume`) with the same key.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::ledger::{milestone_refund_legs_after, refund_legs_after, Leg, TxKind};
use super::model::PledgeProblem;
use super::rules::{PledgeEvent, PledgeState};
use super::store::{self, problem, LedgerEntry, Move, PledgeRow};
use super::stripe::{PayError, RefundFacts};
use crate::backend::db::Db;
use crate::backend::AppState;
use crate::campaigns::model::CampaignMode;
use crate::error::{AppError, AppResult};
use crate::vars;

/// Which ledger rules a claim's refund follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A refund by a backer, the creator or an admin: the platform returns its fee in
    /// proportion, the creator's share (or the escrow) carries the rest.
    Refund,
    /// A failed milestone stage's share of what the escrow holds, back to the backer.
    Escrow,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Claim {
    pub id: String,
    pub pledge: String,
    pub amount: i64,
    pub purpose: Purpose,
    /// `reserved`, `done` or `failed`.
    pub state: String,
    pub attempt: u32,
    pub reason: Option<String>,
    pub memo: String,
}

const CLAIM_FIELDS: &str = "record::id(id) AS id, record::id(pledge) AS pledge, amount, \
    purpose, state, attempt, reason, memo";

pub fn new_id() -> String {
    format!("r{}", super::flow::new_pledge_id())
}

pub async fn get(db: &Db, id: &str) -> AppResult<Option<Claim>> {
    Ok(db
        .row(
            &format!("SELECT {CLAIM_FIELDS} FROM type::record('refund_claim', $id)"),
            vars!("id" => id),
        )
        .await?)
}

/// Why the pledge's newest failed claim failed (for the admins' page).
pub async fn last_failure(db: &Db, pledge: &str) -> AppResult<Option<String>> {
    Ok(db
        .row(
            "SELECT VALUE reason FROM refund_claim WHERE pledge = type::record('pledge', $p) \
             AND state = 'failed' ORDER BY at DESC LIMIT 1",
            vars!("p" => pledge),
        )
        .await?
        .flatten())
}

/// Reserves `amount` of pledge `pledge` under claim `id`. An existing claim `id` is answered
/// as it is (a failed one is opened again, with a new attempt number), so a caller that
/// derives `id` from what the refund is for can call this again safely.
pub async fn reserve(
    db: &Db,
    id: &str,
    pledge: &str,
    amount: i64,
    purpose: Purpose,
    memo: &str,
) -> AppResult<Claim> {
    if amount <= 0 {
        return Err(problem(PledgeProblem::RefundTooLarge));
    }
    let existing = get(db, id).await?;
    if let Some(c) = &existing {
        if c.state != "failed" {
            return Ok(c.clone());
        }
    }
    let hold = "LET $p = type::record('pledge', $pl);
        IF (SELECT VALUE state FROM ONLY $p) != 'paid' { THROW 'refund:not_paid'; };
        LET $held = (UPDATE $p SET refund_reserved = (refund_reserved ?? 0) + $amt
            WHERE state = 'paid' AND refunded + (refund_reserved ?? 0) + $amt <= paid
            RETURN VALUE id);
        IF array::len($held) = 0 { THROW 'refund:too_large'; };";
    let sql = if existing.is_some() {
        format!(
            "BEGIN TRANSACTION; {hold}
             LET $re = (UPDATE type::record('refund_claim', $id) SET state = 'reserved',
                attempt += 1, reason = NONE, amount = $amt, at = time::now()
                WHERE state = 'failed' RETURN VALUE id);
             IF array::len($re) = 0 {{ THROW 'refund:moved'; }};
             COMMIT TRANSACTION;
         RETURN [true];"
        )
    } else {
        format!(
            "BEGIN TRANSACTION; {hold}
             CREATE type::record('refund_claim', $id) SET pledge = $p, amount = $amt,
                purpose = $purpose, state = 'reserved', memo = $memo;
             COMMIT TRANSACTION;
         RETURN [true];"
        )
    };
    let res: Result<Vec<serde_json::Value>, _> = db
        .rows_retrying(
            &sql,
            vars!("id" => id, "pl" => pledge, "amt" => amount, "purpose" => purpose, "memo" => memo),
        )
        .await;
    match res {
        Ok(_) => {}
        Err(e) => {
            let msg = e.to_string();
            if msg.contains("refund:too_large") {
                return Err(problem(PledgeProblem::RefundTooLarge));
            } else if msg.contains("refund:not_paid") {
                return Err(problem(PledgeProblem::NotNow));
            } else if !(msg.contains("refund:moved") || msg.contains("already exists")) {
                return Err(e.into());
            }
            // Another caller created or reopened the same claim first: answer theirs.
        }
    }
    get(db, id).await?.ok_or(AppError::Conflict)
}

/// Asks Stripe for the refund a claim reserves and records what Stripe answers. A refusal
/// releases the reservation (the claim is `failed`, with Stripe's reason); Stripe being
/// unreachable leaves it reserved, to be finished later with the same key.
pub async fn finish(state: &AppState, claim: &Claim) -> AppResult<PledgeRow> {
    let db = &state.db;
    let p = store::get(db, &claim.pledge)
        .await?
        .ok_or(AppError::NotFound)?;
    match claim.state.as_str() {
        "done" => return Ok(p),
        "failed" => return Err(problem(PledgeProblem::RefundRefused)),
        _ => {}
    }
    let Some(intent) = p.payment_intent.clone() else {
        release(db, claim, "the pledge has no payment to refund").await?;
        return Err(problem(PledgeProblem::NotNow));
    };
    let answer = state
        .payments
        .refund(
            &format!("refund-claim-{}-{}", claim.id, claim.attempt),
            &intent,
            claim.amount,
            HashMap::from([
                ("pledge".to_string(), p.id.clone()),
                ("claim".to_string(), claim.id.clone()),
            ]),
        )
        .await;
    let r = match answer {
        Ok(r) => r,
        Err(PayError::Unavailable(m)) => {
            tracing::warn!(claim = %claim.id, error = %m, "refund: Stripe unavailable; claim kept");
            return Err(problem(PledgeProblem::PaymentsUnavailable));
        }
        Err(e) => {
            tracing::warn!(claim = %claim.id, error = %e, "refund refused by Stripe");
            release(db, claim, &e.to_string()).await?;
            return Err(problem(PledgeProblem::RefundRefused));
        }
    };
    record(state, claim, &r).await
}

/// Records Stripe's refund `r` for `claim`: the pledge's `refunded` (and its state when all
/// is back), the campaign's totals and the ledger in one transaction, then the claim closed.
async fn record(state: &AppState, claim: &Claim, r: &RefundFacts) -> AppResult<PledgeRow> {
    let db = &state.db;
    let source = format!("refund:{}", r.id);
    for _ in 0..20 {
        let p = store::get(db, &claim.pledge)
            .await?
            .ok_or(AppError::NotFound)?;
        if ledger_has(db, &source).await? {
            close(db, claim, r).await?;
            return store::get(db, &claim.pledge)
                .await?
                .ok_or(AppError::NotFound);
        }
        if p.state != PledgeState::Paid {
            // Disputed while the refund ran: the claim stays reserved and is recorded once
            // the dispute is decided (or flagged by reconciliation).
            tracing::warn!(pledge = %p.id, claim = %claim.id, "refund made but the pledge is no longer paid");
            return Err(AppError::Conflict);
        }
        let entry = LedgerEntry {
            kind: TxKind::Refund,
            source: source.clone(),
            memo: claim.memo.clone(),
            legs: legs(state, claim.purpose, &p, r.amount).await?,
        };
        let moved = if p.refunded + r.amount >= p.paid {
            let mut m = Move::new(PledgeEvent::RefundedInFull)
                .patch(serde_json::json!({ "refunded": p.paid }))
                .ledger(entry);
            m.refunded_was = Some(p.refunded);
            store::apply(db, &p.id, p.state, m).await?.is_some()
        } else {
            store::partial_refund(db, &p.id, p.refunded, r.amount, entry).await?
        };
        if moved {
            close(db, claim, r).await?;
            return store::get(db, &claim.pledge)
                .await?
                .ok_or(AppError::NotFound);
        }
        // Another refund was recorded between our read and our write: read again.
        tokio::time::sleep(std::time::Duration::from_millis(
            5 + rand::random::<u64>() % 20,
        ))
        .await;
    }
    Err(AppError::Conflict)
}

async fn legs(
    state: &AppState,
    purpose: Purpose,
    p: &PledgeRow,
    amount: i64,
) -> AppResult<Vec<Leg>> {
    Ok(match purpose {
        Purpose::Escrow => vec![
            Leg {
                account: "backers".into(),
                amount,
            },
            Leg {
                account: format!("escrow:{}", p.campaign),
                amount: -amount,
            },
        ],
        Purpose::Refund => {
            let mode = store::terms(&state.db, &p.campaign)
                .await?
                .map(|t| t.mode)
                .ok_or(AppError::NotFound)?;
            if mode == CampaignMode::Milestone {
                let (held, _) = super::milestones::ssr::escrow(state, &p.campaign).await?;
                milestone_refund_legs_after(
                    &p.campaign,
                    p.paid,
                    p.platform_fee,
                    p.refunded,
                    amount,
                    held,
                )
            } else {
                refund_legs_after(
                    &p.campaign,
                    p.paid,
                    p.platform_fee,
                    p.refunded,
                    amount,
                    false,
                )
            }
        }
    })
}

async fn ledger_has(db: &Db, source: &str) -> AppResult<bool> {
    let found: Option<serde_json::Value> = db
        .row(
            "SELECT VALUE id FROM ledger_tx WHERE source = $s LIMIT 1",
            vars!("s" => source),
        )
        .await?;
    Ok(found.is_some())
}

/// The claim is done: its reservation leaves the pledge (once, whoever closes it).
async fn close(db: &Db, claim: &Claim, r: &RefundFacts) -> AppResult<()> {
    db.rows_retrying::<serde_json::Value>(
        "BEGIN TRANSACTION;
         LET $moved = (UPDATE type::record('refund_claim', $id) SET state = 'done',
            refund = $r, refunded = $amt WHERE state = 'reserved' RETURN VALUE id);
         IF array::len($moved) > 0 {
            UPDATE type::record('pledge', $pl)
                SET refund_reserved = math::max([0, (refund_reserved ?? 0) - $held]);
         };
         COMMIT TRANSACTION;
         RETURN [true];",
        vars!("id" => &claim.id, "r" => &r.id, "amt" => r.amount, "pl" => &claim.pledge,
            "held" => claim.amount),
    )
    .await?;
    Ok(())
}

/// Stripe refused: the claim fails with the reason and its reservation is released.
async fn release(db: &Db, claim: &Claim, reason: &str) -> AppResult<()> {
    db.rows_retrying::<serde_json::Value>(
        "BEGIN TRANSACTION;
         LET $moved = (UPDATE type::record('refund_claim', $id) SET state = 'failed',
            reason = $why WHERE state = 'reserved' RETURN VALUE id);
         IF array::len($moved) > 0 {
            UPDATE type::record('pledge', $pl)
                SET refund_reserved = math::max([0, (refund_reserved ?? 0) - $held]);
         };
         COMMIT TRANSACTION;
         RETURN [true];",
        vars!("id" => &claim.id, "why" => reason, "pl" => &claim.pledge, "held" => claim.amount),
    )
    .await?;
    Ok(())
}

/// Finishes claims left reserved for more than `older_than` (a crash or Stripe outage between
/// the reservation and the record). The same idempotency key makes Stripe answer with the
/// refund it already made, or make it now. Answers how many were finished.
pub async fn resume(state: &AppState, older_than: chrono::Duration) -> AppResult<usize> {
    let stale: Vec<Claim> = state
        .db
        .rows(
            &format!(
                "SELECT {CLAIM_FIELDS} FROM refund_claim WHERE state = 'reserved' \
                 AND at < <datetime>$before ORDER BY at LIMIT 100"
            ),
            vars!("before" => chrono::Utc::now() - older_than),
        )
        .await?;
    let mut done = 0;
    for c in stale {
        match finish(state, &c).await {
            Ok(_) => done += 1,
            Err(e) => tracing::warn!(claim = %c.id, error = ?e, "resuming a refund claim failed"),
        }
    }
    Ok(done)
}
