//! Pledge storage (server only). Every change of state is one SurrealDB transaction: a
//! compare-and-set on the pledge's state, the campaign's running totals, the tier place and the
//! backer's open-pledge marker, and the ledger entry when money moved. A webhook delivered twice,
//! or two instances acting at once, finds the state already moved and changes nothing.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::ledger::{Leg, TxKind};
use super::model::PledgeProblem;
use super::rules::{transition, PledgeEvent, PledgeState};
use crate::backend::db::{Db, DbError};
use crate::campaigns::model::CampaignMode;
use crate::error::{AppError, AppResult, Problem};
use crate::money::Currency;
use crate::vars;

pub fn problem(p: PledgeProblem) -> AppError {
    AppError::Invalid(Problem::Pledge(p))
}

fn is_conflict(e: &DbError) -> bool {
    e.to_string().to_lowercase().contains("conflict")
}

/// A pledge row with what the payment code needs.
#[derive(Debug, Clone, Deserialize)]
pub struct PledgeRow {
    pub id: String,
    pub campaign: String,
    pub backer: String,
    pub tier: Option<String>,
    pub amount: i64,
    pub base_amount: i64,
    pub addon: i64,
    pub currency: Currency,
    pub state: PledgeState,
    pub checkout_mode: String,
    pub checkout_session: Option<String>,
    pub checkout_url: Option<String>,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
    pub payment_intent: Option<String>,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub failure: Option<String>,
    pub paid: i64,
    pub paid_at: Option<DateTime<Utc>>,
    pub platform_fee: i64,
    pub stripe_fee: i64,
    pub refunded: i64,
    /// The dispute (`dp_…`) last applied to this pledge, and what it withholds while open or
    /// lost (0 once won).
    #[serde(default)]
    pub dispute: Option<String>,
    #[serde(default)]
    pub disputed: i64,
    /// What refunds reserved but not yet recorded hold (see `claims`).
    #[serde(default)]
    pub refund_reserved: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const PLEDGE_FIELDS: &str = "record::id(id) AS id, record::id(campaign) AS campaign, \
    record::id(backer) AS backer, IF tier THEN record::id(tier) ELSE NONE END AS tier, amount, \
    base_amount, addon, currency, state, checkout_mode, checkout_session, checkout_url, customer, \
    payment_method, payment_intent, attempts, next_attempt_at, failure, paid, paid_at, \
    platform_fee, stripe_fee, refunded, dispute, disputed ?? 0 AS disputed, \
    refund_reserved ?? 0 AS refund_reserved, created_at, updated_at";

pub async fn get(db: &Db, id: &str) -> AppResult<Option<PledgeRow>> {
    Ok(db
        .row(
            &format!("SELECT {PLEDGE_FIELDS} FROM type::record('pledge', $id)"),
            vars!("id" => id),
        )
        .await?)
}

pub async fn by_intent(db: &Db, intent: &str) -> AppResult<Option<PledgeRow>> {
    Ok(db
        .row(
            &format!("SELECT {PLEDGE_FIELDS} FROM pledge WHERE payment_intent = $pi LIMIT 1"),
            vars!("pi" => intent),
        )
        .await?)
}

/// The backer's open pledge in a campaign.
pub async fn open_of(db: &Db, backer: &str, campaign: &str) -> AppResult<Option<PledgeRow>> {
    let id: Option<String> = db
        .row(
            "SELECT VALUE record::id(pledge) FROM type::record('backing', [$u, $c])",
            vars!("u" => backer, "c" => campaign),
        )
        .await?;
    match id {
        Some(id) => get(db, &id).await,
        None => Ok(None),
    }
}

pub struct NewPledge<'a> {
    pub id: &'a str,
    pub campaign: &'a str,
    pub backer: &'a str,
    pub tier: Option<&'a str>,
    pub base_amount: i64,
    pub addon: i64,
    pub currency: Currency,
    pub setup: bool,
    pub reference: Option<&'a str>,
}

