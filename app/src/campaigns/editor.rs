//! The campaign editor. The whole draft lives in one signal; every change is saved a moment
//! after typing stops (autosave), and the checklist shows what still blocks submission.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{self, save_campaign, submit_campaign};
use super::model::{
    CampaignDraft, CampaignMode, Category, EditorData, FaqItem, Grant, MilestoneDraft,
    StretchDraft, TierDraft,
};
use super::rules::CampaignState;
use crate::error::AppError;
use crate::i18n::t;
use crate::money::Currency;
use crate::ui::CsrfField;

#[component]
pub fn EditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let data = Resource::new(id, api::load_editor);
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Editor d/> }.into_any(),
                    Err(AppError::Unauthenticated) => view! { <p class="page"><a href="/login">{t().nav_login}</a></p> }.into_any(),
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A text input bound to one string in the draft. The value is set once when the row renders
/// (not reactively), so typing never fights the cursor.
#[component]
fn Text(
    id: String,
    label: &'static str,
    value: String,
    on_input: impl Fn(String) + 'static,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type=kind value=value placeholder=placeholder
                aria-describedby=hint.map(|_| hint_id.clone())
                on:input=move |ev| on_input(event_target_value(&ev))/>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
        </div>
    }
}

#[component]
fn Area(
    id: String,
    label: &'static str,
    value: String,
    on_input: impl Fn(String) + 'static,
    #[prop(default = 4)] rows: u32,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <textarea id=id rows=rows aria-describedby=hint.map(|_| hint_id.clone())
                on:input=move |ev| on_input(event_target_value(&ev))>{value}</textarea>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
        </div>
    }
}

