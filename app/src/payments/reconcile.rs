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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub pledge: String,
    pub campaign: String,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationView {
    pub flags: Vec<Flag>,
    /// When the last pass finished and how many payments it checked.
    pub last_run: Option<chrono::DateTime<chrono::Utc>>,
    pub checked: u64,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::collections::hash_map::Entry;
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::{compare, Mismatch, Sides};
    use crate::backend::AppState;
    use crate::error::AppResult;
    use crate::payments::ledger::Leg;
    use crate::payments::store::{PledgeRow, PLEDGE_FIELDS};
    use crate::vars;

    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub struct Report {
        pub checked: usize,
        pub flagged: usize,
    }

    /// Checks every payment that took money. A payment Stripe cannot be asked about now is
    /// skipped (checked again next pass), not flagged.
    pub async fn pass(state: &AppState) -> AppResult<Report> {
        let pledges: Vec<PledgeRow> = state
            .db
            .rows(
                &format!(
                    "SELECT {PLEDGE_FIELDS} FROM pledge \
                     WHERE state IN ['paid', 'refunded', 'disputed', 'charged_back'] \
                     AND payment_intent != NONE"
                ),
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
            let problems = compare(sides);
            report.checked += 1;
            if problems.is_empty() {
                state
                    .db
                    .run(
                        "DELETE type::record('reconciliation_issue', $p)",
                        vars!("p" => &p.id),
                    )
                    .await?;
            } else {
                report.flagged += 1;
                flag(state, &p, sides, &problems).await?;
            }
        }
        state
            .db
            .run(
                "UPSERT reconciliation_run:last SET at = time::now(), checked = $n",
                vars!("n" => report.checked),
            )
            .await?;
        Ok(report)
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
        p: &PledgeRow,
        s: Sides,
        problems: &[Mismatch],
    ) -> AppResult<()> {
        tracing::warn!(pledge = %p.id, ?problems, ?s, "reconciliation mismatch");
        state
            .db
            .run(
                "UPSERT type::record('reconciliation_issue', $p) SET
                    pledge = type::record('pledge', $p), campaign = type::record('campaign', $c),
                    currency = $cur, problems = $problems, paid = $paid, refunded = $refunded,
                    ledger_net = $net, stripe_received = $sr, stripe_refunded = $sf,
                    at = time::now()",
                vars!(
                    "p" => &p.id, "c" => &p.campaign, "cur" => p.currency, "problems" => problems,
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
                    "SELECT record::id(pledge) AS pledge, record::id(campaign) AS campaign,
                        currency, problems, paid, refunded, ledger_net, stripe_received,
                        stripe_refunded, at
                     FROM reconciliation_issue ORDER BY at DESC LIMIT 500",
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
                            view! {
                                <p>{last}</p>
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
                                                                <td><a href=format!("/campaigns/{}/ledger", f.campaign)><code>{f.pledge.clone()}</code></a></td>
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
