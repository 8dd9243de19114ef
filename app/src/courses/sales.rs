//! A course's sales ledger for its creator (and admins): totals and every entry — sales,
//! refunds, disputes and won disputes — with their legs, read from the shared ledger.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::t;
use crate::money::Currency;
use crate::payments::ledger::MoneySummary;
use crate::payments::model::LedgerRow;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseLedger {
    pub currency: Currency,
    /// Totals over every entry.
    pub summary: MoneySummary,
    /// The newest 500 entries, newest first.
    pub rows: Vec<LedgerRow>,
}

/// The course's ledger entries; "not found" for anyone but its creator and admins.
#[server(endpoint = "course_ledger")]
pub async fn load_course_ledger(course_id: String) -> Result<CourseLedger, AppError> {
    use crate::backend::request::{require_viewer, respond, state};
    use crate::payments::api::ssr::{ledger_rows, ledger_summary, LedgerOwner};
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let course = super::access::managed(&state.db, &viewer, &course_id).await?;
            // The newest 500 entries are listed; the totals cover every entry.
            let rows = ledger_rows(&state.db, LedgerOwner::Course, &course.id, Some(500)).await?;
            Ok(CourseLedger {
                currency: course.currency,
                summary: ledger_summary(&state.db, LedgerOwner::Course, &course.id).await?,
                rows,
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
    let cur = l.currency;
    view! {
        <crate::payments::pages::MoneySummaryView summary=l.summary.clone() currency=cur/>
        <crate::payments::pages::LedgerEntries rows=l.rows currency=cur caption=t().course.sales_title/>
    }
}