/// Striped locks so pledges for one tier on this instance queue instead of colliding in the
/// database (a transaction conflict costs a retry). Other instances are kept honest by the
/// compare-and-set on `claimed`.
fn tier_lock(tier: &str) -> &'static tokio::sync::Mutex<()> {
    use std::hash::{Hash, Hasher};
    static LOCKS: std::sync::LazyLock<Vec<tokio::sync::Mutex<()>>> =
        std::sync::LazyLock::new(|| (0..64).map(|_| tokio::sync::Mutex::new(())).collect());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    tier.hash(&mut h);
    &LOCKS[(h.finish() % 64) as usize]
}

/// Creates a `pending_checkout` pledge, reserving its tier place. Refuses a sold-out tier, a
/// campaign that is not live (or whose `ends_at` has passed, even before the deadline job
/// moves it on) and a second open pledge by the same backer.
pub async fn open(db: &Db, p: NewPledge<'_>) -> AppResult<()> {
    let _guard = match p.tier {
        Some(t) => Some(tier_lock(t).lock().await),
        None => None,
    };
    let sql = "BEGIN TRANSACTION;
        LET $camp = type::record('campaign', $c);
        LET $open = (SELECT VALUE state = 'live' AND ends_at > time::now() FROM ONLY $camp);
        IF $open != true { THROW 'pledge:not_live'; };
        IF $t {
            LET $got = (UPDATE type::record('tier', $t) SET claimed += 1
                WHERE campaign = $camp AND (quantity = NONE OR claimed < quantity) RETURN VALUE id);
            IF array::len($got) = 0 { THROW 'pledge:sold_out'; };
        };
        IF (SELECT VALUE id FROM ONLY type::record('backing', [$u, $c])) { THROW 'pledge:already'; };
        CREATE type::record('backing', [$u, $c]) SET pledge = type::record('pledge', $id);
        CREATE type::record('pledge', $id) SET campaign = $camp, backer = type::record('user', $u),
            tier = IF $t THEN type::record('tier', $t) ELSE NONE END,
            amount = $base + $addon, base_amount = $base, addon = $addon, currency = $cur,
            state = 'pending_checkout', checkout_mode = $mode, ref = $ref ?? NONE;
        COMMIT TRANSACTION;";
    let vars = vars!(
        "id" => p.id, "c" => p.campaign, "u" => p.backer, "t" => p.tier,
        "base" => p.base_amount, "addon" => p.addon, "cur" => p.currency,
        "mode" => if p.setup { "setup" } else { "payment" }, "ref" => p.reference,
    );
    let mut wait = 5u64;
    for _ in 0..12 {
        match db.run(sql, vars.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                let msg = e.to_string();
                if msg.contains("pledge:sold_out") {
                    return Err(problem(PledgeProblem::SoldOut));
                } else if msg.contains("pledge:not_live") {
                    return Err(problem(PledgeProblem::CampaignNotLive));
                } else if msg.contains("pledge:already") {
                    return Err(problem(PledgeProblem::AlreadyBacking));
                } else if is_conflict(&e) {
                    tokio::time::sleep(std::time::Duration::from_millis(
                        wait + rand::random::<u64>() % wait,
                    ))
                    .await;
                    wait = (wait * 2).min(200);
                } else {
                    return Err(e.into());
                }
            }
        }
    }
    Err(AppError::Conflict)
}

pub async fn set_checkout(
    db: &Db,
    id: &str,
    customer: &str,
    session: &str,
    url: &str,
) -> AppResult<()> {
    db.run(
        "UPDATE type::record('pledge', $id) SET customer = $cu, checkout_session = $s,
            checkout_url = $url, updated_at = time::now()",
        vars!("id" => id, "cu" => customer, "s" => session, "url" => url),
    )
    .await?;
    Ok(())
}

/// Money that moved with a state change, recorded in the same transaction.
pub struct LedgerEntry {
    pub kind: TxKind,
    /// What happened in Stripe (`charge:pi_…`, `refund:re_…`): recorded once.
    pub source: String,
    pub memo: String,
    pub legs: Vec<Leg>,
}

/// A state change with the fields it sets. `patch` holds plain fields (no datetimes).
pub struct Move {
    pub event: PledgeEvent,
    pub patch: serde_json::Value,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Only move if `refunded` still has this value (refunds race each other).
    pub refunded_was: Option<i64>,
    pub ledger: Option<LedgerEntry>,
}

