//! The campaign page, discovery, the creator's list, the review queue and the unsubscribe page.

use chrono::Utc;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{self, ReviewCampaign, StartCampaign};
use super::model::{Audience, CampaignPageData, Category, RiskSignal, Sort};
use super::rules::CampaignState;
use super::talk::{self, HideComment, PostComment, PostUpdate, ReportComment};
use super::widgets::{short_date, time_left, CardGrid, ProgressBar, ShareButton};
use crate::error::AppError;
use crate::i18n::t;
use crate::ui::{error_of, CsrfField, FormError, FormStatus, NotFound, SubmitButton};

#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.with(|p| p.get("slug")).unwrap_or_default();
    let source = query.with_untracked(|q| q.get("ref"));
    let data = Resource::new(slug, move |slug| api::campaign_page(slug, source.clone()));
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <CampaignView d/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <p class="form-error page" role="alert">{t().error(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CampaignView(d: CampaignPageData) -> impl IntoView {
    let s = t();
    let c = s.campaign;
    let now = Utc::now();
    let left = time_left(d.state, d.ends_at, now);
    let pledged = RwSignal::new(d.pledged);
    let backers = RwSignal::new(d.backers);
    if d.state == CampaignState::Live {
        super::widgets::poll_progress(d.id.clone(), pledged, backers);
    }
    let goal = d.goal;
    let next_stretch = d
        .stretch_goals
        .iter()
        .find(|g| g.amount.minor > d.pledged.minor)
        .cloned();
    let preview = (!d.state.is_public()).then(|| {
        view! {
            <p class="banner preview" role="status">{c.preview_banner}</p>
        }
    });
    let final_state = matches!(
        d.state,
        CampaignState::Succeeded
            | CampaignState::Failed
            | CampaignState::Cancelled
            | CampaignState::Settling
            | CampaignState::Settled
    )
    .then(|| {
        let class = if matches!(d.state, CampaignState::Failed | CampaignState::Cancelled) {
            "banner ended bad"
        } else {
            "banner ended good"
        };
        view! { <p class=class role="status">{c.final_note(d.state)}</p> }
    });
    let owner_links = d.is_owner.then(|| {
        let edit = format!("/campaigns/{}/edit", d.id);
        let dash = format!("/campaigns/{}/dashboard", d.id);
        let ledger = format!("/campaigns/{}/ledger", d.id);
        view! {
            <p class="owner-links">
                <a class="button small" href=edit>{c.edit}</a>
                <a class="button small" href=dash>{c.dashboard}</a>
                <a class="button small" href=ledger>{t().pay.ledger}</a>
            </p>
        }
    });
    let description = d.pitch.clone();
    let title = d.title.clone();
    let share_url = d.canonical_url.clone();
    // A visitor who came through a shared link keeps its source on the pledge.
    let reference = use_query_map().with_untracked(|q| q.get("ref"));
    let pledge_href = match reference {
        Some(r) => format!("/c/{}/pledge?ref={}", d.slug, crate::ui::url_encode(&r)),
        None => format!("/c/{}/pledge", d.slug),
    };
    view! {
        <Title text=d.title.clone()/>
        <Meta name="description" content=description.clone()/>
        <Link rel="canonical" href=d.canonical_url.clone()/>
        <Meta property="og:type" content="website"/>
        <Meta property="og:site_name" content="Cohort"/>
        <Meta property="og:title" content=title.clone()/>
        <Meta property="og:description" content=description.clone()/>
        <Meta property="og:url" content=d.canonical_url.clone()/>
        <Meta property="og:image" content=d.og_image_url.clone()/>
        <Meta property="og:image:width" content="1200"/>
        <Meta property="og:image:height" content="630"/>
        <Meta name="twitter:card" content="summary_large_image"/>
        <Meta name="twitter:title" content=title.clone()/>
        <Meta name="twitter:description" content=description/>
        <Meta name="twitter:image" content=d.og_image_url.clone()/>
        <article class="campaign page">
            {preview}
            {final_state}
            <header class="campaign-head">
                <p class="eyebrow">{c.category(d.category)}" · "{c.mode_label(d.mode)}</p>
                <h1>{d.title.clone()}</h1>
                <p class="lead">{d.pitch.clone()}</p>
                {owner_links}
            </header>
            // On a phone the funding panel sits below the cover: this bar keeps the amount, the
            // time left and the call to action in view from the first screen on (CSS shows it
            // below 40rem only).
            {(d.state == CampaignState::Live && !d.is_owner).then(|| { let left = left.clone(); let href = pledge_href.clone(); view! {
                <div class="pledge-bar">
                    <p><strong>{move || pledged.get().to_string()}</strong><span class="muted">" · "{left}</span></p>
                    <a class="button primary" href=href>{t().pay.back_this}</a>
                </div>
            }})}
            <div class="campaign-top">
                <div class="campaign-media">
                    {match d.cover_url.clone() {
                        Some(src) => view! { <img class="cover large" src=src alt="" width="800" height="450"/> }.into_any(),
                        None => view! { <div class="cover large placeholder" aria-hidden="true">"◆"</div> }.into_any(),
                    }}
                    {d.video_url.clone().map(|v| view! { <p><a href=v rel="noopener nofollow">{c.watch_video}</a></p> })}
                </div>
                <aside class="campaign-stats" aria-label=c.funding>
                    <ProgressBar pledged=pledged goal=d.goal/>
                    <p class="stat-big" aria-live="polite"><strong>{move || pledged.get().to_string()}</strong></p>
                    <p class="muted">{c.pledged_of}" "{d.goal.to_string()}" · "{move || format!("{}%", super::model::percent(pledged.get(), goal))}</p>
                    <p class="stat"><strong>{move || backers.get()}</strong>" "{c.backers}</p>
                    <p class="stat"><strong>{left}</strong></p>
                    {next_stretch.map(|g| view! { <p class="stretch-next">{c.next_stretch}" "{g.amount.to_string()}": "{g.title}</p> })}
                    {d.viewer_is_backer.then(|| view! { <p class="badge">{c.you_backed}</p> })}
                    {d.viewer_pledge_pending.then(|| view! { <p class="muted">{c.pledge_pending}</p> })}
                    {(d.state == CampaignState::Live && !d.is_owner).then(|| view! {
                        <a class="button primary back-this" href=pledge_href.clone()>{t().pay.back_this}</a>
                    })}
                    <ShareButton url=share_url title=title.clone()/>
                    {(d.viewer_is_admin && d.state == CampaignState::Live).then(|| view! { <EndNow id=d.id.clone()/> })}
                </aside>
            </div>
            <div class="campaign-body">
                <div class="campaign-main">
                    <section aria-labelledby="story-h">
                        <h2 id="story-h">{c.story}</h2>
                        <div class="prose" inner_html=d.story_html.clone()></div>
                    </section>
                    {(!d.stretch_goals.is_empty()).then(|| view! {
                        <section aria-labelledby="stretch-h">
                            <h2 id="stretch-h">{c.stretch_goals}</h2>
                            <ul class="stretch-list">
                                {d.stretch_goals.iter().map(|g| {
                                    let reached = d.pledged.minor >= g.amount.minor;
                                    view! {
                                        <li class:reached=reached>
                                            <strong>{g.amount.to_string()}</strong>" — "{g.title.clone()}
                                            {reached.then(|| view! { " "<span class="badge">{c.reached}</span> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    })}
                    {(!d.milestones.is_empty()).then(|| view! {
                        <section aria-labelledby="milestones-h">
                            <h2 id="milestones-h">{c.milestones}</h2>
                            <ol class="milestone-list">
                                {d.milestones.iter().map(|m| view! {
                                    <li><strong>{format!("{}%", m.share_pct)}</strong>" · "{m.due.to_string()}" — "{m.description.clone()}</li>
                                }).collect_view()}
                            </ol>
                            {(d.mode == super::model::CampaignMode::Milestone
                                && matches!(d.state, CampaignState::Settling | CampaignState::Settled))
                                .then(|| view! { <crate::payments::pages::MilestonesPanel campaign_id=d.id.clone()/> })}
                        </section>
                    })}
                    {(!d.faq.is_empty()).then(|| view! {
                        <section aria-labelledby="faq-h">
                            <h2 id="faq-h">{c.faq}</h2>
                            {d.faq.iter().map(|f| view! {
                                <details class="faq"><summary>{f.question.clone()}</summary><p>{f.answer.clone()}</p></details>
                            }).collect_view()}
                        </section>
                    })}
                    <Updates d=d.clone()/>
                    <Comments campaign_id=d.id.clone() count=d.comment_count public=d.state.is_public()
                        signed_in=d.viewer_signed_in can_moderate=d.viewer_can_moderate/>
                </div>
                <aside class="campaign-side">
                    <section aria-labelledby="tiers-h">
                        <h2 id="tiers-h">{c.rewards}</h2>
                        {if d.tiers.is_empty() { Some(view! { <p class="empty-state">{c.no_tiers}</p> }) } else { None }}
                        <ul class="tier-list">
                            {d.tiers.iter().map(|tier| {
                                let sold_out = tier.sold_out();
                                view! {
                                    <li class="tier" class:sold-out=sold_out>
                                        <p class="tier-amount">{c.pledge_at_least}" "{tier.min_amount.to_string()}</p>
                                        <h3>{tier.title.clone()}</h3>
                                        <p>{tier.description.clone()}</p>
                                        {tier.delivery.clone().map(|m| view! { <p class="muted">{c.estimated_delivery}" "{m}</p> })}
                                        {match (sold_out, tier.left()) {
                                            (true, _) => view! { <p class="badge bad">{c.sold_out}</p> }.into_any(),
                                            (false, Some(n)) => view! { <p class="muted">{format!("{n}")}" "{c.left}</p> }.into_any(),
                                            (false, None) => ().into_any(),
                                        }}
                                        <p class="muted">{format!("{}", tier.claimed)}" "{c.backers}</p>
                                        {(d.state == CampaignState::Live && !d.is_owner && !sold_out).then(|| view! {
                                            <a class="button" href=format!("/c/{}/pledge?tier={}", d.slug, tier.id)>{t().pay.select_reward}</a>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                    // Drafts and campaigns in review have moved no money, and the summary is
                    // public-only: asking for it would turn the owner's preview into a 404.
                    {d.state.is_public().then(|| view! { <MoneyWent id=d.id.clone() currency=d.goal.currency/> })}
                    <section class="creator-box" aria-labelledby="creator-h">
                        <h2 id="creator-h">{c.creator}</h2>
                        <a href=format!("/u/{}", d.creator.handle)>
                            {d.creator.avatar_url.clone().map(|src| view! { <img class="avatar" src=src alt=""/> })}
                            <strong>{d.creator.display_name.clone()}</strong>
                        </a>
                        <p>{d.creator.bio.clone()}</p>
                        {(!d.other_campaigns.is_empty()).then(|| view! {
                            <h3>{c.other_campaigns}</h3>
                            <ul class="plain-list">
                                {d.other_campaigns.iter().map(|o| view! {
                                    <li><a href=format!("/c/{}", o.slug)>{o.title.clone()}</a></li>
                                }).collect_view()}
                            </ul>
                        })}
                    </section>
                </aside>
            </div>
        </article>
    }
}

/// Where the money went (from the ledger), once any money has moved.
#[component]
fn MoneyWent(id: String, currency: crate::money::Currency) -> impl IntoView {
    let summary = Resource::new(move || id.clone(), crate::payments::api::load_money_summary);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                summary.await.ok().filter(|s| s.raised > 0).map(|s| view! {
                    <section aria-labelledby="money-h">
                        <h2 id="money-h">{t().pay.ledger_title}</h2>
                        <crate::payments::pages::MoneySummaryView summary=s currency/>
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
fn EndNow(id: String) -> impl IntoView {
    let end = ServerAction::<super::api::EndCampaignNow>::new();
    let done = Signal::derive(move || {
        matches!(end.value().get(), Some(Ok(_))).then(|| t().pay.end_now_done.to_string())
    });
    view! {
        <ActionForm action=end attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="id" value=id/>
            <SubmitButton label=t().pay.end_now pending=end.pending()/>
            <FormError error=error_of(end.value())/>
            <FormStatus message=done/>
        </ActionForm>
    }
}

#[component]
fn Updates(d: CampaignPageData) -> impl IntoView {
    let c = t().campaign;
    let action = ServerAction::<PostUpdate>::new();
    let done = Signal::derive(move || {
        matches!(action.value().get(), Some(Ok(_))).then(|| c.update_posted.to_string())
    });
    let form = d.is_owner.then(|| view! {
        <details class="compose">
            <summary>{c.post_update}</summary>
            <ActionForm action=action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="campaign_id" value=d.id.clone()/>
                <div class="field">
                    <label for="update-title">{c.update_title}</label>
                    <input id="update-title" name="title" required maxlength="120"/>
                </div>
                <div class="field">
                    <label for="update-body">{c.update_body}</label>
                    <textarea id="update-body" name="body" rows="6" required></textarea>
                </div>
                <label class="check"><input type="checkbox" name="backers_only" value="true"/>" "{c.backers_only}</label>
                <FormError error=error_of(action.value())/>
                <FormStatus message=done/>
                <SubmitButton label=c.publish pending=action.pending()/>
            </ActionForm>
        </details>
    });
    view! {
        <section id="updates" aria-labelledby="updates-h">
            <h2 id="updates-h">{c.updates}</h2>
            {form}
            {if d.updates.is_empty() { Some(view! { <p class="empty-state">{c.no_updates}</p> }) } else { None }}
            {d.updates.into_iter().map(|u| view! {
                <article class="update">
                    <h3>{u.title}</h3>
                    <p class="muted">{short_date(u.created_at)}
                        {(u.audience == Audience::Backers).then(|| view! { " · "<span class="badge">{c.for_backers}</span> })}
                    </p>
                    {match u.body_html {
                        Some(html) => view! { <div class="prose" inner_html=html></div> }.into_any(),
                        None => view! { <p class="locked">{c.backers_only_locked}</p> }.into_any(),
                    }}
                </article>
            }).collect_view()}
        </section>
    }
}

#[component]
fn Comments(
    campaign_id: String,
    count: u64,
    public: bool,
    signed_in: bool,
    can_moderate: bool,
) -> impl IntoView {
    let c = t().campaign;
    let post = ServerAction::<PostComment>::new();
    let hide = ServerAction::<HideComment>::new();
    let report = ServerAction::<ReportComment>::new();
    let id = campaign_id.clone();
    let list = Resource::new(
        move || (post.version().get(), hide.version().get()),
        move |_| talk::list_comments(id.clone(), None),
    );
    let reported = Signal::derive(move || {
        matches!(report.value().get(), Some(Ok(()))).then(|| c.reported.to_string())
    });
    let cid = campaign_id.clone();
    let compose = move |parent: Option<String>, label: &'static str| {
        let cid = cid.clone();
        view! {
            <ActionForm action=post attr:class="stack comment-form">
                <CsrfField/>
                <input type="hidden" name="campaign_id" value=cid/>
                {parent.map(|p| view! { <input type="hidden" name="parent" value=p/> })}
                <label class="visually-hidden" for="comment-body">{label}</label>
                <textarea id="comment-body" name="body" rows="3" required maxlength="2000" placeholder=label></textarea>
                <SubmitButton label=c.post_comment pending=post.pending()/>
            </ActionForm>
        }
    };
    let compose_top = compose.clone();
    let reply_campaign = StoredValue::new(campaign_id.clone());
    view! {
        <section id="comments" aria-labelledby="comments-h">
            <h2 id="comments-h">{c.comments}" ("{count}")"</h2>
            {match (public, signed_in) {
                (false, _) => ().into_any(),
                (true, true) => compose_top(None, c.write_comment).into_any(),
                (true, false) => view! { <p><a href="/login">{c.login_to_comment}</a></p> }.into_any(),
            }}
            <FormError error=error_of(post.value())/>
            <FormStatus message=reported/>
            <Transition fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    let comments = list.await.unwrap_or_default();
                    if comments.is_empty() {
                        return view! { <p class="empty-state">{c.no_comments}</p> }.into_any();
                    }
                    let tops: Vec<_> = comments.iter().filter(|x| x.parent.is_none()).cloned().collect();
                    view! {
                        <ol class="comment-list">
                            {tops.into_iter().map(|top| {
                                let replies: Vec<_> = comments.iter().filter(|r| r.parent.as_deref() == Some(top.id.as_str())).cloned().collect();
                                view! {
                                    <li>
                                        <CommentItem comment=top.clone() hide report signed_in can_moderate/>
                                        {(!replies.is_empty()).then(|| view! {
                                            <ol class="replies">
                                                {replies.into_iter().map(|r| view! { <li><CommentItem comment=r hide report signed_in can_moderate/></li> }).collect_view()}
                                            </ol>
                                        })}
                                        {signed_in.then(|| view! {
                                        <details class="reply">
                                            <summary>{c.reply}</summary>
                                            <ActionForm action=post attr:class="stack comment-form">
                                                <CsrfField/>
                                                <input type="hidden" name="campaign_id" value=reply_campaign.get_value()/>
                                                <input type="hidden" name="parent" value=top.id.clone()/>
                                                <label class="visually-hidden" for=format!("reply-{}", top.id)>{c.reply}</label>
                                                <textarea id=format!("reply-{}", top.id) name="body" rows="2" required maxlength="2000"></textarea>
                                                <SubmitButton label=c.post_comment pending=post.pending()/>
                                            </ActionForm>
                                        </details>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CommentItem(
    comment: super::model::CommentView,
    hide: ServerAction<HideComment>,
    report: ServerAction<ReportComment>,
    signed_in: bool,
    can_moderate: bool,
) -> impl IntoView {
    let c = t().campaign;
    let (report_id, hide_id) = (comment.id.clone(), comment.id.clone());
    let hidden = comment.hidden;
    view! {
        <article class="comment" class:by-creator=comment.is_creator class:hidden=hidden>
            <p class="comment-meta">
                <a href=format!("/u/{}", comment.author_handle)>{comment.author_name.clone()}</a>
                {comment.is_creator.then(|| view! { " "<span class="badge creator">{c.creator}</span> })}
                {comment.is_backer.then(|| view! { " "<span class="badge">{c.backer}</span> })}
                " · "<span class="muted">{short_date(comment.created_at)}</span>
            </p>
            {if hidden && comment.body.is_empty() {
                view! { <p class="muted">{c.comment_hidden}</p> }.into_any()
            } else {
                view! { <p class="comment-body">{comment.body.clone()}</p> }.into_any()
            }}
            <div class="comment-actions">
                {signed_in.then(|| view! {
                <ActionForm action=report>
                    <CsrfField/>
                    <input type="hidden" name="comment_id" value=report_id/>
                    <input type="hidden" name="reason" value="reported from the campaign page"/>
                    <button type="submit" class="link-button">{c.report}</button>
                </ActionForm>
                })}
                {can_moderate.then(|| view! {
                <ActionForm action=hide>
                    <CsrfField/>
                    <input type="hidden" name="comment_id" value=hide_id/>
                    <input type="hidden" name="hidden" value=(!hidden).to_string()/>
                    <button type="submit" class="link-button">{if hidden { c.unhide } else { c.hide }}</button>
                </ActionForm>
                })}
            </div>
        </article>
    }
}

#[component]
pub fn DiscoverPage() -> impl IntoView {
    let c = t().campaign;
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q")).unwrap_or_default();
    let category = move || query.with(|m| m.get("category")).filter(|v| !v.is_empty());
    let sort = move || query.with(|m| m.get("sort")).filter(|v| !v.is_empty());
    let results = Resource::new(
        move || (q(), category(), sort()),
        |(q, category, sort)| api::discover(q, category, sort),
    );
    view! {
        <Title text=c.discover_title/>
        <section class="page">
            <h1>{c.discover_title}</h1>
            <form method="get" action="/discover" class="search-form" role="search">
                <label for="search-q" class="visually-hidden">{c.search_label}</label>
                <input id="search-q" type="search" name="q" value=q placeholder=c.search_placeholder/>
                <label for="search-category" class="visually-hidden">{c.category_label}</label>
                <select id="search-category" name="category">
                    <option value="">{c.all_categories}</option>
                    {Category::ALL.into_iter().map(|cat| view! {
                        <option value=cat.key() selected=move || category().as_deref() == Some(cat.key())>{c.category(cat)}</option>
                    }).collect_view()}
                </select>
                <label for="search-sort" class="visually-hidden">{c.sort_label}</label>
                <select id="search-sort" name="sort">
                    {Sort::ALL.into_iter().map(|s| view! {
                        <option value=s.key() selected=move || sort().as_deref() == Some(s.key())>{c.sort(s)}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button primary">{c.search}</button>
            </form>
            {move || {
                let q = q();
                (!q.trim().is_empty()).then(|| view! { <crate::courses::pages::CourseMatches query=q/> })
            }}
            <Transition fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(cards) => view! { <CardGrid cards empty=c.no_results/> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Home-page sections: newly launched, ending soon, most funded.
#[component]
pub fn HomeCampaigns() -> impl IntoView {
    let c = t().campaign;
    let lists = Resource::new(
        || (),
        |_| async move {
            let newest = api::discover(String::new(), None, Some("newest".into())).await?;
            let ending = api::discover(String::new(), None, Some("ending_soon".into())).await?;
            let funded = api::discover(String::new(), None, Some("most_funded".into())).await?;
            Ok::<_, AppError>((newest, ending, funded))
        },
    );
    view! {
        <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
            {move || Suspend::new(async move {
                let (newest, ending, funded) = lists.await.unwrap_or_default();
                let take = |v: Vec<_>| v.into_iter().take(6).collect::<Vec<_>>();
                view! {
                    <section class="campaign-row">
                        <h2>{c.newly_launched}" "<a class="more" href="/discover?sort=newest">{c.see_all}</a></h2>
                        <CardGrid cards=take(newest) empty=c.no_campaigns_yet/>
                    </section>
                    <section class="campaign-row">
                        <h2>{c.ending_soon}" "<a class="more" href="/discover?sort=ending_soon">{c.see_all}</a></h2>
                        <CardGrid cards=take(ending) empty=c.no_campaigns_yet/>
                    </section>
                    <section class="campaign-row">
                        <h2>{c.most_funded}" "<a class="more" href="/discover?sort=most_funded">{c.see_all}</a></h2>
                        <CardGrid cards=take(funded) empty=c.no_campaigns_yet/>
                    </section>
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn MyCampaignsPage() -> impl IntoView {
    let c = t().campaign;
    let start = ServerAction::<StartCampaign>::new();
    let list = Resource::new(|| (), |_| api::my_campaigns());
    view! {
        <Title text=c.my_campaigns/>
        <section class="page">
            <h1>{c.my_campaigns}</h1>
            <details class="compose card" open>
                <summary>{c.start_campaign}</summary>
                <ActionForm action=start attr:class="stack">
                    <CsrfField/>
                    <div class="field">
                        <label for="start-title">{c.field_title}</label>
                        <input id="start-title" name="title" required minlength="5" maxlength="80"/>
                    </div>
                    <div class="field">
                        <label for="start-category">{c.category_label}</label>
                        <select id="start-category" name="category">
                            {Category::ALL.into_iter().map(|cat| view! { <option value=cat.key()>{c.category(cat)}</option> }).collect_view()}
                        </select>
                    </div>
                    <FormError error=error_of(start.value())/>
                    <SubmitButton label=c.start pending=start.pending()/>
                </ActionForm>
            </details>
            <Transition fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(cards) if cards.is_empty() => view! { <p class="empty-state">{c.no_own_campaigns}</p> }.into_any(),
                        Ok(cards) => view! {
                            <table class="data-table">
                                <thead><tr><th scope="col">{c.field_title}</th><th scope="col">{c.state}</th><th scope="col">{c.funding}</th><th scope="col"><span class="visually-hidden">{c.actions}</span></th></tr></thead>
                                <tbody>
                                    {cards.into_iter().map(|card| view! {
                                        <tr>
                                            <td><a href=format!("/c/{}", card.slug)>{card.title.clone()}</a></td>
                                            <td><span class=format!("state state-{:?}", card.state).to_lowercase()>{c.state_label(card.state)}</span></td>
                                            <td>{card.pledged.to_string()}" / "{card.goal.to_string()}</td>
                                            <td class="actions">
                                                <a href=format!("/campaigns/{}/edit", card.id)>{c.edit}</a>" · "
                                                <a href=format!("/campaigns/{}/dashboard", card.id)>{c.dashboard}</a>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <p><a href="/login?next=/campaigns">{t().nav_login}</a></p> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let c = t().campaign;
    let review = ServerAction::<ReviewCampaign>::new();
    let queue = Resource::new(move || review.version().get(), |_| api::review_queue());
    view! {
        <Title text=c.review_title/>
        <section class="page">
            <h1>{c.review_title}</h1>
            <FormError error=error_of(review.value())/>
            <Transition fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match queue.await {
                        Ok(items) if items.is_empty() => view! { <p class="empty-state">{c.review_empty}</p> }.into_any(),
                        Ok(items) => view! {
                            <ul class="review-list">
                                {items.into_iter().map(|item| {
                                    let (approve_id, reject_id) = (item.card.id.clone(), item.card.id.clone());
                                    let reason_id = format!("reason-{}", item.card.id);
                                    view! {
                                        <li class="card review-item">
                                            <h2><a href=format!("/c/{}", item.card.slug)>{item.card.title.clone()}</a></h2>
                                            <p>{item.card.pitch.clone()}</p>
                                            <p class="muted">{c.by}" "{item.card.creator_name.clone()}" · "{c.goal}" "{item.card.goal.to_string()}</p>
                                            {if item.risks.is_empty() {
                                                view! { <p class="badge good">{c.no_risks}</p> }.into_any()
                                            } else {
                                                view! {
                                                    <ul class="risks" aria-label=c.risks>
                                                        {item.risks.iter().map(|r| view! { <li class="risk">{risk_text(r)}</li> }).collect_view()}
                                                    </ul>
                                                }.into_any()
                                            }}
                                            <div class="review-actions">
                                                <ActionForm action=review>
                                                    <CsrfField/>
                                                    <input type="hidden" name="id" value=approve_id/>
                                                    <input type="hidden" name="approve" value="true"/>
                                                    <button type="submit" class="button primary">{c.approve}</button>
                                                </ActionForm>
                                                <ActionForm action=review attr:class="reject-form">
                                                    <CsrfField/>
                                                    <input type="hidden" name="id" value=reject_id/>
                                                    <input type="hidden" name="approve" value="false"/>
                                                    <label for=reason_id.clone()>{c.reject_reason}</label>
                                                    <input id=reason_id name="reason"/>
                                                    <button type="submit" class="button">{c.reject}</button>
                                                </ActionForm>
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn risk_text(r: &RiskSignal) -> String {
    let c = t().campaign;
    match r {
        RiskSignal::NewAccount { days } => format!("{} ({days} d)", c.risk_new_account),
        RiskSignal::UnverifiedEmail => c.risk_unverified.to_string(),
        RiskSignal::GoalAboveMedian { ratio_x10 } => {
            format!("{} ×{}.{}", c.risk_goal, ratio_x10 / 10, ratio_x10 % 10)
        }
        RiskSignal::DuplicateText { of_slug } => format!("{} /c/{of_slug}", c.risk_duplicate),
        RiskSignal::BadLink { domain } => format!("{} {domain}", c.risk_link),
    }
}

#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let c = t().campaign;
    let params = use_params_map();
    let token = params
        .with_untracked(|p| p.get("token"))
        .unwrap_or_default();
    let result = Resource::new(move || token.clone(), talk::unsubscribe_updates);
    view! {
        <Title text=c.unsubscribed_title/>
        <section class="page narrow card">
            <h1>{c.unsubscribed_title}</h1>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match result.await {
                        Ok(title) => view! { <p role="status">{c.unsubscribed_body}" "<strong>{title}</strong></p> }.into_any(),
                        Err(_) => view! { <p class="form-error" role="alert">{c.unsubscribe_bad_link}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
