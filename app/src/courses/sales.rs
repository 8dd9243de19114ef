//! A course's sales ledger for its creator (and admins): totals and every entry — sales,
//! refunds, disputes and won disputes — with their legs, read from the shared ledger.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::t;
use crate::money::{Currency, Money};
use crate::payments::ledger::MoneySummary;
use crate::payments::model::LedgerRow;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseLedger {
    pub currency: Currency,
    pub summary: MoneySummary,
    /// Newest first.
    pub rows: Vec<LedgerRow>,
}

/// The course's ledger entries; "not found" for anyone but its creator and admins.
#[server(endpoint = "course_ledger")]
pub async fn load_course_ledger(course_id: String) -> Result<CourseLedger, AppError> {
    use crate::backend::request::{require_viewer, respond, state};
    use crate::payments::ledger::{Leg, TxKind};
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            #[derive(Deserialize)]
            struct Row {
                at: chrono::DateTime<chrono::Utc>,
                kind: TxKind,
                memo: String,
                source: String,
                legs: Vec<Leg>,
            }
            let rows: Vec<Row> = state
                .db
                .rows(
                    "SELECT at, kind, memo, source, legs FROM ledger_tx \
                     WHERE course = type::record('course', $c) ORDER BY at DESC LIMIT 500",
                    crate::vars!("c" => &course.id),
                )
                .await?;
            let mut summary = MoneySummary::default();
            for r in &rows {
                summary.add(r.kind, &r.legs);
            }
            Ok(CourseLedger {
                currency: course.currency,
                summary,
                rows: rows
                    .into_iter()
                    .map(|r| LedgerRow {
                        at: r.at,
                        kind: r.kind,
                        memo: r.memo,
                        source: r.source,
                        legs: r.legs,
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// The studio's sales section: totals, then one row per ledger entry.
#[component]
pub fn SalesLedger(course_id: String) -> impl IntoView {
    let c = t().course;
    let data = Resource::new(move || course_id.clone(), load_course_ledger);
    view! {
        <section class="card stack sales-ledger" aria-labelledby="sales-h">
            <h2 id="sales-h">{c.sales_title}</h2>
            <p class="hint">{c.sales_hint}</p>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(l) if l.rows.is_empty() => view! { <p class="empty-state">{c.no_sales}</p> }.into_any(),
                        Ok(l) => view! { <Entries l/> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Entries(l: CourseLedger) -> impl IntoView {
    let p = t().pay;
    let cur = l.currency;
    let m = move |v: i64| Money::new(v, cur).to_string();
    view! {
        <crate::payments::pages::MoneySummaryView summary=l.summary.clone() currency=cur/>
        <div class="table-scroll">
            <table class="data-table ledger">
                <caption class="visually-hidden">{t().course.sales_title}</caption>
                <thead><tr><th scope="col">{p.date}</th><th scope="col">{p.kind}</th><th scope="col">{p.account}</th><th scope="col">{p.memo}</th></tr></thead>
                <tbody>
                    {l.rows.into_iter().map(|r| view! {
                        <tr data-kind=format!("{:?}", r.kind).to_lowercase()>
                            <td>{r.at.format("%Y-%m-%d").to_string()}</td>
                            <td>{p.kind(r.kind)}</td>
                            <td><ul class="legs">{r.legs.into_iter().map(|leg| view! {
                                <li><code>{leg.account}</code>" "<span class:negative=leg.amount < 0>{m(leg.amount)}</span></li>
                            }).collect_view()}</ul></td>
                            <td>{r.memo}<br/><code class="muted">{r.source}</code></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
