//! `/admin/reports`: the queue an admin works through, one card per reported item, with a live
//! region saying what the last action did.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::text::text;
use super::{report_queue, DismissReports, HideReported, ReportedItem};
use crate::error::AppError;
use crate::i18n::t;
use crate::ui::CsrfField;

#[component]
pub fn ReportsPage() -> impl IntoView {
    let r = text();
    let hide = ServerAction::<HideReported>::new();
    let dismiss = ServerAction::<DismissReports>::new();
    let queue = Resource::new(
        move || (hide.version().get(), dismiss.version().get()),
        |_| report_queue(),
    );
    // What the last action did, whichever of the two it was.
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    Effect::new(move |_| {
        if let Some(res) = hide.value().get() {
            outcome.set(Some(res.map(|n| r.hidden_done(n))));
        }
    });
    Effect::new(move |_| {
        if let Some(res) = dismiss.value().get() {
            outcome.set(Some(res.map(|n| r.dismissed_done(n))));
        }
    });
    let busy = Signal::derive(move || hide.pending().get() || dismiss.pending().get());
    view! {
        <Title text=r.title/>
        <section class="page reports-page">
            <h1>{r.title}</h1>
            <p class="muted">{r.intro}</p>
            <div class="reports-live" role="status" aria-live="polite">
                {move || match outcome.get() {
                    Some(Ok(m)) => Some(view! { <p class="form-status">{m}</p> }),
                    _ => None,
                }}
            </div>
            <div class="reports-live" role="alert">
                {move || match outcome.get() {
                    Some(Err(e)) => Some(view! { <p class="form-error">{t().error(&e)}</p> }),
                    _ => None,
                }}
            </div>
            <Transition fallback=move || view! { <p aria-busy="true">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match queue.await {
                        Err(AppError::Forbidden) => view! { <p class="form-error" role="alert">{t().err_admin_only}</p> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                        Ok(items) if items.is_empty() => view! { <p class="empty-state">{r.empty}</p> }.into_any(),
                        Ok(items) => view! {
                            <ul class="report-list" role="list">
                                {items.into_iter().map(|item| view! { <ReportCard item hide dismiss busy/> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ReportCard(
    item: ReportedItem,
    hide: ServerAction<HideReported>,
    dismiss: ServerAction<DismissReports>,
    busy: Signal<bool>,
) -> impl IntoView {
    let r = text();
    let kind = item.kind.table();
    let heading_id = format!("report-{kind}-{}", item.id);
    let labelled_by = heading_id.clone();
    let name = match &item.content {
        Some(c) => r.item(item.kind, &c.author_name),
        None => r.kind(item.kind).to_string(),
    };
    let target = format!("{}{name}", r.sep);
    let can_hide = item.content.as_ref().is_some_and(|c| !c.hidden);
    let shown = item.reasons.iter().map(|x| x.count).sum::<u32>();
    let more = item.reports.saturating_sub(shown);
    let (hide_id, dismiss_id) = (item.id.clone(), item.id.clone());
    let hide_target = target.clone();
    view! {
        <li>
            <article class="card report-item" aria-labelledby=labelled_by>
                <h2 id=heading_id>{name}</h2>
                {match item.content.clone() {
                    None => view! { <p class="muted">{r.gone}</p> }.into_any(),
                    Some(c) => view! {
                        {c.rating.map(|n| view! {
                            <p class="report-rating">
                                <span aria-hidden="true">{"★".repeat(usize::from(n))}{"☆".repeat(5usize.saturating_sub(usize::from(n)))}</span>
                                <span class="visually-hidden">{format!("{n} / 5")}</span>
                            </p>
                        })}
                        <blockquote class="report-excerpt">{c.excerpt}</blockquote>
                        <dl class="report-facts">
                            <dt>{r.author}</dt>
                            <dd><a href=format!("/u/{}", c.author_handle)>{c.author_name}</a></dd>
                            <dt>{r.location}</dt>
                            <dd><a href=c.place_url>{c.place_title}</a></dd>
                            <dt>{r.status}</dt>
                            <dd>{if c.hidden { view! { <span class="badge">{r.hidden_now}</span> }.into_any() } else { view! { <span>{r.visible_now}</span> }.into_any() }}</dd>
                        </dl>
                    }.into_any(),
                }}
                <dl class="report-facts">
                    <dt>{r.reported}</dt>
                    <dd>{r.people(item.reports)}</dd>
                    <dt>{r.reasons}</dt>
                    <dd>
                        <ul class="report-reasons">
                            {item.reasons.into_iter().map(|x| {
                                let reason = if x.reason.is_empty() { r.no_reason.to_string() } else { x.reason };
                                view! { <li>{reason}{(x.count > 1).then(|| format!(" ×{}", x.count))}</li> }
                            }).collect_view()}
                            {(more > 0).then(|| view! { <li class="muted">{r.more_reasons(more)}</li> })}
                        </ul>
                    </dd>
                    <dt>{r.first_reported}</dt>
                    <dd><time datetime=item.first_reported.to_rfc3339()>{item.first_reported.format("%Y-%m-%d %H:%M UTC").to_string()}</time></dd>
                </dl>
                <div class="report-actions">
                    {can_hide.then(|| view! {
                        <ActionForm action=hide>
                            <CsrfField/>
                            <input type="hidden" name="kind" value=kind/>
                            <input type="hidden" name="id" value=hide_id/>
                            <button type="submit" class="button primary" disabled=move || busy.get()>
                                {r.hide}<span class="visually-hidden">{hide_target}</span>
                            </button>
                        </ActionForm>
                    })}
                    <ActionForm action=dismiss>
                        <CsrfField/>
                        <input type="hidden" name="kind" value=kind/>
                        <input type="hidden" name="id" value=dismiss_id/>
                        <button type="submit" class="button" disabled=move || busy.get()>
                            {r.dismiss}<span class="visually-hidden">{target}</span>
                        </button>
                    </ActionForm>
                </div>
            </article>
        </li>
    }
}
