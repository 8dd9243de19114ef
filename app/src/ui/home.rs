//! The home page: what Cohort is, and the creators already here.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::accounts::api::list_creators;
use crate::i18n::t;

#[component]
pub fn HomePage() -> impl IntoView {
    let s = t();
    let creators = Resource::new(|| (), |_| list_creators());
    view! {
        <Title text=""/>
        <section class="hero">
            <p class="eyebrow">{s.tagline}</p>
            <h1>{s.home_title}</h1>
            <p class="lead">{s.home_lead}</p>
            <a class="button primary" href="/signup">{s.home_cta}</a>
        </section>
        <section class="pillars" aria-label=s.tagline>
            <article>
                <h2>{s.home_fund}</h2>
                <p>{s.home_fund_body}</p>
            </article>
            <article>
                <h2>{s.home_deliver}</h2>
                <p>{s.home_deliver_body}</p>
            </article>
            <article>
                <h2>{s.home_grow}</h2>
                <p>{s.home_grow_body}</p>
            </article>
        </section>
        <crate::campaigns::pages::HomeCampaigns/>
        <section class="creators">
            <h2>{s.home_creators}</h2>
            <Suspense fallback=move || view! { <p class="muted">{s.loading}</p> }>
                {move || Suspend::new(async move {
                    let list = creators.await.unwrap_or_default();
                    if list.is_empty() {
                        view! { <p class="empty-state">{s.home_no_creators}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="creator-grid">
                                {list
                                    .into_iter()
                                    .map(|c| {
                                        let href = format!("/u/{}", c.handle);
                                        let initial = c.display_name.as_str().chars().next().unwrap_or('?').to_string();
                                        view! {
                                            <li class="creator-card">
                                                <a href=href>
                                                    {match c.avatar_url {
                                                        Some(src) => view! { <img class="avatar" src=src alt=""/> }.into_any(),
                                                        None => view! { <span class="avatar placeholder" aria-hidden="true">{initial}</span> }.into_any(),
                                                    }}
                                                    <span class="name">{c.display_name.to_string()}</span>
                                                    <span class="handle">"@"{c.handle.to_string()}</span>
                                                </a>
                                                <p class="bio">{c.bio.to_string()}</p>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}
