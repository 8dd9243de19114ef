//! Reconciliation: what the pledge records and the ledger say about each payment, compared
//! with what Stripe says. Differences are flagged for an admin (`/admin/payments`), never
//! "fixed" here: a mismatch means something went wrong that a person must look at.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::t;

/// What one payment looks like from each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sides {
    /// The pledge record: paid and refunded.
    pub paid: i64,
    pub refunded: i64,
    /// What an open or lost dispute took back through the backer's bank (0 when won or none).
    /// Stripe still reports the charge as received and not refunded, so only the ledger sees it.
    pub disputed: i64,
    /// The ledger: net money from this pledge's backer (what `backers` legs moved, negated).
    pub ledger_net: i64,
    /// Stripe: the payment intent succeeded, received and refunded (from its charge).
    pub stripe_succeeded: bool,
    pub stripe_received: i64,
    pub stripe_refunded: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    /// Stripe does not report the payment as succeeded.
    NotSucceeded,
    /// Stripe received a different amount than the pledge records.
    Received,
    /// Stripe refunded a different amount than the pledge records.
    Refunded,
    /// The ledger's net for the pledge differs from paid − refunded − disputed.
    Ledger,
    /// Stripe kept money for a pledge or order that records none (cancelled, expired,
    /// dropped, or a stray payment whose automatic refund did not go through).
    Unapplied,
}

/// Every way the three sides disagree (empty when they agree).
pub fn compare(s: Sides) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if !s.stripe_succeeded {
        out.push(Mismatch::NotSucceeded);
    }
    if s.stripe_received != s.paid {
        out.push(Mismatch::Received);
    }
    if s.stripe_refunded != s.refunded {
        out.push(Mismatch::Refunded);
    }
    if s.ledger_net != s.paid - s.refunded - s.disputed {
        out.push(Mismatch::Ledger);
    }
    out
}

/// A payment whose record holds no money (a cancelled, expired or dropped pledge, an expired
/// order, a stray payment): Stripe must not have kept any of it, and the ledger moved nothing.
pub fn compare_unpaid(s: Sides) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if s.stripe_succeeded && s.stripe_received - s.stripe_refunded > 0 {
        out.push(Mismatch::Unapplied);
    }
    if s.ledger_net != 0 {
        out.push(Mismatch::Ledger);
    }
    out
}

/// What a flag is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    #[default]
    Pledge,
    /// A course order.
    Order,
    /// A payment for something that no longer waited for it (id = the payment intent).
    Payment,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// The pledge's, order's or payment intent's id (see `kind`).
    pub pledge: String,
    #[serde(default)]
    pub kind: FlagKind,
    /// The pledge's campaign, or the order's course.
    pub campaign: Option<String>,
    pub currency: crate::money::Currency,
    pub problems: Vec<Mismatch>,
    /// The numbers behind the flag, for the admin: pledge paid/refunded, ledger net, Stripe
    /// received/refunded.
    pub paid: i64,
    pub refunded: i64,
    pub ledger_net: i64,
    pub stripe_received: i64,
    pub stripe_refunded: i64,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A campaign's or a milestone stage's settlement that failed, and when it is tried again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettleFailure {
    pub campaign: String,
    pub stage: Option<usize>,
    pub reason: String,
    pub attempts: u32,
    pub next_at: chrono::DateTime<chrono::Utc>,
}