impl Move {
    pub fn new(event: PledgeEvent) -> Move {
        Move {
            event,
            patch: serde_json::json!({}),
            next_attempt_at: None,
            refunded_was: None,
            ledger: None,
        }
    }
    pub fn patch(mut self, patch: serde_json::Value) -> Move {
        self.patch = patch;
        self
    }
    pub fn ledger(mut self, entry: LedgerEntry) -> Move {
        self.ledger = Some(entry);
        self
    }
}

/// JSON `null` is not SurrealDB's NONE (an optional field refuses it): absent fields stay as
/// they are.
fn without_nulls(mut v: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(m) = &mut v {
        m.retain(|_, x| !x.is_null());
    }
    v
}

/// Moves pledge `id` from `from` by `m`. `Ok(None)` when another writer moved it first (or the
/// engine refused a conflicting transaction): the caller lost the race and does nothing more.
pub async fn apply(db: &Db, id: &str, from: PledgeState, m: Move) -> AppResult<Option<PledgeRow>> {
    let to = transition(from, m.event).map_err(|e| {
        tracing::info!(pledge = id, error = %e, "pledge transition refused");
        problem(PledgeProblem::NotNow)
    })?;
    let counted: Vec<&str> = PledgeState::COUNTED.iter().map(|s| s.as_str()).collect();
    let (lk, ls, lm, legs) = match &m.ledger {
        Some(l) => (
            Some(serde_json::to_value(l.kind).unwrap_or_default()),
            Some(l.source.clone()),
            Some(l.memo.clone()),
            Some(serde_json::to_value(&l.legs).unwrap_or_default()),
        ),
        None => (None, None, None, None),
    };
    let sql = "BEGIN TRANSACTION;
        LET $p = type::record('pledge', $id);
        LET $before = (SELECT state, amount, refunded FROM ONLY $p);
        LET $moved = (UPDATE $p SET state = $to, updated_at = time::now(),
            next_attempt_at = IF $next THEN <datetime>$next ELSE NONE END,
            paid_at = IF $to = 'paid' AND paid_at = NONE THEN time::now() ELSE paid_at END,
            failure = IF $to = 'paid' THEN NONE ELSE failure END
            WHERE state = $from AND ($rw < 0 OR refunded = $rw) RETURN VALUE id);
        IF array::len($moved) > 0 {
            LET $a = (UPDATE $p MERGE $patch RETURN AFTER)[0];
            LET $cb = IF $before.state IN $counted THEN $before.amount - $before.refunded ELSE 0 END;
            LET $ca = IF $a.state IN $counted THEN $a.amount - $a.refunded ELSE 0 END;
            LET $nb = IF $before.state IN $counted THEN 1 ELSE 0 END;
            LET $na = IF $a.state IN $counted THEN 1 ELSE 0 END;
            IF $ca != $cb OR $na != $nb {
                UPDATE $a.campaign SET pledged += $ca - $cb, backers += $na - $nb;
            };
            IF $final {
                IF $a.tier { UPDATE $a.tier SET claimed -= 1 WHERE claimed > 0; };
                DELETE type::record('backing', [record::id($a.backer), record::id($a.campaign)]);
            };
            IF $lk {
                CREATE ledger_tx SET kind = $lk, campaign = $a.campaign, pledge = $p,
                    currency = $a.currency, source = $ls, memo = $lm, legs = $legs;
            };
        };
        COMMIT TRANSACTION;
        RETURN $moved;";
    let res: Result<Vec<serde_json::Value>, _> = db
        .rows_retrying(
            sql,
            vars!(
                "id" => id, "from" => from.as_str(), "to" => to.as_str(),
                "next" => m.next_attempt_at, "rw" => m.refunded_was.unwrap_or(-1),
                "patch" => without_nulls(m.patch),
                "counted" => counted, "final" => to.is_final(),
                "lk" => lk, "ls" => ls, "lm" => lm, "legs" => legs,
            ),
        )
        .await;
    match res {
        Ok(moved) if moved.is_empty() => Ok(None),
        Ok(_) => get(db, id).await,
        // The ledger already holds this Stripe object: it was applied before.
        Err(e) if e.is_unique_violation("ledger_source") => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A partial refund leaves the pledge `paid`; it only lowers what counts and writes the ledger.
pub async fn partial_refund(
    db: &Db,
    id: &str,
    refunded_was: i64,
    amount: i64,
    ledger: LedgerEntry,
) -> AppResult<bool> {
    let sql = "BEGIN TRANSACTION;
        LET $p = type::record('pledge', $id);
        LET $moved = (UPDATE $p SET refunded += $amt, updated_at = time::now()
            WHERE state = 'paid' AND refunded = $rw AND refunded + $amt < paid RETURN AFTER);
        IF array::len($moved) > 0 {
            UPDATE $moved[0].campaign SET pledged -= $amt;
            CREATE ledger_tx SET kind = 'refund', campaign = $moved[0].campaign, pledge = $p,
                currency = $moved[0].currency, source = $ls, memo = $lm, legs = $legs;
        };
        COMMIT TRANSACTION;
        RETURN $moved;";
    let res: Result<Vec<serde_json::Value>, _> = db
        .rows_retrying(
            sql,
            vars!(
                "id" => id, "rw" => refunded_was, "amt" => amount, "ls" => ledger.source,
                "lm" => ledger.memo, "legs" => ledger.legs,
            ),
        )
        .await;
    match res {
        Ok(moved) => Ok(!moved.is_empty()),
        Err(e) if e.is_unique_violation("ledger_source") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// An authorized pledge changes its amount (and tier) before the deadline; the card is only
/// charged at settlement, so nothing moves in Stripe.
pub async fn change_authorized(
    db: &Db,
    p: &PledgeRow,
    tier: Option<&str>,
    base: i64,
    addon: i64,
) -> AppResult<bool> {
    let _guard = match tier {
        Some(t) if Some(t) != p.tier.as_deref() => Some(tier_lock(t).lock().await),
        _ => None,
    };
    let sql = "BEGIN TRANSACTION;
        LET $p = type::record('pledge', $id);
        LET $camp = type::record('campaign', $c);
        LET $open = (SELECT VALUE state = 'live' AND ends_at > time::now() FROM ONLY $camp);
        IF $open != true { THROW 'pledge:not_live'; };
        IF $t != $old_t {
            IF $t {
                LET $got = (UPDATE type::record('tier', $t) SET claimed += 1
                    WHERE campaign = $camp AND (quantity = NONE OR claimed < quantity) RETURN VALUE id);
                IF array::len($got) = 0 { THROW 'pledge:sold_out'; };
            };
            IF $old_t { UPDATE type::record('tier', $old_t) SET claimed -= 1 WHERE claimed > 0; };
        };
        LET $moved = (UPDATE $p SET amount = $base + $addon, base_amount = $base, addon = $addon,
            tier = IF $t THEN type::record('tier', $t) ELSE NONE END, updated_at = time::now()
            WHERE state = 'authorized' AND amount = $old_amount RETURN VALUE id);
        IF array::len($moved) = 0 { THROW 'pledge:moved'; };
        UPDATE $camp SET pledged += $base + $addon - $old_amount;
        COMMIT TRANSACTION;";
    let res = db
        .run(
            sql,
            vars!(
                "id" => p.id, "c" => p.campaign, "t" => tier, "old_t" => p.tier,
                "base" => base, "addon" => addon, "old_amount" => p.amount,
            ),
        )
        .await;
    match res {
        Ok(()) => Ok(true),
        Err(e) if e.to_string().contains("pledge:sold_out") => Err(problem(PledgeProblem::SoldOut)),
        Err(e) if e.to_string().contains("pledge:not_live") => {
            Err(problem(PledgeProblem::CampaignNotLive))
        }
        Err(e) if e.to_string().contains("pledge:moved") || is_conflict(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CampaignTerms {
    pub id: String,
    pub creator: String,
    pub title: String,
    pub slug: String,
    pub state: crate::campaigns::rules::CampaignState,
    pub mode: CampaignMode,
    pub currency: Currency,
    pub goal: i64,
    pub pledged: i64,
    pub fee_bps: u32,
    pub ends_at: DateTime<Utc>,
    pub pledges_closed: bool,
}

pub const TERMS_FIELDS: &str =
    "record::id(id) AS id, record::id(creator) AS creator, title, slug, \
    state, mode, currency, goal, pledged, fee_bps, ends_at, pledges_closed";

pub async fn terms(db: &Db, campaign: &str) -> AppResult<Option<CampaignTerms>> {
    Ok(db
        .row(
            &format!("SELECT {TERMS_FIELDS} FROM type::record('campaign', $c)"),
            vars!("c" => campaign),
        )
        .await?)
}

/// Pledges of `campaign` in `states`, oldest first, at most `limit`.
pub async fn of_campaign(
    db: &Db,
    campaign: &str,
    states: &[PledgeState],
    limit: usize,
) -> AppResult<Vec<PledgeRow>> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    Ok(db
        .rows(
            &format!(
                "SELECT {PLEDGE_FIELDS} FROM pledge WHERE campaign = type::record('campaign', $c) \
                 AND state IN $s ORDER BY created_at LIMIT $n"
            ),
            vars!("c" => campaign, "s" => states, "n" => limit),
        )
        .await?)
}

/// Pledges of `campaign` a settlement pass should charge now, oldest first, at most `limit`:
/// saved cards, charges left in flight, and retries whose time has come. The retry time is
/// filtered here, in the query, so retries that are not due never fill the batch.
pub async fn due_of_campaign(
    db: &Db,
    campaign: &str,
    now: DateTime<Utc>,
    limit: usize,
) -> AppResult<Vec<PledgeRow>> {
    Ok(db
        .rows(
            &format!(
                "SELECT {PLEDGE_FIELDS} FROM pledge WHERE campaign = type::record('campaign', $c) \
                 AND (state IN ['authorized', 'charging'] OR (state = 'retrying' \
                 AND (next_attempt_at = NONE OR next_attempt_at <= <datetime>$now))) \
                 ORDER BY created_at LIMIT $n"
            ),
            vars!("c" => campaign, "now" => now, "n" => limit),
        )
        .await?)
}

/// Starts a settlement charge: `from` → `charging` with the attempt counted in the database
/// (`attempts += 1`), so the count never comes from a stale copy. `None` when another writer
/// moved the pledge first.
pub async fn start_charge(db: &Db, id: &str, from: PledgeState) -> AppResult<Option<PledgeRow>> {
    let to = transition(from, PledgeEvent::StartCharge).map_err(|e| {
        tracing::info!(pledge = id, error = %e, "pledge transition refused");
        problem(PledgeProblem::NotNow)
    })?;
    let moved: Vec<serde_json::Value> = db
        .rows_retrying(
            "UPDATE type::record('pledge', $id) SET state = $to, attempts += 1,
                next_attempt_at = NONE, updated_at = time::now()
             WHERE state = $from RETURN VALUE id",
            vars!("id" => id, "from" => from.as_str(), "to" => to.as_str()),
        )
        .await?;
    if moved.is_empty() {
        return Ok(None);
    }
    get(db, id).await
}

/// Takes (or renews) the lease `name` for `holder` until `until`. False when another holder's
/// lease has not run out.
pub async fn take_lease(
    db: &Db,
    name: &str,
    holder: &str,
    until: DateTime<Utc>,
) -> AppResult<bool> {
    let sql = "BEGIN TRANSACTION;
        LET $l = type::record('lease', $name);
        LET $cur = (SELECT holder, until FROM ONLY $l);
        IF $cur = NONE {
            CREATE $l SET holder = $h, until = <datetime>$until;
        } ELSE IF $cur.holder = $h OR $cur.until < time::now() {
            UPDATE $l SET holder = $h, until = <datetime>$until;
        } ELSE {
            THROW 'lease:held';
        };
        COMMIT TRANSACTION;";
    match db
        .run(sql, vars!("name" => name, "h" => holder, "until" => until))
        .await
    {
        Ok(()) => Ok(true),
        Err(e) if e.to_string().contains("lease:held") || is_conflict(&e) => Ok(false),
        Err(e) if e.is_unique_violation("lease") || e.to_string().contains("already exists") => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn drop_lease(db: &Db, name: &str, holder: &str) -> AppResult<()> {
    db.run(
        "DELETE type::record('lease', $name) WHERE holder = $h",
        vars!("name" => name, "h" => holder),
    )
    .await?;
    Ok(())
}