#[component]
fn Editor(d: EditorData) -> impl IntoView {
    let c = t().campaign;
    let csrf = use_context::<crate::ui::Csrf>()
        .map(|c| c.0)
        .unwrap_or_default();
    let id = d.id.clone();
    let draft = RwSignal::new(d.draft.clone());
    let problems = RwSignal::new(d.problems.clone());
    let state = RwSignal::new(d.state);
    let saved_at = RwSignal::new(None::<String>);
    let save_error = RwSignal::new(None::<AppError>);
    let dirty = RwSignal::new(0u32);
    let terms_locked = !d.state.terms_editable();

    let (save_csrf, save_id) = (csrf.clone(), id.clone());
    let save = Action::new(move |draft: &CampaignDraft| {
        let (csrf, id, draft) = (save_csrf.clone(), save_id.clone(), draft.clone());
        async move { save_campaign(csrf, id, draft).await }
    });
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(outcome) => {
                    problems.set(outcome.problems);
                    saved_at.set(Some(outcome.saved_at.format("%H:%M:%S").to_string()));
                    save_error.set(None);
                    if state.get_untracked() == CampaignState::Rejected {
                        state.set(CampaignState::Draft);
                    }
                }
                Err(e) => save_error.set(Some(e)),
            }
        }
    });
    // Autosave: each edit bumps `dirty`; a save runs 1.2 s after the last one.
    Effect::new(move |_| {
        let generation = dirty.get();
        if generation == 0 {
            return;
        }
        set_timeout(
            move || {
                if dirty.get_untracked() == generation {
                    save.dispatch(draft.get_untracked());
                }
            },
            std::time::Duration::from_millis(1200),
        );
    });
    let edit = move |f: Box<dyn FnOnce(&mut CampaignDraft)>| {
        draft.update(|d| f(d));
        dirty.update(|n| *n += 1);
    };

    let (submit_csrf, submit_id) = (csrf.clone(), id.clone());
    let submit = Action::new(move |_: &()| {
        let (csrf, id) = (submit_csrf.clone(), submit_id.clone());
        async move { submit_campaign(csrf, id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = submit.value().get() {
            state.set(CampaignState::InReview);
        }
    });

    let preview = format!("/c/{}", d.draft.slug);
    let cover_action = format!("/campaigns/{id}/cover");
    let query = use_query_map();
    let cover_note = query
        .with_untracked(|q| q.get("cover"))
        .map(|v| match v.as_str() {
            "ok" => (false, c.cover_saved),
            "size" => (
                true,
                t().campaign
                    .problem(super::model::CampaignProblem::CoverSize),
            ),
            _ => (
                true,
                t().campaign
                    .problem(super::model::CampaignProblem::CoverType),
            ),
        });
    let v = d.draft.clone();
    let fee = format!("{}.{:02}%", d.fee_bps / 100, d.fee_bps % 100);

    view! {
        <Title text=c.editor_title/>
        <section class="page editor">
            <h1>{c.editor_title}</h1>
            <div class="editor-bar" role="region" aria-label=c.save_status>
                <span class=move || format!("state state-{:?}", state.get()).to_lowercase()>{move || c.state_label(state.get())}</span>
                <span class="muted" role="status" aria-live="polite">
                    {move || if save.pending().get() { c.saving.to_string() } else { saved_at.get().map(|at| format!("{} {at}", c.saved_at)).unwrap_or_default() }}
                </span>
                <button type="button" class="button small" on:click=move |_| { save.dispatch(draft.get_untracked()); }>{c.save_now}</button>
                <a class="button small" href=preview target="_blank">{c.preview}</a>
                <button type="button" class="button primary small"
                    disabled=move || !problems.with(|p| p.is_empty()) || state.get() != CampaignState::Draft || submit.pending().get()
                    on:click=move |_| { submit.dispatch(()); }>{c.submit_review}</button>
            </div>
            {d.reject_reason.clone().filter(|_| d.state == CampaignState::Rejected).map(|r| view! {
                <p class="banner ended bad" role="alert">{c.rejected_because}" "{r}</p>
            })}
            {move || save_error.get().map(|e| view! { <p class="form-error" role="alert">{t().error(&e)}</p> })}
            {move || submit.value().get().and_then(|r| r.err()).map(|e| view! { <p class="form-error" role="alert">{t().error(&e)}</p> })}
            {move || (state.get() == CampaignState::InReview).then(|| view! { <p class="form-status" role="status">{c.submitted}</p> })}
            <div class="checklist" aria-live="polite">
                {move || {
                    let list = problems.get();
                    if list.is_empty() {
                        view! { <p class="badge good">{c.ready_to_submit}</p> }.into_any()
                    } else {
                        view! {
                            <details open><summary>{c.to_fix}" ("{list.len()}")"</summary>
                                <ul>{list.into_iter().map(|p| view! { <li>{t().campaign.problem(p)}</li> }).collect_view()}</ul>
                            </details>
                        }.into_any()
                    }
                }}
            </div>

            <fieldset class="card stack">
                <legend>{c.basics}</legend>
                <Text id="ed-title".into() label=c.field_title value=v.title.clone() on_input=move |x| edit(Box::new(move |d| d.title = x))/>
                <Text id="ed-slug".into() label=c.field_slug value=v.slug.clone() hint=c.hint_slug on_input=move |x| edit(Box::new(move |d| d.slug = x))/>
                <Area id="ed-pitch".into() label=c.field_pitch value=v.pitch.clone() rows=2 hint=c.hint_pitch on_input=move |x| edit(Box::new(move |d| d.pitch = x))/>
                <div class="field">
                    <label for="ed-category">{c.category_label}</label>
                    <select id="ed-category" on:change=move |ev| { let x = event_target_value(&ev); edit(Box::new(move |d| d.category = Category::parse(&x).unwrap_or_default())) }>
                        {Category::ALL.into_iter().map(|cat| view! { <option value=cat.key() selected=v.category == cat>{c.category(cat)}</option> }).collect_view()}
                    </select>
                </div>
                <Text id="ed-tags".into() label=c.field_tags value=v.tags.clone() hint=c.hint_tags on_input=move |x| edit(Box::new(move |d| d.tags = x))/>
            </fieldset>

            <fieldset class="card stack">
                <legend>{c.story}</legend>
                <Area id="ed-story".into() label=c.field_story value=v.story.clone() rows=14 hint=c.hint_story on_input=move |x| edit(Box::new(move |d| d.story = x))/>
            </fieldset>

            <fieldset class="card stack">
                <legend>{c.media}</legend>
                {d.cover_url.clone().map(|src| view! { <img class="cover preview-cover" src=src alt=c.current_cover width="320" height="180"/> })}
                {cover_note.map(|(bad, msg)| view! { <p class=if bad { "form-error" } else { "form-status" } role="status">{msg}</p> })}
                <form method="post" action=cover_action enctype="multipart/form-data" class="upload-form">
                    <CsrfField/>
                    <label for="ed-cover">{c.field_cover}</label>
                    <input id="ed-cover" type="file" name="cover" accept="image/png,image/jpeg,image/webp,image/gif" aria-describedby="ed-cover-hint"/>
                    <p class="hint" id="ed-cover-hint">{c.hint_cover}</p>
                    <button type="submit" class="button small">{c.upload_cover}</button>
                </form>
                <Text id="ed-video".into() label=c.field_video value=v.video_url.clone() kind="url" hint=c.hint_video on_input=move |x| edit(Box::new(move |d| d.video_url = x))/>
            </fieldset>

            <fieldset class="card stack" disabled=terms_locked>
                <legend>{c.funding}</legend>
                {terms_locked.then(|| view! { <p class="hint">{c.terms_locked_note}</p> })}
                <div class="field">
                    <label for="ed-currency">{c.field_currency}</label>
                    <select id="ed-currency" on:change=move |ev| { let x = event_target_value(&ev); edit(Box::new(move |d| d.currency = Currency::parse(&x))) }>
                        {Currency::ALL.into_iter().map(|cur| view! { <option value=cur.code() selected=v.currency == Some(cur)>{cur.code()}</option> }).collect_view()}
                    </select>
                </div>
                <Text id="ed-goal".into() label=c.goal value=v.goal.clone() hint=c.hint_goal on_input=move |x| edit(Box::new(move |d| d.goal = x))/>
                <div class="row">
                    <Text id="ed-start".into() label=c.field_start value=v.starts_on.clone() kind="date" on_input=move |x| edit(Box::new(move |d| d.starts_on = x))/>
                    <Text id="ed-end".into() label=c.field_end value=v.ends_on.clone() kind="date" hint=c.hint_dates on_input=move |x| edit(Box::new(move |d| d.ends_on = x))/>
                </div>
                <div class="field" role="radiogroup" aria-labelledby="ed-mode-label">
                    <p id="ed-mode-label" class="label">{c.field_mode}</p>
                    {CampaignMode::ALL.into_iter().map(|m| view! {
                        <label class="check">
                            <input type="radio" name="mode" value=m.key() checked=v.mode == m
                                on:change=move |_| edit(Box::new(move |d| d.mode = m))/>
                            " "<strong>{c.mode_label(m)}</strong>" — "{c.mode_help(m)}
                        </label>
                    }).collect_view()}
                </div>
                <p class="hint">{c.fee_note}" "<strong>{fee}</strong></p>
            </fieldset>

            <TierEditor draft edit/>
            <StretchEditor draft edit/>
            <Show when=move || draft.with(|d| d.mode == CampaignMode::Milestone)>
                <MilestoneEditor draft edit/>
            </Show>
            <FaqEditor draft edit/>
        </section>
    }
}

type Edit = Callback<Box<dyn FnOnce(&mut CampaignDraft)>>;

/// Rows re-render only when their count changes, so typing in one row keeps focus.
fn row_count(draft: RwSignal<CampaignDraft>, f: fn(&CampaignDraft) -> usize) -> Memo<usize> {
    Memo::new(move |_| draft.with(f))
}

#[component]
fn TierEditor(draft: RwSignal<CampaignDraft>, #[prop(into)] edit: Edit) -> impl IntoView {
    let c = t().campaign;
    let count = row_count(draft, |d| d.tiers.len());
    view! {
        <fieldset class="card stack">
            <legend>{c.rewards}</legend>
            {move || (0..count.get()).map(|i| {
                let tier = draft.with_untracked(|d| d.tiers.get(i).cloned()).unwrap_or_default();
                let grants = tier.grants;
                view! {
                    <div class="repeat-row">
                        <h3>{c.tier}" "{i + 1}</h3>
                        <Text id=format!("tier-{i}-title") label=c.field_title value=tier.title on_input=move |x| edit.run(Box::new(move |d| if let Some(t) = d.tiers.get_mut(i) { t.title = x }))/>
                        <Area id=format!("tier-{i}-desc") label=c.field_description value=tier.description rows=2 on_input=move |x| edit.run(Box::new(move |d| if let Some(t) = d.tiers.get_mut(i) { t.description = x }))/>
                        <div class="row">
                            <Text id=format!("tier-{i}-min") label=c.field_min_amount value=tier.min_amount on_input=move |x| edit.run(Box::new(move |d| if let Some(t) = d.tiers.get_mut(i) { t.min_amount = x }))/>
                            <Text id=format!("tier-{i}-qty") label=c.field_quantity value=tier.quantity hint=c.hint_quantity on_input=move |x| edit.run(Box::new(move |d| if let Some(t) = d.tiers.get_mut(i) { t.quantity = x }))/>
                            <Text id=format!("tier-{i}-delivery") label=c.field_delivery value=tier.delivery kind="month" on_input=move |x| edit.run(Box::new(move |d| if let Some(t) = d.tiers.get_mut(i) { t.delivery = x }))/>
                        </div>
                        <div class="field">
                            <label for=format!("tier-{i}-grants")>{c.field_grants}</label>
                            <select id=format!("tier-{i}-grants") on:change=move |ev| { let x = event_target_value(&ev); edit.run(Box::new(move |d| if let Some(t) = d.tiers.get_mut(i) { t.grants = Grant::parse(&x).unwrap_or_default() })) }>
                                {Grant::ALL.into_iter().map(|g| view! { <option value=g.key() selected=grants == g>{c.grant_label(g)}</option> }).collect_view()}
                            </select>
                        </div>
                        <button type="button" class="link-button" on:click=move |_| edit.run(Box::new(move |d| { if i < d.tiers.len() { d.tiers.remove(i); } }))>{c.remove}</button>
                    </div>
                }
            }).collect_view()}
            <button type="button" class="button small" on:click=move |_| edit.run(Box::new(|d| d.tiers.push(TierDraft::default())))>{c.add_tier}</button>
        </fieldset>
    }
}

#[component]
fn StretchEditor(draft: RwSignal<CampaignDraft>, #[prop(into)] edit: Edit) -> impl IntoView {
    let c = t().campaign;
    let count = row_count(draft, |d| d.stretch_goals.len());
    view! {
        <fieldset class="card stack">
            <legend>{c.stretch_goals}</legend>
            <p class="hint">{c.hint_stretch}</p>
            {move || (0..count.get()).map(|i| {
                let g = draft.with_untracked(|d| d.stretch_goals.get(i).cloned()).unwrap_or_default();
                view! {
                    <div class="repeat-row row">
                        <Text id=format!("stretch-{i}-amount") label=c.field_amount value=g.amount on_input=move |x| edit.run(Box::new(move |d| if let Some(s) = d.stretch_goals.get_mut(i) { s.amount = x }))/>
                        <Text id=format!("stretch-{i}-title") label=c.field_unlocks value=g.title on_input=move |x| edit.run(Box::new(move |d| if let Some(s) = d.stretch_goals.get_mut(i) { s.title = x }))/>
                        <button type="button" class="link-button" on:click=move |_| edit.run(Box::new(move |d| { if i < d.stretch_goals.len() { d.stretch_goals.remove(i); } }))>{c.remove}</button>
                    </div>
                }
            }).collect_view()}
            <button type="button" class="button small" on:click=move |_| edit.run(Box::new(|d| d.stretch_goals.push(StretchDraft::default())))>{c.add_stretch}</button>
        </fieldset>
    }
}

#[component]
fn MilestoneEditor(draft: RwSignal<CampaignDraft>, #[prop(into)] edit: Edit) -> impl IntoView {
    let c = t().campaign;
    let count = row_count(draft, |d| d.milestones.len());
    view! {
        <fieldset class="card stack">
            <legend>{c.milestones}</legend>
            <p class="hint">{c.hint_milestones}</p>
            {move || (0..count.get()).map(|i| {
                let m = draft.with_untracked(|d| d.milestones.get(i).cloned()).unwrap_or_default();
                view! {
                    <div class="repeat-row">
                        <div class="row">
                            <Text id=format!("ms-{i}-share") label=c.field_share value=m.share on_input=move |x| edit.run(Box::new(move |d| if let Some(s) = d.milestones.get_mut(i) { s.share = x }))/>
                            <Text id=format!("ms-{i}-due") label=c.field_due value=m.due kind="date" on_input=move |x| edit.run(Box::new(move |d| if let Some(s) = d.milestones.get_mut(i) { s.due = x }))/>
                        </div>
                        <Text id=format!("ms-{i}-desc") label=c.field_description value=m.description on_input=move |x| edit.run(Box::new(move |d| if let Some(s) = d.milestones.get_mut(i) { s.description = x }))/>
                        <button type="button" class="link-button" on:click=move |_| edit.run(Box::new(move |d| { if i < d.milestones.len() { d.milestones.remove(i); } }))>{c.remove}</button>
                    </div>
                }
            }).collect_view()}
            <button type="button" class="button small" on:click=move |_| edit.run(Box::new(|d| d.milestones.push(MilestoneDraft::default())))>{c.add_milestone}</button>
        </fieldset>
    }
}

#[component]
fn FaqEditor(draft: RwSignal<CampaignDraft>, #[prop(into)] edit: Edit) -> impl IntoView {
    let c = t().campaign;
    let count = row_count(draft, |d| d.faq.len());
    view! {
        <fieldset class="card stack">
            <legend>{c.faq}</legend>
            {move || (0..count.get()).map(|i| {
                let f = draft.with_untracked(|d| d.faq.get(i).cloned()).unwrap_or_default();
                view! {
                    <div class="repeat-row">
                        <Text id=format!("faq-{i}-q") label=c.field_question value=f.question on_input=move |x| edit.run(Box::new(move |d| if let Some(s) = d.faq.get_mut(i) { s.question = x }))/>
                        <Area id=format!("faq-{i}-a") label=c.field_answer value=f.answer rows=2 on_input=move |x| edit.run(Box::new(move |d| if let Some(s) = d.faq.get_mut(i) { s.answer = x }))/>
                        <button type="button" class="link-button" on:click=move |_| edit.run(Box::new(move |d| { if i < d.faq.len() { d.faq.remove(i); } }))>{c.remove}</button>
                    </div>
                }
            }).collect_view()}
            <button type="button" class="button small" on:click=move |_| edit.run(Box::new(|d| d.faq.push(FaqItem::default())))>{c.add_faq}</button>
        </fieldset>
    }
}
