//! Pledge page (`/c/:slug/pledge`), the return page after Checkout (`/pledges/:id`), a backer's
//! pledges (`/pledges`) and a campaign's ledger (`/campaigns/:id/ledger`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{self, CancelPledge, RefundPledge, StartPledge, UpdateCard};
use super::model::{CampaignLedger, LedgerRow, PledgeForm, PledgeView};
use super::rules::PledgeState;
use crate::campaigns::model::Grant;
use crate::campaigns::widgets::short_date;
use crate::error::AppError;
use crate::i18n::t;
use crate::money::{Currency, Money};
use crate::ui::{error_of, CsrfField, FormError, SubmitButton};

/// Under a reward choice: exactly which of the campaign's courses it opens (by the tier's
/// grant), or that it opens none. Nothing when the campaign has no published course.
#[component]
fn CourseAccess(courses: Vec<(String, String)>, grants: Grant) -> impl IntoView {
    let p = t().pay;
    (!courses.is_empty()).then(|| {
        if grants == Grant::Course {
            view! {
                <span class="tier-access includes">
                    " · "{p.includes_course}" "
                    {courses.into_iter().enumerate().map(|(i, (title, slug))| view! {
                        {(i > 0).then_some(", ")}
                        <a href=format!("/courses/{slug}")>{format!("“{title}”")}</a>
                    }).collect_view()}
                </span>
            }
            .into_any()
        } else {
            view! { <span class="tier-access muted">" · "{p.no_course_access}</span> }.into_any()
        }
    })
}

