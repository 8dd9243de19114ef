//! Refunds a creator (or an admin) gives: one backer at a time, in part or in full, or every
//! paid backer at once. Each refund goes through `flow::refund` (a Stripe refund with its own
//! idempotency key, then the ledger), so a bulk refund that is interrupted or started twice
//! refunds nobody twice; the next run finishes the rest.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::api::RefundPledge;
use crate::error::AppError;
use crate::i18n::t;
use crate::money::{Currency, Money};
use crate::ui::{error_of, CsrfField, FormError, FormStatus, SubmitButton};

/// A paid pledge as its campaign's creator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaidPledge {
    pub id: String,
    pub backer_name: String,
    pub backer_handle: String,
    pub tier_title: Option<String>,
    pub currency: Currency,
    pub paid: i64,
    pub refunded: i64,
    /// Why the pledge's last refund failed (Stripe's reason), if it did.
    #[serde(default)]
    pub refund_failure: Option<String>,
}

/// How many paid pledges a campaign's refund list shows at once.
#[cfg(feature = "ssr")]
const SHOWN: usize = 200;

#[cfg(feature = "ssr")]
mod ssr {
    use super::super::store::{self, CampaignTerms};
    use crate::accounts::model::{Role, Viewer};
    use crate::backend::AppState;
    use crate::error::{AppError, AppResult};

    /// The campaign if `viewer` is its creator or an admin.
    pub async fn managed(
        state: &AppState,
        campaign: &str,
        viewer: &Viewer,
    ) -> AppResult<CampaignTerms> {
        let terms = store::terms(&state.db, campaign)
            .await?
            .ok_or(AppError::NotFound)?;
        if terms.creator != viewer.id && !viewer.has(Role::Admin) {
            return Err(AppError::NotFound);
        }
        Ok(terms)
    }

    /// The bulk refund's work: open pledges are cancelled first (nobody is charged later),
    /// then every paid pledge is refunded in full; a pledge whose charge was in flight and
    /// lands meanwhile is picked up by the next round. Answers the pledges whose refund
    /// failed (each keeps Stripe's reason on its refund claim).
    pub async fn refund_everyone(
        state: &AppState,
        campaign: &str,
        by: super::super::flow::Refunder,
    ) -> AppResult<Vec<String>> {
        use super::super::flow;
        use super::super::rules::PledgeState;
        let open = [
            PledgeState::Authorized,
            PledgeState::Retrying,
            PledgeState::PendingCheckout,
        ];
        let mut failed: Vec<String> = Vec::new();
        for p in store::of_campaign(&state.db, campaign, &open, 1_000_000).await? {
            if let Err(e) = flow::cancel(state, &p).await {
                tracing::info!(pledge = %p.id, error = ?e, "bulk refund: pledge not cancelled");
            }
        }
        for _round in 0..3 {
            let paid =
                store::of_campaign(&state.db, campaign, &[PledgeState::Paid], 1_000_000).await?;
            let todo: Vec<_> = paid
                .into_iter()
                .filter(|p| p.refunded + p.refund_reserved < p.paid && !failed.contains(&p.id))
                .collect();
            if todo.is_empty() {
                break;
            }
            for p in todo {
                if let Err(e) = flow::refund(state, &p, None, by).await {
                    tracing::warn!(pledge = %p.id, error = ?e, "bulk refund: one refund failed");
                    failed.push(p.id.clone());
                }
            }
        }
        Ok(failed)
    }
}

/// The paid pledges of a campaign, newest first, for its creator and admins.
#[server(endpoint = "paid_pledges")]
pub async fn paid_pledges(campaign_id: String) -> Result<Vec<PaidPledge>, AppError> {
    use crate::backend::request::{require_viewer, respond, state};
    respond(
        async {
            let viewer = require_viewer().await?;
            let state = state()?;
            let terms = ssr::managed(&state, &campaign_id, &viewer).await?;
            Ok(state
                .db
                .rows(
                    "SELECT record::id(id) AS id, backer.display_name AS backer_name,
                        backer.handle AS backer_handle, tier.title AS tier_title, currency,
                        paid, refunded, paid_at,
                        (SELECT VALUE reason FROM refund_claim WHERE pledge = $parent.id
                            AND state = 'failed' ORDER BY at DESC LIMIT 1)[0] AS refund_failure
                     FROM pledge WHERE campaign = type::record('campaign', $c) AND state = 'paid'
                     ORDER BY paid_at DESC LIMIT $n",
                    crate::vars!("c" => &terms.id, "n" => SHOWN),
                )
                .await?)
        }
        .await,
    )
}

