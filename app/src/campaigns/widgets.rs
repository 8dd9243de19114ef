//! Pieces the campaign pages share: cards, the progress block, the share button, time left.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::model::{percent, CampaignCard};
use super::rules::CampaignState;
use crate::i18n::t;
use crate::money::Money;

/// "12 days left", "5 hours left", or the final state.
pub fn time_left(state: CampaignState, ends_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let c = t().campaign;
    match state {
        CampaignState::Live => {
            let left = ends_at - now;
            if left.num_days() >= 2 {
                format!("{}{}", left.num_days(), c.days_left)
            } else if left.num_hours() >= 1 {
                format!("{}{}", left.num_hours(), c.hours_left)
            } else {
                c.ending_now.to_string()
            }
        }
        other => c.state_label(other).to_string(),
    }
}

#[component]
pub fn ProgressBar(#[prop(into)] pledged: Signal<Money>, goal: Money) -> impl IntoView {
    let pct = move || percent(pledged.get(), goal);
    view! {
        <div class="progress" role="progressbar" aria-label=t().campaign.progress_label aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=move || pct().min(100).to_string() aria-valuetext=move || format!("{}%", pct())>
            <span class="progress-fill" style=move || format!("width: {}%", pct().min(100))></span>
        </div>
    }
}

/// Keeps `pledged` and `backers` current while the page is open (every 30 s, browser only).
pub fn poll_progress(id: String, pledged: RwSignal<Money>, backers: RwSignal<u64>) {
    Effect::new(move |_| {
        let id = id.clone();
        let tick = move || {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                if let Ok((p, b)) = super::api::campaign_progress(id).await {
                    pledged.set(p);
                    backers.set(b);
                }
            });
        };
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(30)) {
            on_cleanup(move || handle.clear());
        }
    });
}

#[component]
pub fn CampaignCardView(card: CampaignCard) -> impl IntoView {
    let c = t().campaign;
    let href = format!("/c/{}", card.slug);
    let pct = card.percent();
    let left = time_left(card.state, card.ends_at, Utc::now());
    let category = c.category(card.category);
    view! {
        <li class="campaign-card">
            <a href=href>
                {match card.cover_url.clone() {
                    Some(src) => view! { <img class="cover" src=src alt="" loading="lazy" width="400" height="225"/> }.into_any(),
                    None => view! { <span class="cover placeholder" aria-hidden="true">{card.title.chars().next().unwrap_or('◆').to_string()}</span> }.into_any(),
                }}
                <span class="card-category">{category}</span>
                <span class="card-title">{card.title.clone()}</span>
            </a>
            <p class="card-pitch">{card.pitch.clone()}</p>
            <p class="card-creator">{c.by}" "{card.creator_name.clone()}</p>
            <ProgressBar pledged=card.pledged goal=card.goal/>
            <p class="card-stats">
                <strong>{card.pledged.to_string()}</strong>
                " · "{format!("{pct}%")}" · "{left}
            </p>
        </li>
    }
}

#[component]
pub fn CardGrid(cards: Vec<CampaignCard>, #[prop(into)] empty: String) -> impl IntoView {
    if cards.is_empty() {
        return view! { <p class="empty-state">{empty}</p> }.into_any();
    }
    view! {
        <ul class="campaign-grid">
            {cards.into_iter().map(|card| view! { <CampaignCardView card/> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Shares through the phone's share sheet where there is one; elsewhere copies the link and
/// offers compose links. Works without WebAssembly too (the links are plain links).
#[component]
pub fn ShareButton(url: String, title: String) -> impl IntoView {
    let c = t().campaign;
    let status = RwSignal::new(None::<&'static str>);
    let encoded_url = crate::ui::url_encode(&url);
    let encoded_text = crate::ui::url_encode(&title);
    let x = format!("https://x.com/intent/post?url={encoded_url}&text={encoded_text}");
    let weibo =
        format!("https://service.weibo.com/share/share.php?url={encoded_url}&title={encoded_text}");
    let mail = format!("mailto:?subject={encoded_text}&body={encoded_url}");
    let (share_url, share_title) = (url.clone(), title.clone());
    let on_share = move |_| {
        let done = share_natively(&share_title, &share_url);
        status.set(Some(if done { c.shared } else { c.link_copied }));
    };
    view! {
        <div class="share">
            <button type="button" class="button" on:click=on_share>{c.share}</button>
            <a class="share-link" href=x rel="noopener" target="_blank">"X"</a>
            <a class="share-link" href=weibo rel="noopener" target="_blank">{c.weibo}</a>
            <a class="share-link" href=mail>{c.email}</a>
            <input class="share-url" readonly value=url aria-label=c.share_link_label/>
            <p class="share-status" role="status">{move || status.get()}</p>
        </div>
    }
}

/// Opens the Web Share sheet when the browser has one (phones), else copies to the clipboard.
/// Both APIs are looked up at run time, so browsers without them just fall through.
#[cfg(feature = "hydrate")]
fn share_natively(title: &str, url: &str) -> bool {
    use wasm_bindgen::{JsCast, JsValue};
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator: JsValue = window.navigator().into();
    let get = |obj: &JsValue, key: &str| js_sys::Reflect::get(obj, &JsValue::from_str(key)).ok();
    if let Some(share) =
        get(&navigator, "share").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let data = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&data, &"title".into(), &title.into());
        let _ = js_sys::Reflect::set(&data, &"url".into(), &url.into());
        if share.call1(&navigator, &data).is_ok() {
            return true;
        }
    }
    if let Some(clipboard) = get(&navigator, "clipboard") {
        if let Some(write) =
            get(&clipboard, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        {
            let _ = write.call1(&clipboard, &url.into());
        }
    }
    false
}

#[cfg(not(feature = "hydrate"))]
fn share_natively(_title: &str, _url: &str) -> bool {
    false
}

/// A date in the reader's calendar style.
pub fn short_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}