/// Sends the browser to `url` (Stripe Checkout lives outside the app's routes).
fn go_to(url: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// Major units for an input's value, e.g. 2500 USD cents → "25.00".
fn major(m: Money) -> String {
    let exp = m.currency.exponent();
    if exp == 0 {
        return m.minor.to_string();
    }
    let scale = 10_i64.pow(exp);
    format!(
        "{}.{:0width$}",
        m.minor / scale,
        m.minor % scale,
        width = exp as usize
    )
}

#[component]
pub fn PledgePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug")).unwrap_or_default();
    let data = Resource::new(slug, api::load_pledge_form);
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(f) => view! { <PledgeFormView f/> }.into_any(),
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PledgeFormView(f: PledgeForm) -> impl IntoView {
    let p = t().pay;
    let query = use_query_map();
    let cancelled = query.with_untracked(|q| q.get("cancelled").is_some());
    let reference = query.with_untracked(|q| q.get("ref")).unwrap_or_default();
    let wanted = query.with_untracked(|q| q.get("tier"));
    let signed_in = f.signed_in;
    let here = format!("/c/{}/pledge", f.slug);
    let current_tier = f
        .current
        .as_ref()
        .and_then(|c| {
            f.tiers
                .iter()
                .find(|t| Some(&t.title) == c.tier_title.as_ref())
        })
        .map(|t| t.id.clone());
    let chosen = RwSignal::new(wanted.or(current_tier).unwrap_or_default());
    let tiers = f.tiers.clone();
    let min_of = move |id: &str| {
        tiers
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.min_amount)
            .unwrap_or(Money::new(super::model::min_pledge(f.currency), f.currency))
    };
    let start_amount = f
        .current
        .as_ref()
        .map(|c| Money::new(c.amount, c.currency))
        .unwrap_or_else(|| min_of(&chosen.get_untracked()));
    let amount = RwSignal::new(major(start_amount));
    let action = ServerAction::<StartPledge>::new();
    Effect::new(move |_| {
        if let Some(Ok(url)) = action.value().get() {
            go_to(&url);
        }
    });
    let note = if f.charge_later {
        format!("{} {}.", p.charge_later, short_date(f.ends_at))
    } else {
        p.charge_now.to_string()
    };
    let body = if f.own {
        view! { <p class="notice">{p.own_campaign}</p> }.into_any()
    } else if !f.accepts {
        view! { <p class="notice">{p.not_accepting}</p> }.into_any()
    } else if !signed_in {
        let next = crate::ui::url_encode(&here);
        view! {
            <div class="card stack">
                <p>{p.sign_in_to_pledge}</p>
                <p class="actions">
                    <a class="button primary" href=format!("/signup?next={next}")>{p.sign_up}</a>
                    " "
                    <a class="button" href=format!("/login?next={next}")>{p.sign_in}</a>
                </p>
            </div>
        }
        .into_any()
    } else if f
        .current
        .as_ref()
        .is_some_and(|c| c.state != PledgeState::Authorized)
    {
        let c = f.current.clone().unwrap_or_else(|| unreachable!());
        view! { <PledgeCard pledge=c/> }.into_any()
    } else {
        let changing = f.current.is_some();
        let tiers = f.tiers.clone();
        let courses = f.courses.clone();
        let min_of = min_of.clone();
        view! {
            <ActionForm action=action attr:class="stack pledge-form">
                <CsrfField/>
                <input type="hidden" name="campaign_id" value=f.campaign_id.clone()/>
                <input type="hidden" name="reference" value=reference/>
                <fieldset class="tiers-choice">
                    <legend>{p.choose_reward}</legend>
                    <label class="tier-option">
                        <input type="radio" name="tier_id" value=""
                            checked=chosen.get_untracked().is_empty()
                            prop:checked=move || chosen.get().is_empty()
                            on:change=move |_| { chosen.set(String::new()); amount.set(major(min_of(""))); }/>
                        <span>{p.no_reward}
                            <CourseAccess courses=courses.clone() grants=Grant::Nothing/>
                        </span>
                    </label>
                    {tiers.into_iter().map(|tier| {
                        let id = tier.id.clone();
                        let id2 = tier.id.clone();
                        let min = tier.min_amount;
                        let sold_out = tier.sold_out();
                        let grants = tier.grants;
                        view! {
                            <label class="tier-option" class:disabled=sold_out>
                                <input type="radio" name="tier_id" value=tier.id.clone() disabled=sold_out
                                    checked=chosen.get_untracked() == tier.id
                                    prop:checked=move || chosen.get() == id
                                    on:change=move |_| { chosen.set(id2.clone()); amount.set(major(min)); }/>
                                <span><strong>{tier.title.clone()}</strong>" · "{min.to_string()}
                                    {match (sold_out, tier.left()) {
                                        (true, _) => view! { " · "<span class="badge bad">{t().campaign.sold_out}</span> }.into_any(),
                                        (false, Some(n)) => view! { " · "<span class="muted">{n}" "{t().campaign.left}</span> }.into_any(),
                                        (false, None) => ().into_any(),
                                    }}
                                    <CourseAccess courses=courses.clone() grants/>
                                </span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="pledge-amount">{p.amount}" ("{f.currency.code()}")"</label>
                    <input id="pledge-amount" name="amount" inputmode="decimal" required
                        value=amount.get_untracked() prop:value=move || amount.get() on:input=move |e| amount.set(event_target_value(&e))
                        aria-describedby="pledge-amount-help"/>
                    <p id="pledge-amount-help" class="muted">{p.amount_help}</p>
                </div>
                <div class="field">
                    <label for="pledge-addon">{p.addon}</label>
                    <input id="pledge-addon" name="addon" inputmode="decimal"/>
                </div>
                <p class="muted">{note}</p>
                <FormError error=error_of(action.value())/>
                <SubmitButton label=if changing { p.update_pledge } else { p.continue_checkout } pending=action.pending()/>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <Title text=format!("{} · {}", p.pledge_title, f.title)/>
        <section class="page narrow">
            <p><a href=format!("/c/{}", f.slug)>"← "{f.title.clone()}</a></p>
            <h1>{p.pledge_title}</h1>
            {cancelled.then(|| view! { <p class="notice" role="status">{p.checkout_cancelled}</p> })}
            {f.current.clone().filter(|c| c.state == PledgeState::Authorized).map(|c| view! {
                <PledgeCard pledge=c/>
            })}
            {body}
        </section>
    }
}

/// The page Checkout returns to: polls until the webhook has confirmed the pledge.
#[component]
pub fn PledgeReturnPage() -> impl IntoView {
    let p = t().pay;
    let params = use_params_map();
    let id = move || params.with(|q| q.get("id")).unwrap_or_default();
    let status = Resource::new(id, api::pledge_status);
    let latest = RwSignal::new(None::<PledgeView>);
    Effect::new(move |_| {
        if let Some(Ok(v)) = status.get() {
            latest.set(Some(v));
        }
    });
    Effect::new(move |_| {
        let tick = move || {
            let pending = latest.get_untracked().is_none_or(|v| {
                matches!(
                    v.state,
                    PledgeState::PendingCheckout | PledgeState::Charging
                )
            });
            if pending {
                let id = id();
                leptos::task::spawn_local(async move {
                    if let Ok(v) = api::pledge_status(id).await {
                        latest.set(Some(v));
                    }
                });
            }
        };
        if let Ok(h) = set_interval_with_handle(tick, std::time::Duration::from_millis(1500)) {
            on_cleanup(move || h.clear());
        }
    });
    view! {
        <Title text=p.your_pledge/>
        <section class="page narrow">
            <h1>{p.your_pledge}</h1>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(_) => view! {
                            <div aria-live="polite">
                                {move || latest.get().map(|v| view! { <ReturnStatus v/> })}
                            </div>
                        }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <p><a href="/login">{t().nav_login}</a></p> }.into_any(),
                        Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ReturnStatus(v: PledgeView) -> impl IntoView {
    let p = t().pay;
    let message = match v.state {
        PledgeState::PendingCheckout | PledgeState::Charging => view! {
            <p class="confirming" role="status"><span class="spinner" aria-hidden="true"></span>" "{p.confirming}</p>
        }
        .into_any(),
        PledgeState::Authorized => view! { <p class="success" role="status">{p.confirmed_later}</p> }.into_any(),
        PledgeState::Paid => view! { <p class="success" role="status">{p.confirmed_paid}</p> }.into_any(),
        _ => view! { <p class="notice" role="status">{p.not_completed}</p> }.into_any(),
    };
    let slug = v.campaign_slug.clone();
    view! {
        {message}
        <PledgeCard pledge=v/>
        <p><a href=format!("/c/{slug}")>{p.back_to_campaign}</a>" · "<a href="/pledges">{p.my_pledges}</a></p>
    }
}

/// One pledge with its state and the actions open to its backer.
#[component]
pub fn PledgeCard(pledge: PledgeView) -> impl IntoView {
    let p = t().pay;
    let v = pledge;
    let cancel = ServerAction::<CancelPledge>::new();
    let refund = ServerAction::<RefundPledge>::new();
    let card = ServerAction::<UpdateCard>::new();
    Effect::new(move |_| {
        if let Some(Ok(url)) = card.value().get() {
            go_to(&url);
        }
    });
    let amount = Money::new(v.amount, v.currency);
    // After a cancel the card shows the new state at once, without its old actions.
    let cancelled = move || matches!(cancel.value().get(), Some(Ok(())));
    let shown_state = move || {
        if cancelled() {
            PledgeState::Cancelled
        } else {
            v.state
        }
    };
    let state_class = move || format!("pledge-state state-{}", shown_state().as_str());
    let confirming = RwSignal::new(false);
    let done = move || {
        if matches!(cancel.value().get(), Some(Ok(()))) {
            Some(p.cancelled_ok)
        } else if matches!(refund.value().get(), Some(Ok(_))) {
            Some(p.refunded_ok)
        } else {
            None
        }
    };
    let id = v.id.clone();
    view! {
        <article class="card pledge" data-pledge=v.id.clone() data-state=v.state.as_str()>
            <h3><a href=format!("/c/{}", v.campaign_slug)>{v.campaign_title.clone()}</a></h3>
            <p>
                <strong>{amount.to_string()}</strong>
                {v.tier_title.clone().map(|tt| view! { " · "{p.reward}": "{tt} })}
                " · "<span class=state_class>{move || p.state(shown_state())}</span>
            </p>
            {(v.refunded > 0).then(|| view! { <p class="muted">{p.refunded}": "{Money::new(v.refunded, v.currency).to_string()}</p> })}
            {v.failure.clone().filter(|_| v.state == PledgeState::Retrying).map(|f| view! {
                <p class="form-error">{f}
                    {v.next_attempt_at.map(|at| view! { " · "{p.next_try}": "{short_date(at)} })}
                </p>
            })}
            <p class="muted">{short_date(v.created_at)}</p>
            <p role="status">{done}</p>
            <div class="actions" hidden=cancelled>
                // Checkout is served outside the app's routes: a real navigation, never the
                // client-side router (which would show "Page not found").
                {v.checkout_url.clone().map(|u| view! { <a class="button primary" href=u rel="external">{p.finish_checkout}</a> })}
                {v.can_change.then(|| view! { <a class="button" href=format!("/c/{}/pledge", v.campaign_slug)>{p.change_pledge}</a> })}
                {v.can_cancel.then(|| { let id = id.clone(); view! {
                    <button type="button" class="button secondary" hidden=confirming
                        on:click=move |_| confirming.set(true)>{p.cancel_pledge}</button>
                    <div class="confirm" role="group" aria-label=p.cancel_pledge hidden=move || !confirming.get()>
                        <p>{p.cancel_confirm}</p>
                        <ActionForm action=cancel attr:class="inline">
                            <CsrfField/><input type="hidden" name="pledge_id" value=id/>
                            <button type="submit" class="button danger" disabled=move || cancel.pending().get()>
                                {move || if cancel.pending().get() { t().working } else { p.cancel_yes }}
                            </button>
                        </ActionForm>
                        <button type="button" class="button" on:click=move |_| confirming.set(false)>{p.cancel_keep}</button>
                    </div>
                }})}
                {v.can_refund.then(|| { let id = id.clone(); view! {
                    <ActionForm action=refund attr:class="inline">
                        <CsrfField/><input type="hidden" name="pledge_id" value=id/>
                        <SubmitButton label=p.refund pending=refund.pending()/>
                    </ActionForm>
                }})}
                {(v.state == PledgeState::Retrying).then(|| { let id = id.clone(); view! {
                    <ActionForm action=card attr:class="inline">
                        <CsrfField/><input type="hidden" name="pledge_id" value=id/>
                        <SubmitButton label=p.update_card pending=card.pending()/>
                    </ActionForm>
                }})}
            </div>
            <FormError error=Signal::derive(move || error_of(cancel.value()).get().or(error_of(refund.value()).get()).or(error_of(card.value()).get()))/>
            {(v.state == PledgeState::Paid).then(|| view! { <super::survey::SurveyAnswers campaign_id=v.campaign_id.clone()/> })}
        </article>
    }
}

/// `/pledges?show=open&page=2`: the backer's pledges, newest first, a page at a time.
#[component]
pub fn MyPledgesPage() -> impl IntoView {
    use super::rules::PledgeFilter;
    let p = t().pay;
    let query = use_query_map();
    let show = move || query.with(|q| PledgeFilter::parse(&q.get("show").unwrap_or_default()));
    let page = move || {
        query.with(|q| {
            q.get("page")
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1)
        })
    };
    let list = Resource::new(
        move || (page(), show()),
        |(page, show)| api::my_pledges(page, show.as_str().to_string()),
    );
    let link = |show: PledgeFilter, page: u32| match (show, page) {
        (PledgeFilter::All, 1) => "/pledges".to_string(),
        (show, 1) => format!("/pledges?show={}", show.as_str()),
        (show, page) => format!("/pledges?show={}&page={page}", show.as_str()),
    };
    view! {
        <Title text=p.my_pledges/>
        <section class="page narrow">
            <h1>{p.my_pledges}</h1>
            <nav class="chips" aria-label=p.filter_label>
                {PledgeFilter::ALL.into_iter().map(|f| view! {
                    <a class="chip" href=link(f, 1) aria-current=move || (show() == f).then_some("page")>{p.filter(f)}</a>
                }).collect_view()}
            </nav>
            <Transition fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() && l.page == 1 && show() == PledgeFilter::All => view! {
                            <div class="empty-state"><p>{p.no_pledges}</p><a class="button" href="/discover">{p.discover}</a></div>
                        }.into_any(),
                        Ok(l) if l.items.is_empty() => view! { <p class="muted">{p.no_pledges_here}</p> }.into_any(),
                        Ok(l) => {
                            let f = show();
                            view! {
                                <div class="stack">{l.items.into_iter().map(|pledge| view! { <PledgeCard pledge/> }).collect_view()}</div>
                                <nav class="pager" aria-label=p.page_n>
                                    {(l.page > 1).then(|| view! { <a class="button" rel="prev" href=link(f, l.page - 1)>"← "{p.newer}</a> })}
                                    <span class="muted">{format!("{} {}", p.page_n, l.page)}</span>
                                    {l.has_more.then(|| view! { <a class="button" rel="next" href=link(f, l.page + 1)>{p.older}" →"</a> })}
                                </nav>
                            }.into_any()
                        }
                        Err(AppError::Unauthenticated) => view! { <p><a href="/login?next=/pledges">{t().nav_login}</a></p> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn LedgerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|q| q.get("id")).unwrap_or_default();
    let data = Resource::new(id, api::load_ledger);
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(l) => view! { <Ledger l/> }.into_any(),
                    Err(AppError::Unauthenticated) => view! { <p class="page"><a href="/login">{t().nav_login}</a></p> }.into_any(),
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Totals of where a campaign's money went, as labelled figures.
#[component]
pub fn MoneySummaryView(
    summary: super::ledger::MoneySummary,
    currency: crate::money::Currency,
) -> impl IntoView {
    let p = t().pay;
    let m = |v: i64| Money::new(v, currency).to_string();
    let s = summary;
    let mut rows = vec![
        (p.raised, s.raised),
        (p.refunded, s.refunded),
        (p.platform_fees, s.platform_fees),
        (p.processing_fees, s.processing_fees),
        (p.to_creator, s.to_creator),
    ];
    if s.held != 0 {
        rows.push((p.held, s.held));
    }
    if s.disputed != 0 {
        rows.push((p.disputed, s.disputed));
    }
    if s.paid_out != 0 {
        rows.push((p.paid_out, s.paid_out));
    }
    view! {
        <dl class="money-summary">
            {rows.into_iter().map(|(label, v)| view! { <div><dt>{label}</dt><dd>{m(v)}</dd></div> }).collect_view()}
        </dl>
    }
}

/// Ledger transactions, one row each with its legs (a campaign's ledger, a course's sales).
#[component]
pub fn LedgerEntries(
    rows: Vec<LedgerRow>,
    currency: Currency,
    /// A visually hidden caption, where no heading right above names the table.
    #[prop(optional)]
    caption: Option<&'static str>,
) -> impl IntoView {
    let p = t().pay;
    let m = move |v: i64| Money::new(v, currency).to_string();
    view! {
        <div class="table-scroll">
            <table class="data-table ledger">
                {caption.map(|c| view! { <caption class="visually-hidden">{c}</caption> })}
                <thead><tr><th scope="col">{p.date}</th><th scope="col">{p.kind}</th><th scope="col">{p.account}</th><th scope="col">{p.memo}</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td>{short_date(r.at)}</td>
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

#[component]
fn Ledger(l: CampaignLedger) -> impl IntoView {
    let p = t().pay;
    let cur = l.currency;
    let m = move |v: i64| Money::new(v, cur).to_string();
    view! {
        <Title text=format!("{} · {}", p.ledger, l.title)/>
        <section class="page">
            <p><a href=format!("/c/{}", l.slug)>"← "{l.title.clone()}</a></p>
            <h1>{p.ledger_title}</h1>
            <MoneySummaryView summary=l.summary.clone() currency=cur/>
            <h2>{p.pledges_by_state}</h2>
            <table class="data-table">
                <tbody>
                    {l.states.iter().map(|(s, n, total)| view! {
                        <tr><th scope="row">{p.state(*s)}</th><td>{*n}</td><td>{m(*total)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p><a class="button" href=format!("/campaigns/{}/backers.csv", l.campaign_id) download="">{p.export_csv}</a></p>
            <super::refunds::CreatorRefunds campaign_id=l.campaign_id.clone()/>
            <super::survey::SurveyEditor campaign_id=l.campaign_id.clone()/>
            <h2>{p.entries}</h2>
            {if l.rows.is_empty() {
                view! { <p class="empty-state">{p.no_entries}</p> }.into_any()
            } else {
                view! { <LedgerEntries rows=l.rows currency=cur/> }.into_any()
            }}
        </section>
    }
}

/// A milestone campaign's stages: what was released, the open vote, and the creator's and
/// backers' actions.
#[component]
pub fn MilestonesPanel(campaign_id: String) -> impl IntoView {
    use super::milestones::{load_milestones, DeliverMilestone, ObjectMilestone, StageState};
    let p = t().pay;
    let deliver = ServerAction::<DeliverMilestone>::new();
    let object = ServerAction::<ObjectMilestone>::new();
    let id = campaign_id.clone();
    let panel = Resource::new(
        move || (deliver.version().get(), object.version().get()),
        move |_| load_milestones(id.clone()),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let campaign_id = campaign_id.clone();
                Suspend::new(async move {
                    panel.await.ok().map(|m| {
                        let cur = m.currency;
                        view! {
                            <div class="milestone-panel">
                                <p class="muted">{p.held_now}": "{Money::new(m.held, cur).to_string()}</p>
                                <ol class="milestone-list">
                                    {m.stages.into_iter().map(|s| view! {
                                        <li data-stage-state=format!("{:?}", s.state).to_lowercase()>
                                            <strong>{format!("{}%", s.share_pct)}</strong>" — "{s.description.clone()}
                                            <br/>
                                            <span class="muted">{match s.state {
                                                StageState::Pending => p.stage_pending.to_string(),
                                                StageState::Voting => format!("{} {} ({}% {})", p.stage_voting,
                                                    s.window_ends_at.map(short_date).unwrap_or_default(), s.objecting_pct, p.objecting),
                                                StageState::Released => format!("{} ({})", p.stage_released, Money::new(s.released, cur)),
                                                StageState::Failing | StageState::Failed => p.stage_failed.to_string(),
                                            }}</span>
                                            {s.note.clone().map(|n| view! { <p>{n}</p> })}
                                            {s.viewer_objected.then(|| view! { <p class="badge">{p.objected}</p> })}
                                        </li>
                                    }).collect_view()}
                                </ol>
                                {m.can_deliver.map(|_| { let id = campaign_id.clone(); view! {
                                    <ActionForm action=deliver attr:class="stack">
                                        <CsrfField/><input type="hidden" name="campaign_id" value=id/>
                                        <div class="field">
                                            <label for="deliver-note">{p.deliver_note}</label>
                                            <textarea id="deliver-note" name="note" rows="3" required maxlength="2000"></textarea>
                                        </div>
                                        <FormError error=error_of(deliver.value())/>
                                        <SubmitButton label=p.deliver pending=deliver.pending()/>
                                    </ActionForm>
                                }})}
                                {m.can_object.then(|| { let id = campaign_id.clone(); view! {
                                    <ActionForm action=object attr:class="inline">
                                        <CsrfField/><input type="hidden" name="campaign_id" value=id/>
                                        <SubmitButton label=p.object pending=object.pending()/>
                                        <FormError error=error_of(object.value())/>
                                    </ActionForm>
                                }})}
                            </div>
                        }
                    })
                })
            }}
        </Suspense>
    }
}
