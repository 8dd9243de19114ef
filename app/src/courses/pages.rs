//! Learner-facing pages: the catalogue (`/courses`), a course (`/courses/:slug`), a lesson
//! (`/courses/:slug/lessons/:id`) and a certificate (`/certificates/:code`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    self, AddNote, AnswerQuiz, BookmarkLesson, BuyCourse, CompleteLesson, ModerateReview,
    RefundCourse, ReportReview, ReviewCourse,
};
use super::attempts::AttemptsView;
use super::model::{
    CourseCard, CoursePage, Gate, LessonOutline, LessonPage, LessonRef, MediaKind, QuestionKind,
    QuizQuestion, Standing,
};
use crate::campaigns::widgets::short_date;
use crate::i18n::{t, use_lang};
use crate::money::Money;
use crate::ui::{error_of, CsrfField, FormError, SubmitButton};

/// Sends the browser to `url` (Stripe Checkout lives outside the app's routes).
fn go_to(url: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

fn lesson_href(slug: &str, id: &str) -> String {
    format!("/courses/{slug}/lessons/{id}")
}

#[component]
fn ProgressBar(percent: u32, label: &'static str) -> impl IntoView {
    view! {
        <div class="progress" role="progressbar" aria-label=label aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=percent.to_string()>
            <span class="progress-fill" style=format!("width: {}%", percent.min(100))></span>
        </div>
    }
}

#[component]
pub fn CataloguePage() -> impl IntoView {
    let c = t().course;
    let query = use_query_map();
    let q = move || query.with(|q| q.get("q")).filter(|s| !s.trim().is_empty());
    let list = Resource::new(q, |q| api::course_catalogue(q, None));
    view! {
        <Title text=c.catalogue_title/>
        <section class="page stack">
            <h1>{c.catalogue_title}</h1>
            <p class="lead">{c.catalogue_lead}</p>
            <form method="get" action="/courses" class="search-row" role="search">
                <label class="visually-hidden" for="course-q">{c.search_label}</label>
                <input id="course-q" type="search" name="q" value=q placeholder=c.search_placeholder/>
                <button type="submit" class="button">{c.search_button}</button>
            </form>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(cards) if cards.is_empty() => view! { <p class="empty-state">{c.catalogue_empty}</p> }.into_any(),
                        Ok(cards) => view! { <CourseGrid cards/> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Course cards, as the catalogue and discovery show them.
#[component]
pub fn CourseGrid(cards: Vec<CourseCard>) -> impl IntoView {
    let c = t().course;
    view! {
        <ul class="card-grid" role="list">
            {cards.into_iter().map(|card| {
                let price = card.price.map(|p| Money::new(p, card.currency).to_string());
                view! {
                    <li class="card course-card">
                        <h2><a href=format!("/courses/{}", card.slug)>{card.title.clone()}</a></h2>
                        <p class="muted">{card.creator_name.clone()}" · "{c.level(card.level)}" · "{card.lessons}" "{c.lessons_word}</p>
                        <p>{card.summary.clone()}</p>
                        <p class="course-ways">
                            {price.map(|p| view! { <span class="badge">{p}</span> })}
                            {card.campaign_title.clone().map(|t| view! { <span class="badge">{c.included_with}" "{t}</span> })}
                        </p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The courses a discovery search matches (up to six), with a link to all of them; nothing at
/// all when none match, so campaign results stay first.
#[component]
pub fn CourseMatches(query: String) -> impl IntoView {
    let c = t().course;
    let href = format!("/courses?q={}", crate::ui::url_encode(&query));
    // One more than it shows, to know whether to link to the rest.
    let list = Resource::new(
        move || query.clone(),
        |q| api::course_catalogue(Some(q), Some(7)),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let href = href.clone();
                Suspend::new(async move {
                    let cards = list.await.unwrap_or_default();
                    (!cards.is_empty()).then(|| {
                        let more = cards.len() > 6;
                        let cards: Vec<CourseCard> = cards.into_iter().take(6).collect();
                        view! {
                            <section class="campaign-row" aria-labelledby="course-matches-h">
                                <h2 id="course-matches-h">{c.catalogue_title}
                                    {more.then(|| view! { " " <a class="more" href=href.clone()>{c.see_all_courses}</a> })}
                                </h2>
                                <CourseGrid cards/>
                            </section>
                        }
                    })
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn CoursePageView() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug")).unwrap_or_default();
    let refund = ServerAction::<RefundCourse>::new();
    let changed = RwSignal::new(0usize);
    let data = Resource::new(
        move || (slug(), refund.version().get(), changed.get()),
        |(s, _, _)| api::get_course_page(s),
    );
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <CourseBody page refund changed/> }.into_any(),
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CourseBody(
    page: CoursePage,
    refund: ServerAction<RefundCourse>,
    changed: RwSignal<usize>,
) -> impl IntoView {
    let c = t().course;
    let query = use_query_map();
    let confirming = query.with_untracked(|q| q.get("order").is_some())
        && !page.standing.is_enrolled()
        && page.pending_order;
    let cancelled = query.with_untracked(|q| q.get("cancelled").is_some());
    let card = page.card.clone();
    let slug = card.slug.clone();
    let by_section = page
        .sections
        .iter()
        .map(|s| {
            let lessons: Vec<LessonOutline> = page
                .lessons
                .iter()
                .filter(|l| l.section == s.id)
                .cloned()
                .collect();
            (s.title.clone(), lessons)
        })
        .filter(|(_, l)| !l.is_empty())
        .collect::<Vec<_>>();
    let first_lesson = page.lessons.first().map(|l| l.id.clone());
    view! {
        <Title text=card.title.clone()/>
        <article class="page stack course-page">
            <header class="stack">
                <p class="eyebrow">{c.course_word}" · "{c.level(card.level)}" · "{if card.language == "zh-CN" { "中文" } else { "English" }}</p>
                <h1>{card.title.clone()}</h1>
                <p class="lead">{card.summary.clone()}</p>
                <p class="muted">{c.by}" "<a href=format!("/u/{}", page.creator_handle)>{card.creator_name.clone()}</a>
                    " · "{card.lessons}" "{c.lessons_word}
                    {page.tags.iter().map(|tag| view! { " " <span class="badge">{tag.clone()}</span> }).collect_view()}
                </p>
            </header>
            <section class="course-cta card stack" aria-labelledby="cta-h">
                <h2 id="cta-h" class="visually-hidden">{c.access_title}</h2>
                {cancelled.then(|| view! { <p class="form-status" role="status">{c.purchase_cancelled}</p> })}
                // Stripe's webhook, not the redirect, enrols the buyer: the page looks again every
                // two seconds until it has (a meta refresh works before and without hydration).
                {confirming.then(|| view! {
                    <leptos_meta::Meta http_equiv="refresh" content="2"/>
                    <p class="form-status" role="status" aria-busy="true">{c.confirming}</p>
                })}
                <Cta page=page.clone() refund changed/>
            </section>
            <section aria-labelledby="syllabus-h" class="stack">
                <h2 id="syllabus-h">{c.syllabus}</h2>
                {by_section.into_iter().map(|(title, lessons)| {
                    let slug = slug.clone();
                    view! {
                        <div class="syllabus-section">
                            <h3>{title}</h3>
                            <ol class="syllabus" role="list">
                                {lessons.into_iter().map(|l| view! { <SyllabusItem slug=slug.clone() l standing=page.standing/> }).collect_view()}
                            </ol>
                        </div>
                    }
                }).collect_view()}
                {first_lesson.is_none().then(|| view! { <p class="empty-state">{c.no_lessons_yet}</p> })}
            </section>
            <Reviews page=page.clone() changed/>
        </article>
    }
}

#[component]
fn Cta(
    page: CoursePage,
    refund: ServerAction<RefundCourse>,
    changed: RwSignal<usize>,
) -> impl IntoView {
    let c = t().course;
    let slug = page.card.slug.clone();
    let resume = page
        .resume
        .clone()
        .or_else(|| page.lessons.first().map(|l| l.id.clone()));
    match page.standing {
        Standing::Manager => view! {
            <p>{c.you_manage}</p>
            <p><a class="button primary" href=format!("/studio/courses/{}", page.card.id)>{c.edit_in_studio}</a></p>
        }
        .into_any(),
        Standing::Enrolled(_) => {
            let label = if page.progress_percent == 0 { c.start } else { c.continue_learning };
            view! {
                <p class="enrolled-note">{c.enrolled}</p>
                <ProgressBar percent=page.progress_percent label=c.course_progress/>
                <p class="muted">{page.progress_percent}"% "{c.required_progress}</p>
                {resume.map(|id| view! { <p><a class="button primary" href=lesson_href(&slug, &id)>{label}</a></p> })}
                {page.certificate.clone().map(|code| view! {
                    <p><a class="button" href=format!("/certificates/{code}")>{c.view_certificate}</a></p>
                })}
                {page.refundable_order.clone().map(|order| view! {
                    <ActionForm action=refund attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="order_id" value=order/>
                        <p class="muted">{c.refund_note}</p>
                        <SubmitButton label=c.refund_purchase pending=refund.pending()/>
                    </ActionForm>
                })}
                <FormError error=error_of(refund.value())/>
                <super::report::LearnerReportView course_id=page.card.id.clone()/>
                {page.card.price.map(|p| view! {
                    <details class="gift">
                        <summary>{c.give_as_gift}</summary>
                        <BuyForm course_id=page.card.id.clone() price=Money::new(p, page.card.currency).to_string() gift=true refund_days=page.refund_days changed/>
                    </details>
                })}
            }
            .into_any()
        }
        Standing::Visitor => {
            let price = page.card.price.map(|p| Money::new(p, page.card.currency).to_string());
            let here = format!("/courses/{slug}");
            view! {
                <p>{c.paywall_lead}</p>
                {page.campaign_slug.clone().map(|s| view! {
                    <p>{c.reward_of}" "<a href=format!("/c/{s}")>{page.card.campaign_title.clone().unwrap_or_default()}</a></p>
                    <RewardTiers slug=s tiers=page.reward_tiers.clone() open=page.campaign_open/>
                })}
                {match (price, page.signed_in) {
                    (Some(p), true) => view! { <BuyForm course_id=page.card.id.clone() price=p gift=false refund_days=page.refund_days changed/> }.into_any(),
                    (Some(p), false) => view! {
                        <p><a class="button primary" href=format!("/login?next={}", crate::ui::url_encode(&here))>{c.log_in_to_buy}</a></p>
                        <p class="muted">{c.price}": "{p}</p>
                    }.into_any(),
                    (None, _) => view! { <p class="muted">{c.not_for_sale}</p> }.into_any(),
                }}
            }
            .into_any()
        }
    }
}

/// The campaign's reward tiers that include the course (their grant says so), each linking to
/// the pledge page with it chosen while the campaign takes pledges.
#[component]
fn RewardTiers(
    slug: String,
    tiers: Vec<crate::campaigns::model::TierView>,
    open: bool,
) -> impl IntoView {
    let c = t().course;
    if tiers.is_empty() {
        return view! { <p class="muted">{c.no_tier_includes}</p> }.into_any();
    }
    view! {
        <div class="reward-tiers">
            <p>{c.included_in_tiers}</p>
            <ul role="list">
                {tiers.into_iter().map(|tier| {
                    let href = format!("/c/{slug}/pledge?tier={}", tier.id);
                    view! {
                        <li>
                            <strong>{tier.title}</strong>" · "{tier.min_amount.to_string()}
                            {open.then(|| view! { " " <a href=href>{c.pledge_for_tier}</a> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

/// Buying for oneself (with an optional coupon), or as a gift for another account's email.
#[component]
fn BuyForm(
    course_id: String,
    price: String,
    gift: bool,
    refund_days: u32,
    changed: RwSignal<usize>,
) -> impl IntoView {
    let c = t().course;
    let refund_note = c
        .refund_window_note
        .replace("{days}", &refund_days.to_string());
    let buy = ServerAction::<BuyCourse>::new();
    Effect::new(move |_| match buy.value().get() {
        Some(Ok(Some(url))) => go_to(&url),
        // A coupon made it free: the page shows the enrolment.
        Some(Ok(None)) => changed.update(|n| *n += 1),
        _ => {}
    });
    let prefix = if gift { "gift" } else { "buy" };
    view! {
        <ActionForm action=buy attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="course_id" value=course_id/>
            {gift.then(|| view! {
                <div class="field">
                    <label for="gift-email">{c.gift_email}</label>
                    <input id="gift-email" type="email" name="gift_email" required/>
                    <p class="hint">{c.gift_hint}</p>
                </div>
            })}
            <div class="field">
                <label for=format!("{prefix}-coupon")>{c.coupon_optional}</label>
                <input id=format!("{prefix}-coupon") name="coupon" autocomplete="off"/>
            </div>
            <FormError error=error_of(buy.value())/>
            <SubmitButton label=if gift { c.buy_gift } else { c.buy } pending=buy.pending()/>
            <p class="muted">{c.price}": "{price}" · "{refund_note}</p>
        </ActionForm>
    }
}

#[component]
fn SyllabusItem(slug: String, l: LessonOutline, standing: Standing) -> impl IntoView {
    let c = t().course;
    let open = matches!(standing, Standing::Manager | Standing::Enrolled(_)) || l.preview;
    let soon = l.opens_at.filter(|at| *at > chrono::Utc::now());
    view! {
        <li class="syllabus-item" class:done=l.completed>
            {if l.completed { view! { <span class="tick" aria-label=c.done>"✓"</span> }.into_any() } else { view! { <span class="tick" aria-hidden="true">"○"</span> }.into_any() }}
            {if open { view! { <a href=lesson_href(&slug, &l.id)>{l.title.clone()}</a> }.into_any() } else { view! { <span>{l.title.clone()}</span> }.into_any() }}
            <LessonMarks optional=l.optional final_assessment=l.final_assessment/>
            {l.preview.then(|| view! { <span class="badge">{c.free_preview}</span> })}
            {l.has_media.then(|| view! { <span class="badge muted">{c.has_media}</span> })}
            {l.has_quiz.then(|| view! { <span class="badge muted">{c.has_quiz}</span> })}
            {soon.map(|at| view! { <span class="badge muted">{c.opens_on}" "{short_date(at)}</span> })}
            {(!open).then(|| view! { <span class="visually-hidden">{c.locked}</span> })}
        </li>
    }
}

/// "Optional" and "Final assessment" badges, in the syllabus and on the lesson page.
#[component]
pub fn LessonMarks(optional: bool, final_assessment: bool) -> impl IntoView {
    let c = t().course;
    view! {
        {final_assessment.then(|| view! { <span class="badge final-badge">{c.final_badge}</span> })}
        {(optional && !final_assessment).then(|| view! { <span class="badge muted optional-badge">{c.optional_badge}</span> })}
    }
}

/// In place of the final assessment's quiz while it is closed: why, and what is left to do.
#[component]
fn FinalLocked(slug: String, remaining: Vec<LessonRef>) -> impl IntoView {
    let c = t().course;
    view! {
        <section class="card stack final-locked" role="region" aria-labelledby="final-locked-h">
            <h2 id="final-locked-h">{c.final_locked_title}</h2>
            <p>{c.final_locked_lead}</p>
            <ul>
                {remaining.into_iter().map(|l| view! { <li><a href=lesson_href(&slug, &l.id)>{l.title}</a></li> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub fn LessonPageView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let changed = RwSignal::new(0usize);
    let data = Resource::new(
        move || (id(), changed.get()),
        |(id, _)| api::get_lesson_page(id),
    );
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <LessonBody page changed/> }.into_any(),
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LessonBody(page: LessonPage, changed: RwSignal<usize>) -> impl IntoView {
    let c = t().course;
    let course_href = format!("/courses/{}", page.course_slug);
    let learner = page.standing.is_enrolled();
    let slug = page.course_slug.clone();
    let body = match (page.gate, page.content.clone()) {
        (Gate::Open, Some(content)) => {
            let lesson_id = page.lesson.id.clone();
            let media = content.media.clone().map(|m| {
                let src = format!("/media/lessons/{}/{}", lesson_id, m.file);
                view! { <Player src kind=m.kind mime=m.mime lesson_id=lesson_id.clone() resume=page.progress.position learner/> }
            });
            view! {
                {media}
                {content.version_note.clone().map(|n| view! { <p class="version-note"><strong>{c.updated}" "{short_date(content.updated_at)}": "</strong>{n}</p> })}
                <div class="prose lesson-body" inner_html=content.body_html.clone()></div>
                {(!content.attachments.is_empty()).then(|| view! {
                    <section aria-labelledby="files-h" class="stack">
                        <h2 id="files-h">{c.attachments}</h2>
                        <ul>
                            {content.attachments.iter().map(|a| view! {
                                <li><a href=format!("/media/lessons/{}/{}", lesson_id, a.file) download=a.name.clone()>{a.name.clone()}</a>
                                    " "<span class="muted">{format!("({} KB)", a.size / 1024)}</span></li>
                            }).collect_view()}
                        </ul>
                    </section>
                })}
                {page.final_locked.clone().filter(|_| learner).map(|remaining| view! {
                    <FinalLocked slug=slug.clone() remaining/>
                })}
                {(!content.quiz.is_empty() && learner).then(|| view! {
                    <Quiz lesson_id=lesson_id.clone() questions=content.quiz.clone() pass_mark=content.pass_mark
                        best=page.progress.best_score heading=if page.lesson.final_assessment { c.final_badge } else { c.quiz }
                        attempts=page.attempts final_assessment=page.lesson.final_assessment/>
                })}
                {learner.then(|| view! { <LearnerTools page=page.clone() changed/> })}
                {(!learner && page.standing == Standing::Visitor).then(|| view! {
                    <aside class="card stack paywall-note">
                        <p>{c.preview_note}</p>
                        <p><a class="button primary" href=course_href.clone()>{c.see_ways_in}</a></p>
                    </aside>
                })}
            }
            .into_any()
        }
        (Gate::NotYet(at), _) => view! {
            <div class="card stack" role="status">
                <p>{c.not_yet}" "<strong>{short_date(at)}</strong>"."</p>
            </div>
        }
        .into_any(),
        _ => view! {
            <div class="card stack paywall" role="region" aria-labelledby="paywall-h">
                <h2 id="paywall-h">{c.paywall_title}</h2>
                <p>{c.paywall_lead}</p>
                <p><a class="button primary" href=course_href.clone()>{c.see_ways_in}</a></p>
            </div>
        }
        .into_any(),
    };
    view! {
        <Title text=format!("{} · {}", page.lesson.title, page.course_title)/>
        <article class="page stack lesson-page">
            <nav aria-label=c.breadcrumb class="muted"><a href=course_href.clone()>{page.course_title.clone()}</a></nav>
            <h1>{page.lesson.title.clone()}</h1>
            {(page.lesson.optional || page.lesson.final_assessment).then(|| view! {
                <p class="row"><LessonMarks optional=page.lesson.optional final_assessment=page.lesson.final_assessment/></p>
            })}
            {learner.then(|| view! {
                <ProgressBar percent=page.course_percent label=c.course_progress/>
                <p class="muted">{page.course_percent}"% "{c.required_progress}</p>
            })}
            {body}
            <nav class="lesson-nav" aria-label=c.lesson_nav>
                {page.previous.clone().map(|id| view! { <a class="button" rel="prev" href=lesson_href(&slug, &id)>"← "{c.previous}</a> })}
                {page.next.clone().map(|id| view! { <a class="button" rel="next" href=lesson_href(&slug, &id)>{c.next}" →"</a> })}
            </nav>
        </article>
    }
}

/// Video or audio from the media route (Range requests, so seeking works), resuming where the
/// learner left off and reporting progress every ten seconds of playback.
#[component]
fn Player(
    src: String,
    kind: MediaKind,
    mime: String,
    lesson_id: String,
    resume: f64,
    learner: bool,
) -> impl IntoView {
    let c = t().course;
    let last_saved = StoredValue::new(0.0f64);
    let csrf = use_context::<crate::ui::Csrf>()
        .map(|c| c.0)
        .unwrap_or_default();
    let report = move |position: f64, duration: f64, force: bool| {
        if !(learner && duration.is_finite() && duration > 0.0) {
            return;
        }
        let since = position - last_saved.get_value();
        if !force && since.abs() < 10.0 {
            return;
        }
        last_saved.set_value(position);
        let percent = ((position / duration) * 100.0).round().clamp(0.0, 100.0) as u32;
        let lesson_id = lesson_id.clone();
        let csrf = csrf.clone();
        leptos::task::spawn_local(async move {
            let _ = api::save_progress(
                csrf,
                lesson_id,
                percent,
                position,
                since.clamp(0.0, 600.0) as u32,
            )
            .await;
        });
    };
    let report = StoredValue::new(report);
    let on_time = move |ev: leptos::ev::Event, force: bool| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(m) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlMediaElement>().ok())
            {
                report.with_value(|r| r(m.current_time(), m.duration(), force));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, force, report);
    };
    let on_loaded = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(m) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlMediaElement>().ok())
            {
                if resume > 1.0 && resume < m.duration() {
                    m.set_current_time(resume);
                }
                last_saved.set_value(resume);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, resume);
    };
    let resume_note = (resume > 1.0).then(|| {
        let s = resume as u64;
        view! { <p class="muted">{c.resumes_at}" "{format!("{}:{:02}", s / 60, s % 60)}</p> }
    });
    let player = match kind {
        MediaKind::Video => view! {
            <video class="player" controls preload="metadata" data-testid="player"
                on:loadedmetadata=on_loaded on:timeupdate=move |e| on_time(e, false)
                on:pause=move |e| on_time(e, true) on:ended=move |e| on_time(e, true)>
                <source src=src.clone() type=mime.clone()/>
            </video>
        }
        .into_any(),
        _ => view! {
            <audio class="player" controls preload="metadata" data-testid="player"
                on:loadedmetadata=on_loaded on:timeupdate=move |e| on_time(e, false)
                on:pause=move |e| on_time(e, true) on:ended=move |e| on_time(e, true)>
                <source src=src.clone() type=mime.clone()/>
            </audio>
        }
        .into_any(),
    };
    view! { <div class="player-wrap">{player}{resume_note}</div> }
}

/// Complete, bookmark and notes: only for learners.
#[component]
fn LearnerTools(page: LessonPage, changed: RwSignal<usize>) -> impl IntoView {
    let c = t().course;
    let complete = ServerAction::<CompleteLesson>::new();
    let bookmark = ServerAction::<BookmarkLesson>::new();
    let note = ServerAction::<AddNote>::new();
    Effect::new(move |_| {
        if complete.version().get() + bookmark.version().get() + note.version().get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let at = RwSignal::new(String::new());
    let id = page.lesson.id.clone();
    let (bookmark_id, note_id) = (id.clone(), id.clone());
    let done = page.progress.completed;
    let marked = page.progress.bookmarked;
    // The final assessment is completed by passing its exam, not by a button.
    let by_exam = page.lesson.final_assessment && page.lesson.has_quiz;
    view! {
        <section class="stack learner-tools" aria-label=c.your_tools>
            <div class="row">
                {if done {
                    view! { <p class="form-status">"✓ "{c.lesson_done}</p> }.into_any()
                } else if by_exam {
                    view! { <p class="muted">{c.final_passing_completes}</p> }.into_any()
                } else {
                    view! {
                        <ActionForm action=complete attr:class="inline">
                            <CsrfField/>
                            <input type="hidden" name="lesson_id" value=id.clone()/>
                            <SubmitButton label=c.mark_complete pending=complete.pending()/>
                        </ActionForm>
                    }.into_any()
                }}
                <ActionForm action=bookmark attr:class="inline">
                    <CsrfField/>
                    <input type="hidden" name="lesson_id" value=bookmark_id.clone()/>
                    <input type="hidden" name="on" value=(!marked).to_string()/>
                    <button type="submit" class="button" aria-pressed=marked.to_string()>{if marked { c.bookmarked } else { c.bookmark }}</button>
                </ActionForm>
            </div>
            <FormError error=error_of(complete.value())/>
            {page.certificate.clone().map(|code| view! {
                <p class="form-status" role="status">{c.course_completed}" "<a href=format!("/certificates/{code}")>{c.view_certificate}</a></p>
            })}
            <section aria-labelledby="notes-h" class="stack">
                <h2 id="notes-h">{c.notes}</h2>
                {if page.notes.is_empty() {
                    view! { <p class="empty-state">{c.no_notes}</p> }.into_any()
                } else {
                    view! {
                        <ul class="notes" role="list">
                            {page.notes.iter().map(|n| {
                                let at = n.at_seconds.map(|s| { let s = s as u64; format!("{}:{:02} · ", s / 60, s % 60) });
                                view! { <li class="note"><p class="muted">{at}{short_date(n.created_at)}</p><div class="prose" inner_html=n.body_html.clone()></div></li> }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <ActionForm action=note attr:class="stack">
                    <CsrfField/>
                    <input type="hidden" name="lesson_id" value=note_id.clone()/>
                    <input type="hidden" name="at_seconds" prop:value=move || at.get() disabled=move || at.get().is_empty()/>
                    <label for="note-body">{c.new_note}</label>
                    <textarea id="note-body" name="body" rows="3" required on:focus=move |_| at.set(player_time())></textarea>
                    <p class="hint">{c.note_hint}</p>
                    <FormError error=error_of(note.value())/>
                    <SubmitButton label=c.save_note pending=note.pending()/>
                </ActionForm>
            </section>
        </section>
    }
}

/// Where the lesson's player is, in seconds ("" when there is none or it has not started), so
/// a note can be pinned to that moment.
fn player_time() -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let at = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(".player").ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlMediaElement>().ok())
            .map(|m| m.current_time())
            .filter(|t| *t > 0.0);
        at.map(|t| format!("{t:.1}")).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}

#[component]
fn Quiz(
    lesson_id: String,
    questions: Vec<QuizQuestion>,
    pass_mark: u32,
    best: Option<u32>,
    heading: &'static str,
    attempts: Option<AttemptsView>,
    final_assessment: bool,
) -> impl IntoView {
    let c = t().course;
    // No reload after answering: the feedback stays on screen next to each question.
    let answer = ServerAction::<AnswerQuiz>::new();
    let result = Signal::derive(move || answer.value().get().and_then(|r| r.ok()));
    let n = questions.len();
    let attempts_now = move || result.get().and_then(|(r, _)| r.attempts).or(attempts);
    view! {
        <section aria-labelledby="quiz-h" class="card stack quiz">
            <h2 id="quiz-h">{heading}</h2>
            <p class="muted">{c.pass_mark}": "{pass_mark}"%"{best.map(|b| format!(" · {} {b}%", c.best_score))}</p>
            {move || attempts_now().map(|a| view! {
                <p class="muted attempts" role="status">
                    {if a.limit.wait_hours == 0 {
                        format!("{} {} · ", a.limit.max, c.no_retry)
                    } else {
                        format!("{} {} {} {} · ", a.limit.max, c.attempts_rule, a.limit.wait_hours, c.hours)
                    }}
                    {match (a.left, a.next_at) {
                        (0, Some(at)) => format!("{} {}", c.next_attempt, at.format("%Y-%m-%d %H:%M UTC")),
                        (0, None) => c.no_attempt_left.to_string(),
                        (left, _) => format!("{} {left}", c.attempts_left),
                    }}
                </p>
            })}
            {final_assessment.then(|| view! { <p class="muted">{c.results_when_closed}</p> })}
            <ActionForm action=answer attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="lesson_id" value=lesson_id/>
                {questions.into_iter().enumerate().map(|(i, q)| {
                    let name = format!("answers[{i}]");
                    let feedback = move || result.get().and_then(|(r, _)| r.feedback.get(i).cloned());
                    view! {
                        <fieldset class="question">
                            <legend>{format!("{}. ", i + 1)}{q.prompt.clone()}</legend>
                            {match q.kind {
                                QuestionKind::Text => view! {
                                    <input type="text" name=name.clone() aria-label=q.prompt.clone() autocomplete="off"/>
                                }.into_any(),
                                QuestionKind::Single => q.choices.iter().enumerate().map(|(j, choice)| view! {
                                    <label class="check"><input type="radio" name=name.clone() value=j.to_string()/>" "{choice.clone()}</label>
                                }).collect_view().into_any(),
                                QuestionKind::Multiple => view! { <MultiChoice name=name.clone() choices=q.choices.clone()/> }.into_any(),
                            }}
                            {move || feedback().map(|f| view! {
                                <p class=if f.right { "feedback right" } else { "feedback wrong" } role="status">
                                    {if f.right { c.right } else { c.wrong }}
                                    {(!f.explanation.is_empty()).then(|| format!(" {}", f.explanation))}
                                </p>
                            })}
                        </fieldset>
                    }
                }).collect_view()}
                <FormError error=error_of(Signal::derive(move || answer.value().get().map(|r| r.map(|_| ()))))/>
                {move || result.get().map(|(r, cert)| view! {
                    <p class="form-status" role="status">
                        {if r.feedback.is_empty() {
                            format!("{} {}% · ", c.your_score, r.score)
                        } else {
                            format!("{} {}% ({}/{n}) · ", c.your_score, r.score, r.feedback.iter().filter(|f| f.right).count())
                        }}
                        {if r.passed { c.passed } else { c.not_passed }}
                        {cert.map(|code| view! { " " <a href=format!("/certificates/{code}")>{c.view_certificate}</a> })}
                    </p>
                })}
                <SubmitButton label=c.check_answers pending=answer.pending()/>
            </ActionForm>
        </section>
    }
}

/// Checkboxes whose choices travel as one comma-separated answer ("0,2").
#[component]
fn MultiChoice(name: String, choices: Vec<String>) -> impl IntoView {
    let picked = RwSignal::new(Vec::<usize>::new());
    let joined = move || {
        let mut v = picked.get();
        v.sort_unstable();
        v.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    view! {
        <input type="hidden" name=name prop:value=joined/>
        {choices.into_iter().enumerate().map(|(j, choice)| view! {
            <label class="check">
                <input type="checkbox" on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    picked.update(|v| { v.retain(|x| *x != j); if on { v.push(j); } });
                }/>
                " "{choice}
            </label>
        }).collect_view()}
    }
}

#[component]
pub fn CertificatePage() -> impl IntoView {
    let c = t().course;
    let lang = use_lang().tag();
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code")).unwrap_or_default();
    let data = Resource::new(code, api::get_certificate);
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(cert) => view! {
                        <Title text=format!("{} · {}", c.certificate, cert.course_title)/>
                        <article class="page certificate" class:withdrawn=cert.withdrawn aria-labelledby="cert-h">
                            {cert.withdrawn.then(|| view! { <p class="notice" role="status">{c.certificate_withdrawn}</p> })}
                            <p class="eyebrow">{c.certificate_of_completion}</p>
                            <h1 id="cert-h">{cert.learner_name.clone()}</h1>
                            <p class="lead">{c.completed_course}</p>
                            <p class="cert-course"><a href=format!("/courses/{}", cert.course_slug)>{cert.course_title.clone()}</a></p>
                            <p>{c.taught_by}" "{cert.creator_name.clone()}" · "{cert.lessons}" "{c.lessons_word}</p>
                            {cert.final_score.map(|score| view! { <p class="cert-score">{c.final_score}" "<strong>{format!("{score}%")}</strong></p> })}
                            <p class="muted">{c.issued}" "{short_date(cert.issued_at)}</p>
                            <p class="muted cert-code">{c.verify_code}" "<code>{cert.code.clone()}</code></p>
                            {(!cert.withdrawn).then(|| view! {
                                <p class="no-print cert-actions">
                                    <button type="button" class="button" on:click=move |_| print_page()>{c.print}</button>
                                    <a class="button" rel="external"
                                        href=format!("/certificates/{}/certificate.png?lang={}", cert.code, lang)
                                        download=format!("cohort-certificate-{}.png", cert.code)>{c.download_certificate}</a>
                                </p>
                            })}
                        </article>
                    }.into_any(),
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Ratings (average and a bar per star), reviews with the creator's replies, the learner's
/// own review form, and moderation for the course's managers.
#[component]
fn Reviews(page: CoursePage, changed: RwSignal<usize>) -> impl IntoView {
    let c = t().course;
    let write = ServerAction::<ReviewCourse>::new();
    let moderate = ServerAction::<ModerateReview>::new();
    let report = ServerAction::<ReportReview>::new();
    // A saved review or reply shows in the list: the page is loaded again.
    Effect::new(move |_| {
        let done = matches!(write.value().get(), Some(Ok(())))
            || matches!(moderate.value().get(), Some(Ok(())));
        if done {
            changed.update(|n| *n += 1);
        }
    });
    let r = page.ratings.clone();
    let max = r.stars.iter().copied().max().unwrap_or(0).max(1);
    let saved = Signal::derive(move || {
        matches!(write.value().get(), Some(Ok(()))).then(|| c.review_saved.to_string())
    });
    let reported = Signal::derive(move || {
        matches!(report.value().get(), Some(Ok(()))).then(|| c.review_reported.to_string())
    });
    let moderated = Signal::derive(move || {
        matches!(moderate.value().get(), Some(Ok(()))).then(|| c.saved.to_string())
    });
    let manager = page.standing == Standing::Manager;
    let mine = page.my_review.clone();
    let course_id = page.card.id.clone();
    view! {
        <section aria-labelledby="reviews-h" class="stack reviews">
            <h2 id="reviews-h">{c.reviews}</h2>
            {if r.count == 0 {
                view! { <p class="empty-state">{c.no_reviews}</p> }.into_any()
            } else {
                view! {
                    <div class="ratings">
                        <p class="rating-average"><strong>{format!("{}.{}", r.average_tenths / 10, r.average_tenths % 10)}</strong>" / 5 · "{r.count}" "{c.ratings_word}</p>
                        <ul class="rating-bars" role="list" aria-label=c.distribution>
                            {(1..=5u32).rev().map(|star| {
                                let n = r.stars[star as usize - 1];
                                view! {
                                    <li>
                                        <span class="rating-label">{star}" ★"</span>
                                        <span class="rating-bar" aria-hidden="true"><span style=format!("width: {}%", n * 100 / max)></span></span>
                                        <span class="rating-count">{n}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </div>
                }.into_any()
            }}
            {page.can_review.then(|| {
                let rating = mine.as_ref().map_or(5, |m| m.rating);
                view! {
                    <ActionForm action=write attr:class="card stack">
                        <CsrfField/>
                        <input type="hidden" name="course_id" value=course_id.clone()/>
                        <fieldset class="stars">
                            <legend>{if mine.is_some() { c.edit_review } else { c.write_review }}</legend>
                            {(1..=5u8).map(|s| view! {
                                <label class="check"><input type="radio" name="rating" value=s.to_string() checked=s == rating/>" "{"★".repeat(usize::from(s))}<span class="visually-hidden">{format!(" {s}")}</span></label>
                            }).collect_view()}
                        </fieldset>
                        <label for="review-body">{c.review_text}</label>
                        <textarea id="review-body" name="body" rows="3" maxlength="2000">{mine.as_ref().map(|m| m.body.clone())}</textarea>
                        <FormError error=error_of(write.value())/>
                        <crate::ui::FormStatus message=saved/>
                        <SubmitButton label=c.send_review pending=write.pending()/>
                    </ActionForm>
                }
            })}
            <ul class="review-list" role="list">
                {page.reviews.clone().into_iter().map(|rv| {
                    let id = rv.id.clone();
                    let (reply_id, report_id) = (id.clone(), id.clone());
                    let old_reply = rv.reply.clone();
                    let is_mine = page.my_review.as_ref().is_some_and(|m| m.id == rv.id);
                    view! {
                        <li class="review card">
                            <p><span class="stars-shown" aria-label=format!("{} / 5", rv.rating)>{"★".repeat(usize::from(rv.rating))}{"☆".repeat(5 - usize::from(rv.rating))}</span>
                                " "<a href=format!("/u/{}", rv.author_handle)>{rv.author_name.clone()}</a>
                                " "<span class="muted">{short_date(rv.created_at)}</span></p>
                            {(!rv.body.is_empty()).then(|| view! { <p class="review-body">{rv.body.clone()}</p> })}
                            {rv.reply.clone().map(|reply| view! { <blockquote class="review-reply"><strong>{c.creator_reply}": "</strong>{reply}</blockquote> })}
                            {manager.then(|| view! {
                                <ActionForm action=moderate attr:class="stack">
                                    <CsrfField/>
                                    <input type="hidden" name="review_id" value=reply_id.clone()/>
                                    <label for=format!("reply-{reply_id}")>{c.reply_label}</label>
                                    <textarea id=format!("reply-{reply_id}") name="reply" rows="2">{old_reply.clone()}</textarea>
                                    <label class="check"><input type="checkbox" name="hide"/>" "{c.hide_review}</label>
                                    <SubmitButton label=c.save pending=moderate.pending()/>
                                </ActionForm>
                            })}
                            {(page.signed_in && !manager && !is_mine).then(|| view! {
                                <ActionForm action=report attr:class="inline">
                                    <CsrfField/>
                                    <input type="hidden" name="review_id" value=report_id.clone()/>
                                    <button type="submit" class="link-button">{c.report_review}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <crate::ui::FormStatus message=reported/>
            <crate::ui::FormStatus message=moderated/>
            <FormError error=error_of(moderate.value())/>
        </section>
    }
}