/// A payment that arrived for a pledge or order no longer waiting for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrayPayment {
    pub intent: String,
    pub subject: String,
    pub currency: crate::money::Currency,
    pub amount: i64,
    /// `refunded` (automatically) or `flagged` (Stripe refused: an admin must act).
    pub state: String,
    pub reason: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationView {
    pub flags: Vec<Flag>,
    #[serde(default)]
    pub settlement: Vec<SettleFailure>,
    #[serde(default)]
    pub strays: Vec<StrayPayment>,
    /// When the last pass finished and how many payments it checked.
    pub last_run: Option<chrono::DateTime<chrono::Utc>>,
    pub checked: u64,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::collections::hash_map::Entry;
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::{compare, compare_unpaid, FlagKind, Mismatch, Sides};
    use crate::backend::AppState;
    use crate::error::AppResult;
    use crate::money::Currency;
    use crate::payments::ledger::Leg;
    use crate::payments::store::{PledgeRow, PLEDGE_FIELDS};
    use crate::vars;

    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub struct Report {
        pub checked: usize,
        pub flagged: usize,
    }

    /// Checks every pledge and course order that has a payment intent, and every stray
    /// payment. A payment Stripe cannot be asked about now is skipped (checked again next
    /// pass), not flagged.
    pub async fn pass(state: &AppState) -> AppResult<Report> {
        let pledges: Vec<PledgeRow> = state
            .db
            .rows(
                &format!("SELECT {PLEDGE_FIELDS} FROM pledge WHERE payment_intent != NONE"),
                vars!(),
            )
            .await?;
        let mut nets: HashMap<String, HashMap<String, i64>> = HashMap::new();
        let mut report = Report::default();
        for p in pledges {
            let Some(intent) = p.payment_intent.as_deref() else {
                continue;
            };
            let facts = match state.payments.intent(intent).await {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(pledge = %p.id, error = %e, "reconciliation: Stripe unavailable");
                    continue;
                }
            };
            if let Entry::Vacant(slot) = nets.entry(p.campaign.clone()) {
                slot.insert(ledger_nets(state, &p.campaign).await?);
            }
            let ledger_net = nets
                .get(&p.campaign)
                .and_then(|n| n.get(&p.id))
                .copied()
                .unwrap_or(0);
            let sides = Sides {
                paid: p.paid,
                refunded: p.refunded,
                disputed: p.disputed,
                ledger_net,
                stripe_succeeded: facts.succeeded,
                stripe_received: facts.amount_received,
                stripe_refunded: facts.refunded,
            };
            let problems = if p.paid == 0 {
                compare_unpaid(sides)
            } else {
                compare(sides)
            };
            let subject = Subject {
                id: p.id.clone(),
                kind: FlagKind::Pledge,
                of: p.campaign.clone(),
                currency: p.currency,
            };
            report.checked += 1;
            settle_flag(state, &subject, sides, &problems, &mut report).await?;
        }
        orders(state, &mut report).await?;
        strays(state, &mut report).await?;
        state
            .db
            .run(
                "UPSERT reconciliation_run:last SET at = time::now(), checked = $n",
                vars!("n" => report.checked),
            )
            .await?;
        Ok(report)
    }

    /// What a flag is about: a pledge (of a campaign), an order (of a course) or a payment.
    struct Subject {
        id: String,
        kind: FlagKind,
        of: String,
        currency: Currency,
    }

    impl Subject {
        /// The flag's record id: a pledge's own id (as before orders were checked), else
        /// prefixed by its kind.
        fn key(&self) -> String {
            match self.kind {
                FlagKind::Pledge => self.id.clone(),
                FlagKind::Order => format!("order-{}", self.id),
                FlagKind::Payment => format!("payment-{}", self.id),
            }
        }
    }

    async fn settle_flag(
        state: &AppState,
        subject: &Subject,
        sides: Sides,
        problems: &[Mismatch],
        report: &mut Report,
    ) -> AppResult<()> {
        if problems.is_empty() {
            state
                .db
                .run(
                    "DELETE type::record('reconciliation_issue', $k)",
                    vars!("k" => subject.key()),
                )
                .await?;
        } else {
            report.flagged += 1;
            flag(state, subject, sides, problems).await?;
        }
        Ok(())
    }

    /// Course orders with a payment intent: the order's record and ledger against Stripe.
    async fn orders(state: &AppState, report: &mut Report) -> AppResult<()> {
        #[derive(Deserialize)]
        struct Order {
            id: String,
            course: String,
            currency: Currency,
            state: String,
            paid: i64,
            payment_intent: String,
            disputed: i64,
        }
        let orders: Vec<Order> = state
            .db
            .rows(
                "SELECT record::id(id) AS id, record::id(course) AS course, currency, state, \
                 paid ?? 0 AS paid, payment_intent, disputed ?? 0 AS disputed \
                 FROM course_order WHERE payment_intent != NONE",
                vars!(),
            )
            .await?;
        for o in orders {
            let facts = match state.payments.intent(&o.payment_intent).await {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(order = %o.id, error = %e, "reconciliation: Stripe unavailable");
                    continue;
                }
            };
            let memo = format!("course order {}", o.id);
            let legs: Vec<Vec<Leg>> = state
                .db
                .rows(
                    "SELECT VALUE legs FROM ledger_tx WHERE memo = $m \
                     OR string::starts_with(memo, $prefix)",
                    vars!("m" => &memo, "prefix" => format!("{memo} (")),
                )
                .await?;
            let ledger_net = legs
                .iter()
                .flatten()
                .filter(|l| l.account == "backers")
                .map(|l| -l.amount)
                .sum();
            let refunded = if o.state == "refunded" { o.paid } else { 0 };
            let sides = Sides {
                paid: o.paid,
                refunded,
                disputed: o.disputed,
                ledger_net,
                stripe_succeeded: facts.succeeded,
                stripe_received: facts.amount_received,
                stripe_refunded: facts.refunded,
            };
            let problems = if o.paid == 0 {
                compare_unpaid(sides)
            } else {
                compare(sides)
            };
            let subject = Subject {
                id: o.id.clone(),
                kind: FlagKind::Order,
                of: o.course.clone(),
                currency: o.currency,
            };
            report.checked += 1;
            settle_flag(state, &subject, sides, &problems, report).await?;
        }
        Ok(())
    }

    /// Stray payments: Stripe must have given all of each back.
    async fn strays(state: &AppState, report: &mut Report) -> AppResult<()> {
        #[derive(Deserialize)]
        struct Stray {
            id: String,
            currency: Currency,
        }
        let rows: Vec<Stray> = state
            .db
            .rows(
                "SELECT record::id(id) AS id, currency FROM stray_payment",
                vars!(),
            )
            .await?;
        for r in rows {
            let facts = match state.payments.intent(&r.id).await {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(intent = %r.id, error = %e, "reconciliation: Stripe unavailable");
                    continue;
                }
            };
            let sides = Sides {
                paid: 0,
                refunded: 0,
                disputed: 0,
                ledger_net: 0,
                stripe_succeeded: facts.succeeded,
                stripe_received: facts.amount_received,
                stripe_refunded: facts.refunded,
            };
            let subject = Subject {
                id: r.id.clone(),
                kind: FlagKind::Payment,
                of: String::new(),
                currency: r.currency,
            };
            report.checked += 1;
            settle_flag(state, &subject, sides, &compare_unpaid(sides), report).await?;
        }
        Ok(())
    }

    /// Net money from backers per pledge of one campaign, from its ledger entries.
    async fn ledger_nets(state: &AppState, campaign: &str) -> AppResult<HashMap<String, i64>> {
        #[derive(Deserialize)]
        struct Tx {
            pledge: Option<String>,
            legs: Vec<Leg>,
        }
        let txs: Vec<Tx> = state
            .db
            .rows(
                "SELECT IF pledge THEN record::id(pledge) ELSE NONE END AS pledge, legs \
                 FROM ledger_tx WHERE campaign = type::record('campaign', $c)",
                vars!("c" => campaign),
            )
            .await?;
        let mut out = HashMap::new();
        for tx in txs {
            if let Some(p) = tx.pledge {
                let from_backers: i64 = tx
                    .legs
                    .iter()
                    .filter(|l| l.account == "backers")
                    .map(|l| -l.amount)
                    .sum();
                *out.entry(p).or_insert(0) += from_backers;
            }
        }
        Ok(out)
    }

    async fn flag(
        state: &AppState,
        subject: &Subject,
        s: Sides,
        problems: &[Mismatch],
    ) -> AppResult<()> {
        tracing::warn!(subject = %subject.id, kind = ?subject.kind, ?problems, ?s, "reconciliation mismatch");
        let (pledge, campaign) = match subject.kind {
            FlagKind::Pledge => (Some(subject.id.as_str()), Some(subject.of.as_str())),
            _ => (None, None),
        };
        state
            .db
            .run(
                "UPSERT type::record('reconciliation_issue', $k) SET
                    pledge = IF $p THEN type::record('pledge', $p) ELSE NONE END,
                    campaign = IF $c THEN type::record('campaign', $c) ELSE NONE END,
                    kind = $kind, subject = $subject, currency = $cur, problems = $problems,
                    paid = $paid, refunded = $refunded, ledger_net = $net,
                    stripe_received = $sr, stripe_refunded = $sf, at = time::now()",
                vars!(
                    "k" => subject.key(), "p" => pledge, "c" => campaign, "kind" => subject.kind,
                    "subject" => &subject.id, "cur" => subject.currency, "problems" => problems,
                    "paid" => s.paid, "refunded" => s.refunded, "net" => s.ledger_net,
                    "sr" => s.stripe_received, "sf" => s.stripe_refunded,
                ),
            )
            .await?;
        Ok(())
    }
}