/// Refunds every paid pledge of the campaign in full and cancels the pledges not charged yet
/// (so settlement charges nobody later). Answers how many refunds were started; they run in
/// the background, each backer is mailed as theirs goes through, and a refund that fails is
/// shown with Stripe's reason next to its pledge in the refund list.
#[server(endpoint = "refund_all")]
pub async fn refund_all(
    csrf: String,
    campaign_id: String,
    confirm: Option<String>,
) -> Result<usize, AppError> {
    use super::flow::Refunder;
    use super::model::PledgeProblem;
    use super::rules::PledgeState;
    use super::store::{self, problem};
    use crate::accounts::model::Role;
    use crate::backend::request::{check_csrf, require_viewer, respond, state};
    respond(
        async {
            check_csrf(&csrf).await?;
            let viewer = require_viewer().await?;
            let state = state()?;
            let terms = ssr::managed(&state, &campaign_id, &viewer).await?;
            if confirm.as_deref() != Some("on") {
                return Err(problem(PledgeProblem::NotConfirmed));
            }
            let by = if viewer.has(Role::Admin) {
                Refunder::Admin
            } else {
                Refunder::Creator
            };
            let paid =
                store::of_campaign(&state.db, &terms.id, &[PledgeState::Paid], 1_000_000).await?;
            let count = paid
                .iter()
                .filter(|p| p.refunded + p.refund_reserved < p.paid)
                .count();
            tracing::info!(campaign = %terms.id, count, ?by, "bulk refund started");
            tokio::spawn(async move {
                match ssr::refund_everyone(&state, &terms.id, by).await {
                    Ok(failed) => {
                        tracing::info!(campaign = %terms.id, ?failed, "bulk refund finished")
                    }
                    Err(e) => {
                        tracing::warn!(campaign = %terms.id, error = ?e, "bulk refund stopped")
                    }
                }
            });
            Ok(count)
        }
        .await,
    )
}

/// The ledger page's refund tools: each paid backer with a refund form, and "refund everyone".
#[component]
pub fn CreatorRefunds(campaign_id: String) -> impl IntoView {
    let p = t().pay;
    let single = ServerAction::<RefundPledge>::new();
    let bulk = ServerAction::<RefundAll>::new();
    let id = campaign_id.clone();
    let list = Resource::new(
        move || (single.version().get(), bulk.version().get()),
        move |_| paid_pledges(id.clone()),
    );
    let bulk_done = Signal::derive(move || match bulk.value().get() {
        Some(Ok(n)) => Some(format!("{} {n}", p.refund_all_started)),
        _ => None,
    });
    view! {
        <section aria-labelledby="refunds-h" class="stack">
            <h2 id="refunds-h">{p.refunds_title}</h2>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty-state">{p.no_paid}</p> }.into_any(),
                        Ok(rows) => view! {
                            <div class="table-scroll">
                                <table class="data-table refunds">
                                    <thead><tr>
                                        <th scope="col">{p.backer}</th>
                                        <th scope="col">{p.reward}</th>
                                        <th scope="col">{p.paid_col}</th>
                                        <th scope="col">{p.refund}</th>
                                    </tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|r| {
                                            let m = |v: i64| Money::new(v, r.currency).to_string();
                                            let label = format!("{} {}", p.refund_amount_for, r.backer_name);
                                            let input_id = format!("refund-{}", r.id);
                                            let pledge_id = r.id.clone();
                                            view! {
                                                <tr data-pledge=r.id.clone()>
                                                    <td><a href=format!("/u/{}", r.backer_handle)>{r.backer_name.clone()}</a></td>
                                                    <td>{r.tier_title.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td>{m(r.paid)}{(r.refunded > 0).then(|| view! { <br/><span class="muted">{p.refunded}" "{m(r.refunded)}</span> })}{r.refund_failure.clone().map(|why| view! { <br/><span class="form-error refund-failed">{p.refund_failed}" "{why}</span> })}</td>
                                                    <td>
                                                        <ActionForm action=single attr:class="inline">
                                                            <CsrfField/>
                                                            <input type="hidden" name="pledge_id" value=pledge_id/>
                                                            <label class="visually-hidden" for=input_id.clone()>{label}</label>
                                                            <input id=input_id name="amount" inputmode="decimal" size="7" placeholder=p.refund_all_placeholder/>
                                                            <SubmitButton label=p.refund_button pending=single.pending()/>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <FormError error=error_of(single.value())/>
            <ActionForm action=bulk attr:class="stack danger-zone">
                <CsrfField/>
                <input type="hidden" name="campaign_id" value=campaign_id/>
                <p class="muted">{p.refund_all_note}</p>
                <label class="check"><input type="checkbox" name="confirm"/>" "{p.refund_all_confirm}</label>
                <FormError error=error_of(bulk.value())/>
                <FormStatus message=bulk_done/>
                <SubmitButton label=p.refund_all pending=bulk.pending()/>
            </ActionForm>
        </section>
    }
}
