//! The creator dashboard: the pledge curve with the forecast drawn on, tiers, referral sources
//! and conversion. Charts are plain SVG, drawn on the server and readable without WebAssembly.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api;
use super::model::DashboardData;
use crate::error::AppError;
use crate::i18n::t;
use crate::money::Money;

const W: f64 = 640.0;
const H: f64 = 240.0;
const PAD: f64 = 36.0;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let data = Resource::new(id, api::campaign_dashboard);
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Dashboard d/> }.into_any(),
                    Err(AppError::Unauthenticated) => view! { <p class="page"><a href="/login">{t().nav_login}</a></p> }.into_any(),
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The polyline of the cumulative curve and, when there is a forecast, the fitted curve to the
/// deadline with its band. Coordinates in a `W`×`H` box.
pub fn chart_paths(d: &DashboardData) -> (String, Option<(String, String)>, f64, f64) {
    let days = d.duration_days.max(1) as f64;
    let goal = d.card.goal.minor as f64;
    let top = d
        .daily_totals
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(d.card.goal.minor) as f64;
    let top = d
        .forecast
        .as_ref()
        .map(|f| f.high.max(top))
        .unwrap_or(top)
        .max(1.0)
        * 1.05;
    let x = |day: f64| PAD + (W - 2.0 * PAD) * day / days;
    let y = |v: f64| H - PAD - (H - 2.0 * PAD) * v / top;
    let mut actual = format!("{:.1},{:.1}", x(0.0), y(0.0));
    for (i, v) in d.daily_totals.iter().enumerate() {
        actual.push_str(&format!(" {:.1},{:.1}", x(i as f64 + 1.0), y(*v as f64)));
    }
    let projected = d.forecast.as_ref().map(|f| {
        let mut line = String::new();
        for step in 0..=40 {
            let day = days * step as f64 / 40.0;
            let v = f.level * (1.0 - (-f.rate_per_day * day).exp());
            line.push_str(&format!("{:.1},{:.1} ", x(day), y(v)));
        }
        let band = format!(
            "{:.1},{:.1} {:.1},{:.1}",
            x(days),
            y(f.low),
            x(days),
            y(f.high)
        );
        (line.trim_end().to_string(), band)
    });
    (actual, projected, y(goal), top)
}

#[component]
fn Dashboard(d: DashboardData) -> impl IntoView {
    let c = t().campaign;
    let (actual, projected, goal_y, top) = chart_paths(&d);
    let top_label = Money::new(top.round() as i64, d.card.goal.currency).to_string();
    let currency = d.card.goal.currency;
    let conversion = if d.visits > 0 {
        format!("{:.1}%", d.card.backers as f64 * 100.0 / d.visits as f64)
    } else {
        "—".to_string()
    };
    let max_tier = d
        .tier_backers
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(1)
        .max(1);
    let forecast = d.forecast.clone().map(|f| {
        let money = |v: f64| Money::new(v.round() as i64, currency).to_string();
        view! {
            <div class="forecast card">
                <h2>{c.forecast}</h2>
                <p class="stat-big"><strong>{money(f.expected)}</strong></p>
                <p>{c.forecast_range}" "{money(f.low)}" – "{money(f.high)}</p>
                <p>{c.forecast_probability}" "<strong>{format!("{:.0}%", f.p_goal * 100.0)}</strong></p>
                <p class="hint">{c.forecast_note}</p>
            </div>
        }
    });
    view! {
        <Title text=c.dashboard/>
        <section class="page dashboard">
            <h1>{c.dashboard}": "{d.card.title.clone()}</h1>
            <p><a href=format!("/c/{}", d.card.slug)>{c.view_page}</a>" · "<a href=format!("/campaigns/{}/edit", d.card.id)>{c.edit}</a></p>
            <div class="stat-grid">
                <div class="card"><p class="muted">{c.pledged_label}</p><p class="stat-big">{d.card.pledged.to_string()}</p><p class="muted">{c.pledged_of}" "{d.card.goal.to_string()}</p></div>
                <div class="card"><p class="muted">{c.backers_label}</p><p class="stat-big">{d.card.backers}</p></div>
                <div class="card"><p class="muted">{c.visits}</p><p class="stat-big">{d.visits}</p><p class="muted">{c.conversion}" "{conversion}</p></div>
                <div class="card"><p class="muted">{c.comments}</p><p class="stat-big">{d.comments}</p></div>
            </div>
            <div class="card">
                <h2 id="chart-h">{c.pledged_over_time}</h2>
                <svg class="chart" viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby="chart-h chart-desc">
                    <desc id="chart-desc">{c.chart_desc}</desc>
                    <line class="axis" x1=PAD y1=H - PAD x2=W - PAD y2=H - PAD/>
                    <line class="goal-line" x1=PAD y1=goal_y x2=W - PAD y2=goal_y/>
                    <text class="chart-label" x=W - PAD y=goal_y - 4.0 text-anchor="end">{c.goal}</text>
                    {projected.map(|(line, band)| view! {
                        <polyline class="projected" points=line/>
                        <polyline class="band" points=band/>
                    })}
                    <polyline class="actual" points=actual/>
                    <text class="chart-axis" x=PAD y=H - PAD + 18.0>{c.launch}" "{super::widgets::short_date(d.starts_at)}</text>
                    <text class="chart-axis" x=W - PAD y=H - PAD + 18.0 text-anchor="end">{c.deadline}</text>
                    <text class="chart-axis" x=PAD y=PAD - 8.0>{top_label}</text>
                </svg>
            </div>
            {forecast}
            <div class="card">
                <h2>{c.backers_per_tier}</h2>
                {if d.tier_backers.is_empty() { Some(view! { <p class="empty-state">{c.no_pledges_yet}</p> }) } else { None }}
                <ul class="bars">
                    {d.tier_backers.iter().map(|(tier, n)| {
                        let width = format!("width: {}%", n * 100 / max_tier);
                        view! { <li><span class="bar-label">{tier.clone()}</span><span class="bar"><span class="bar-fill" style=width></span></span><span class="bar-value">{*n}</span></li> }
                    }).collect_view()}
                </ul>
            </div>
            <div class="card">
                <h2>{c.referrals}</h2>
                {if d.referrals.is_empty() { Some(view! { <p class="empty-state">{c.no_referrals}</p> }) } else { None }}
                <table class="data-table">
                    <thead><tr><th scope="col">{c.source}</th><th scope="col">{c.visits}</th><th scope="col">{c.pledges}</th></tr></thead>
                    <tbody>
                        {d.referrals.iter().map(|r| view! { <tr><td>{r.source.clone()}</td><td>{r.visits}</td><td>{r.pledges}</td></tr> }).collect_view()}
                    </tbody>
                </table>
                <p class="hint">{c.referral_hint}" "<code>"?ref=…"</code></p>
            </div>
        </section>
    }
}