/// What the last reconciliation pass flagged (admins only).
#[server(endpoint = "reconciliation")]
pub async fn load_reconciliation() -> Result<ReconciliationView, AppError> {
    use crate::accounts::model::Role;
    use crate::backend::request::{require_role, respond, state};
    respond(
        async {
            require_role(Role::Admin).await?;
            let db = &state()?.db;
            let flags: Vec<Flag> = db
                .rows(
                    "SELECT IF pledge THEN record::id(pledge) ELSE subject END AS pledge,
                        kind ?? 'pledge' AS kind,
                        IF campaign THEN record::id(campaign) ELSE NONE END AS campaign,
                        currency, problems, paid, refunded, ledger_net, stripe_received,
                        stripe_refunded, at
                     FROM reconciliation_issue ORDER BY at DESC LIMIT 500",
                    crate::vars!(),
                )
                .await?;
            let settlement: Vec<SettleFailure> = db
                .rows(
                    "SELECT record::id(campaign) AS campaign, stage, reason, attempts, next_at
                     FROM settle_failure ORDER BY at DESC LIMIT 200",
                    crate::vars!(),
                )
                .await?;
            let strays: Vec<StrayPayment> = db
                .rows(
                    "SELECT record::id(id) AS intent, subject, currency, amount, state, reason, at
                     FROM stray_payment ORDER BY at DESC LIMIT 200",
                    crate::vars!(),
                )
                .await?;
            #[derive(Deserialize)]
            struct Run {
                at: chrono::DateTime<chrono::Utc>,
                checked: u64,
            }
            let run: Option<Run> = db
                .row(
                    "SELECT at, checked FROM reconciliation_run:last",
                    crate::vars!(),
                )
                .await?;
            Ok(ReconciliationView {
                flags,
                settlement,
                strays,
                last_run: run.as_ref().map(|r| r.at),
                checked: run.map(|r| r.checked).unwrap_or(0),
            })
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agreeing() -> Sides {
        Sides {
            paid: 3000,
            refunded: 1000,
            disputed: 0,
            ledger_net: 2000,
            stripe_succeeded: true,
            stripe_received: 3000,
            stripe_refunded: 1000,
        }
    }

    #[test]
    fn sides_that_agree_raise_nothing() {
        assert!(compare(agreeing()).is_empty());
    }

    #[test]
    fn a_disputed_payment_is_not_a_mismatch_but_a_missing_dispute_entry_is() {
        // Stripe still reports the charge as received and unrefunded; the ledger moved it out.
        let disputed = Sides {
            disputed: 2000,
            ledger_net: 0,
            ..agreeing()
        };
        assert!(compare(disputed).is_empty());
        let unrecorded = Sides {
            disputed: 2000,
            ..agreeing()
        };
        assert_eq!(compare(unrecorded), vec![Mismatch::Ledger]);
    }

    #[test]
    fn money_kept_for_a_record_without_money_is_unapplied() {
        let stray = Sides {
            paid: 0,
            refunded: 0,
            disputed: 0,
            ledger_net: 0,
            stripe_succeeded: true,
            stripe_received: 3000,
            stripe_refunded: 0,
        };
        assert_eq!(compare_unpaid(stray), vec![Mismatch::Unapplied]);
        let given_back = Sides {
            stripe_refunded: 3000,
            ..stray
        };
        assert!(compare_unpaid(given_back).is_empty());
        let declined = Sides {
            stripe_succeeded: false,
            stripe_received: 0,
            ..stray
        };
        assert!(compare_unpaid(declined).is_empty());
    }

    #[test]
    fn each_disagreement_is_named() {
        let s = Sides {
            stripe_received: 2999,
            ..agreeing()
        };
        assert_eq!(compare(s), vec![Mismatch::Received]);
        let s = Sides {
            stripe_refunded: 0,
            ..agreeing()
        };
        assert_eq!(compare(s), vec![Mismatch::Refunded]);
        let s = Sides {
            ledger_net: 3000,
            ..agreeing()
        };
        assert_eq!(compare(s), vec![Mismatch::Ledger]);
        let s = Sides {
            stripe_succeeded: false,
            stripe_received: 0,
            stripe_refunded: 0,
            ..agreeing()
        };
        assert_eq!(
            compare(s),
            vec![
                Mismatch::NotSucceeded,
                Mismatch::Received,
                Mismatch::Refunded
            ]
        );
    }
}

/// `/admin/payments`: the reconciliation flags, with the numbers from each side.
#[component]
pub fn ReconciliationPage() -> impl IntoView {
    use crate::money::Money;
    let p = t().pay;
    let data = Resource::new(|| (), |_| load_reconciliation());
    view! {
        <leptos_meta::Title text=p.recon_title/>
        <section class="page">
            <h1>{p.recon_title}</h1>
            <p class="muted">{p.recon_intro}</p>
            <Suspense fallback=move || view! { <p aria-busy="true">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(AppError::Forbidden) => view! { <p class="form-error" role="alert">{t().err_admin_only}</p> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                        Ok(v) => {
                            let last = match v.last_run {
                                Some(at) => format!("{} {} · {} {}", p.recon_last_run, at.format("%Y-%m-%d %H:%M UTC"), v.checked, p.recon_checked),
                                None => p.recon_never.to_string(),
                            };
                            let settlement = v.settlement.clone();
                            let strays = v.strays.clone();
                            view! {
                                <p>{last}</p>
                                <SettlementFailures rows=settlement/>
                                <StrayPayments rows=strays/>
                                {if v.flags.is_empty() {
                                    view! { <p class="empty-state">{p.recon_clean}</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-scroll">
                                            <table class="data-table">
                                                <thead><tr>
                                                    <th scope="col">{p.recon_pledge}</th>
                                                    <th scope="col">{p.recon_problems}</th>
                                                    <th scope="col">{p.recon_ours}</th>
                                                    <th scope="col">{p.recon_stripe}</th>
                                                </tr></thead>
                                                <tbody>
                                                    {v.flags.into_iter().map(|f| {
                                                        let m = move |x: i64| Money::new(x, f.currency).to_string();
                                                        let problems = f.problems.iter().map(|x| p.mismatch(*x)).collect::<Vec<_>>().join("; ");
                                                        view! {
                                                            <tr class="recon-flag">
                                                                <td>{match f.campaign.clone() {
                                                                    Some(c) => view! { <a href=format!("/campaigns/{c}/ledger")><code>{f.pledge.clone()}</code></a> }.into_any(),
                                                                    None => view! { <code>{f.pledge.clone()}</code> }.into_any(),
                                                                }}</td>
                                                                <td>{problems}</td>
                                                                <td>{format!("{} {} · {} {} · {} {}", p.paid, m(f.paid), p.refunded, m(f.refunded), p.ledger, m(f.ledger_net))}</td>
                                                                <td>{format!("{} {} · {} {}", p.paid, m(f.stripe_received), p.refunded, m(f.stripe_refunded))}</td>
                                                            </tr>
                                                        }
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Campaigns and stages whose settlement failed, with the reason and the next attempt.
#[component]
fn SettlementFailures(rows: Vec<SettleFailure>) -> impl IntoView {
    let p = t().pay;
    (!rows.is_empty()).then(|| {
        view! {
            <h2>{p.settle_failures_title}</h2>
            <div class="table-scroll">
                <table class="data-table settle-failures">
                    <thead><tr>
                        <th scope="col">{p.settle_failure_of}</th>
                        <th scope="col">{p.settle_failure_reason}</th>
                        <th scope="col">{p.settle_failure_next}</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|f| {
                            let of = match f.stage {
                                Some(i) => format!("{} · {} {}", f.campaign, p.settle_failure_stage, i + 1),
                                None => f.campaign.clone(),
                            };
                            view! {
                                <tr class="settle-failure">
                                    <td><a href=format!("/campaigns/{}/ledger", f.campaign)><code>{of}</code></a></td>
                                    <td>{f.reason.clone()}</td>
                                    <td>{format!("{} ({} {})", f.next_at.format("%Y-%m-%d %H:%M:%S UTC"), f.attempts, p.settle_failure_attempts)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
    })
}

/// Payments that arrived for a pledge or order no longer waiting for them.
#[component]
fn StrayPayments(rows: Vec<StrayPayment>) -> impl IntoView {
    use crate::money::Money;
    let p = t().pay;
    (!rows.is_empty()).then(|| {
        view! {
            <h2>{p.strays_title}</h2>
            <p class="muted">{p.strays_intro}</p>
            <div class="table-scroll">
                <table class="data-table strays">
                    <thead><tr>
                        <th scope="col">{p.stray_payment}</th>
                        <th scope="col">{p.stray_for}</th>
                        <th scope="col">{p.amount}</th>
                        <th scope="col">{p.stray_outcome}</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|s| {
                            let outcome = if s.state == "refunded" {
                                p.stray_refunded.to_string()
                            } else {
                                format!("{}: {}", p.stray_flagged, s.reason.clone().unwrap_or_default())
                            };
                            view! {
                                <tr class="stray-payment">
                                    <td><code>{s.intent.clone()}</code></td>
                                    <td>{s.subject.clone()}</td>
                                    <td>{Money::new(s.amount, s.currency).to_string()}</td>
                                    <td>{outcome}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
    })
}
