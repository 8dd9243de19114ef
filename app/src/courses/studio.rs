//! The course studio: a creator's courses (`/studio/courses`), one course's details and syllabus
//! (`/studio/courses/:id`) and one lesson's editor (`/studio/courses/:id/lessons/:lesson`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::model::{CouponView, CourseDraft, CourseState, Discount, LessonDraft, Level};
use super::rules::quiz_text;
use super::studio_api::{
    self, AddLesson, AddSection, CreateCourse, DeleteLesson, GrantCourse, MoveLesson,
    PublishCourse, ReorderSection, SaveCoupon, SaveCourse, SaveLesson,
};
use crate::i18n::t;
use crate::money::Currency;
use crate::ui::{error_of, CsrfField, FormError, FormStatus, SubmitButton};

/// Major units for a price input ("49.00").
fn major(minor: i64, currency: Currency) -> String {
    let exp = currency.exponent();
    if exp == 0 {
        return minor.to_string();
    }
    let scale = 10_i64.pow(exp);
    format!("{}.{:0w$}", minor / scale, minor % scale, w = exp as usize)
}

#[component]
pub fn StudioPage() -> impl IntoView {
    let c = t().course;
    let create = ServerAction::<CreateCourse>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/studio/courses/{id}"), Default::default());
        }
    });
    let list = Resource::new(|| (), |_| studio_api::my_courses());
    view! {
        <Title text=c.studio_title/>
        <section class="page stack">
            <h1>{c.studio_title}</h1>
            <ActionForm action=create attr:class="stack card">
                <CsrfField/>
                <label for="new-course">{c.new_course_title}</label>
                <input id="new-course" name="title" required minlength="3" maxlength="120"/>
                <FormError error=error_of(create.value())/>
                <SubmitButton label=c.create_course pending=create.pending()/>
            </ActionForm>
            <Suspense fallback=move || view! { <p class="muted">{t().loading}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(cards) if cards.is_empty() => view! { <p class="empty-state">{c.studio_empty}</p> }.into_any(),
                        Ok(cards) => view! {
                            <ul class="stack" role="list">
                                {cards.into_iter().map(|card| view! {
                                    <li class="card row">
                                        <a href=format!("/studio/courses/{}", card.id)>{card.title.clone()}</a>
                                        <span class="badge">{if card.state == CourseState::Published { c.published } else { c.draft }}</span>
                                        <span class="muted">{card.lessons}" "{c.lessons_word}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn CourseStudioPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let changed = RwSignal::new(0usize);
    let data = Resource::new(
        move || (id(), changed.get()),
        |(id, _)| studio_api::get_course_draft(id),
    );
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <CourseStudio d changed/> }.into_any(),
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CourseStudio(d: CourseDraft, changed: RwSignal<usize>) -> impl IntoView {
    let c = t().course;
    let save = ServerAction::<SaveCourse>::new();
    let section = ServerAction::<AddSection>::new();
    let lesson = ServerAction::<AddLesson>::new();
    let publish = ServerAction::<PublishCourse>::new();
    let mover = ServerAction::<MoveLesson>::new();
    let delete = ServerAction::<DeleteLesson>::new();
    let grant = ServerAction::<GrantCourse>::new();
    // Drag and drop within a section (the ↑/↓ buttons do the same from the keyboard).
    let reorder = ServerAction::<ReorderSection>::new();
    let dragged = RwSignal::new(None::<String>);
    let csrf = use_context::<crate::ui::Csrf>()
        .map(|x| x.0)
        .unwrap_or_default();
    Effect::new(move |_| {
        let n = section.version().get()
            + reorder.version().get()
            + lesson.version().get()
            + publish.version().get()
            + mover.version().get()
            + delete.version().get();
        if n > 0 {
            changed.update(|x| *x += 1);
        }
    });
    let saved = Signal::derive(move || {
        matches!(save.value().get(), Some(Ok(()))).then(|| c.saved.to_string())
    });
    let granted = Signal::derive(move || {
        matches!(grant.value().get(), Some(Ok(()))).then(|| c.granted.to_string())
    });
    let card = d.card.clone();
    let published = card.state == CourseState::Published;
    let price = card
        .price
        .map(|p| major(p, card.currency))
        .unwrap_or_default();
    let id = card.id.clone();
    let (id_publish, id_save, id_section, id_grant) =
        (id.clone(), id.clone(), id.clone(), id.clone());
    view! {
        <Title text=format!("{} · {}", c.studio_title, card.title)/>
        <section class="page stack studio">
            <p><a href="/studio/courses">"← "{c.studio_title}</a></p>
            <h1>{card.title.clone()}</h1>
            <p class="row">
                <span class="badge">{if published { c.published } else { c.draft }}</span>
                <span class="muted">{d.enrolled}" "{c.learners}</span>
                {published.then(|| view! { <a href=format!("/courses/{}", card.slug)>{c.view_page}</a> })}
            </p>
            <ActionForm action=publish attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="course_id" value=id_publish.clone()/>
                <input type="hidden" name="publish" value=(!published).to_string()/>
                <SubmitButton label=if published { c.unpublish } else { c.publish } pending=publish.pending()/>
            </ActionForm>
            <FormError error=error_of(publish.value())/>

            <details open=!published class="card">
                <summary>{c.details}</summary>
                <ActionForm action=save attr:class="stack">
                    <CsrfField/>
                    <input type="hidden" name="course_id" value=id_save.clone()/>
                    <div class="field"><label for="c-title">{c.title_label}</label><input id="c-title" name="title" value=card.title.clone() required/></div>
                    <div class="field"><label for="c-slug">{c.slug_label}</label><input id="c-slug" name="slug" value=card.slug.clone() required/></div>
                    <div class="field"><label for="c-summary">{c.summary_label}</label><textarea id="c-summary" name="summary" rows="3">{card.summary.clone()}</textarea></div>
                    <div class="field"><label for="c-level">{c.level_label}</label>
                        <select id="c-level" name="level">
                            {Level::ALL.into_iter().map(|l| view! { <option value=l.as_str() selected=l == card.level>{c.level(l)}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field"><label for="c-lang">{c.language_label}</label>
                        <select id="c-lang" name="language">
                            <option value="en" selected=card.language != "zh-CN">"English"</option>
                            <option value="zh-CN" selected=card.language == "zh-CN">"中文"</option>
                        </select>
                    </div>
                    <div class="field"><label for="c-tags">{c.tags_label}</label><input id="c-tags" name="tags" value=d.tags.join(", ")/></div>
                    <div class="field"><label for="c-price">{c.price_label}</label><input id="c-price" name="price" inputmode="decimal" value=price/>
                        <p class="hint">{c.price_hint}</p></div>
                    <div class="field"><label for="c-cur">{c.currency_label}</label>
                        <select id="c-cur" name="currency">
                            {Currency::ALL.into_iter().map(|cur| view! { <option value=cur.code() selected=cur == card.currency>{cur.code()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field"><label for="c-camp">{c.campaign_label}</label>
                        <select id="c-camp" name="campaign_id">
                            <option value="">{c.no_campaign}</option>
                            {d.campaigns.iter().map(|(cid, title)| view! { <option value=cid.clone() selected=d.campaign_id.as_deref() == Some(cid.as_str())>{title.clone()}</option> }).collect_view()}
                        </select>
                        <p class="hint">{c.campaign_hint}</p></div>
                    <FormError error=error_of(save.value())/>
                    <FormStatus message=saved/>
                    <SubmitButton label=c.save pending=save.pending()/>
                </ActionForm>
            </details>

            <section aria-labelledby="syl-h" class="stack">
                <h2 id="syl-h">{c.syllabus}</h2>
                {d.sections.iter().map(|s| {
                    let lessons: Vec<LessonDraft> = d.lessons.iter().filter(|l| l.section == s.id).cloned().collect();
                    let section_order: Vec<String> = lessons.iter().map(|l| l.id.clone()).collect();
                    let csrf = csrf.clone();
                    let course_id = id.clone();
                    let section_id = s.id.clone();
                    view! {
                        <div class="card stack">
                            <h3>{s.title.clone()}</h3>
                            {lessons.is_empty().then(|| view! { <p class="muted">{c.section_empty}</p> })}
                            <ol class="studio-lessons" role="list">
                                {lessons.into_iter().map(|l| {
                                    let href = format!("/studio/courses/{}/lessons/{}", course_id, l.id);
                                    let lid = l.id.clone();
                                    let (drag_id, drop_id) = (lid.clone(), lid.clone());
                                    let (order, drop_course, drop_section, drop_csrf) = (section_order.clone(), course_id.clone(), section_id.clone(), csrf.clone());
                                    let on_drop = move |ev: leptos::ev::DragEvent| {
                                        ev.prevent_default();
                                        let Some(from) = dragged.get_untracked() else { return };
                                        let mut order = order.clone();
                                        let Some(i) = order.iter().position(|x| *x == from) else { return };
                                        let item = order.remove(i);
                                        let j = order.iter().position(|x| *x == drop_id).unwrap_or(order.len());
                                        order.insert(j, item);
                                        reorder.dispatch(ReorderSection { csrf: drop_csrf.clone(), course_id: drop_course.clone(), section: drop_section.clone(), order });
                                    };
                                    let (up_id, down_id) = (lid.clone(), lid.clone());
                                    let (up_label, down_label, del_label) = (format!("{} {}", c.move_up, l.title), format!("{} {}", c.move_down, l.title), format!("{} {}", c.delete, l.title));
                                    view! {
                                        <li class="row" draggable="true" on:dragstart=move |_| dragged.set(Some(drag_id.clone()))
                                            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
                                            <span class="drag-handle" aria-hidden="true">"⠿"</span>
                                            <a href=href>{l.title.clone()}</a>
                                            <super::pages::LessonMarks optional=l.optional final_assessment=l.final_assessment/>
                                            {l.preview.then(|| view! { <span class="badge">{c.free_preview}</span> })}
                                            {l.media.is_some().then(|| view! { <span class="badge muted">{c.has_media}</span> })}
                                            {(!l.questions.is_empty()).then(|| view! { <span class="badge muted">{c.has_quiz}</span> })}
                                            <ActionForm action=mover attr:class="inline">
                                                <CsrfField/><input type="hidden" name="lesson_id" value=up_id.clone()/><input type="hidden" name="up" value="true"/>
                                                <button type="submit" class="button small" aria-label=up_label.clone()>"↑"</button>
                                            </ActionForm>
                                            <ActionForm action=mover attr:class="inline">
                                                <CsrfField/><input type="hidden" name="lesson_id" value=down_id.clone()/><input type="hidden" name="up" value="false"/>
                                                <button type="submit" class="button small" aria-label=down_label.clone()>"↓"</button>
                                            </ActionForm>
                                            <ActionForm action=delete attr:class="inline">
                                                <CsrfField/><input type="hidden" name="lesson_id" value=lid.clone()/>
                                                <button type="submit" class="button small danger" aria-label=del_label.clone()>"✕"</button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                            <ActionForm action=lesson attr:class="row">
                                <CsrfField/>
                                <input type="hidden" name="course_id" value=course_id.clone()/>
                                <input type="hidden" name="section" value=section_id.clone()/>
                                <label class="visually-hidden" for=format!("new-lesson-{section_id}")>{c.new_lesson}</label>
                                <input id=format!("new-lesson-{section_id}") name="title" placeholder=c.new_lesson required minlength="3"/>
                                <SubmitButton label=c.add_lesson pending=lesson.pending()/>
                            </ActionForm>
                        </div>
                    }
                }).collect_view()}
                <FormError error=error_of(lesson.value())/>
                <ActionForm action=section attr:class="row">
                    <CsrfField/>
                    <input type="hidden" name="course_id" value=id_section.clone()/>
                    <label class="visually-hidden" for="new-section">{c.new_section}</label>
                    <input id="new-section" name="title" placeholder=c.new_section required/>
                    <SubmitButton label=c.add_section pending=section.pending()/>
                </ActionForm>
                <FormError error=error_of(section.value())/>
            </section>

            <super::report::InsightsView course_id=id.clone()/>
            <super::sales::SalesLedger course_id=id.clone()/>
            <Coupons course_id=id.clone() coupons=d.coupons.clone() currency=card.currency changed/>

            <section aria-labelledby="grant-h" class="card stack">
                <h2 id="grant-h">{c.grant_title}</h2>
                <p class="muted">{c.grant_lead}</p>
                <ActionForm action=grant attr:class="row">
                    <CsrfField/>
                    <input type="hidden" name="course_id" value=id_grant.clone()/>
                    <label class="visually-hidden" for="grant-email">{t().field_email}</label>
                    <input id="grant-email" type="email" name="email" required placeholder=t().field_email/>
                    <SubmitButton label=c.grant pending=grant.pending()/>
                </ActionForm>
                <FormError error=error_of(grant.value())/>
                <FormStatus message=granted/>
            </section>
        </section>
    }
}

#[component]
pub fn LessonStudioPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let lesson_id = move || params.with(|p| p.get("lesson")).unwrap_or_default();
    let data = Resource::new(id, studio_api::get_course_draft);
    view! {
        <Suspense fallback=move || view! { <p class="muted page">{t().loading}</p> }>
            {move || Suspend::new(async move {
                let wanted = lesson_id();
                match data.await {
                    Ok(d) => match d.lessons.iter().find(|l| l.id == wanted).cloned() {
                        Some(l) => view! { <LessonStudio d l/> }.into_any(),
                        None => view! { <crate::ui::NotFound/> }.into_any(),
                    },
                    Err(_) => view! { <crate::ui::NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LessonStudio(d: CourseDraft, l: LessonDraft) -> impl IntoView {
    let c = t().course;
    let save = ServerAction::<SaveLesson>::new();
    let saved = Signal::derive(move || {
        matches!(save.value().get(), Some(Ok(()))).then(|| c.saved.to_string())
    });
    let query = use_query_map();
    let upload = query.with_untracked(|q| q.get("upload"));
    let upload_msg = upload.map(|o| (o == "ok", c.upload_outcome(&o)));
    let opens = l
        .opens_at
        .map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default();
    let back = format!("/studio/courses/{}", d.card.id);
    let lesson_id = l.id.clone();
    let csrf = use_context::<crate::ui::Csrf>()
        .map(|x| x.0)
        .unwrap_or_default();
    view! {
        <Title text=format!("{} · {}", l.title, d.card.title)/>
        <section class="page stack studio">
            <p><a href=back>"← "{d.card.title.clone()}</a></p>
            <h1>{l.title.clone()}</h1>
            {upload_msg.map(|(ok, msg)| view! { <p class=if ok { "form-status" } else { "form-error" } role="status">{msg}</p> })}
            <ActionForm action=save attr:class="stack card">
                <CsrfField/>
                <input type="hidden" name="lesson_id" value=lesson_id.clone()/>
                <div class="field"><label for="l-title">{c.title_label}</label><input id="l-title" name="title" value=l.title.clone() required/></div>
                <div class="field"><label for="l-section">{c.section_label}</label>
                    <select id="l-section" name="section">
                        {d.sections.iter().map(|s| view! { <option value=s.id.clone() selected=s.id == l.section>{s.title.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field"><label for="l-body">{c.body_label}</label>
                    <textarea id="l-body" name="body" rows="14" aria-describedby="l-body-hint">{l.body.clone()}</textarea>
                    <p class="hint" id="l-body-hint">{c.body_hint}</p></div>
                <label class="check"><input type="checkbox" name="preview" checked=l.preview/>" "{c.preview_label}</label>
                <div class="field"><label for="l-opens">{c.opens_label}</label><input id="l-opens" type="datetime-local" name="opens_at" value=opens/>
                    <p class="hint">{c.opens_hint}</p></div>
                <div class="field"><label for="l-note">{c.version_note_label}</label><input id="l-note" name="version_note" value=l.version_note.clone().unwrap_or_default() maxlength="300"/></div>
                <div class="field"><label for="l-quiz">{c.quiz_label}</label>
                    <textarea id="l-quiz" name="quiz" rows="8" aria-describedby="l-quiz-hint">{quiz_text(&l.questions)}</textarea>
                    <p class="hint" id="l-quiz-hint">{c.quiz_hint}</p></div>
                <div class="field"><label for="l-pass">{c.pass_mark_label}</label><input id="l-pass" type="number" name="pass_mark" min="0" max="100" value=l.pass_mark.to_string()/></div>
                <div class="field"><label for="l-attempts">{c.max_attempts_label}</label>
                    <input id="l-attempts" type="number" name="max_attempts" min="1" max="50" value=l.attempt_limit.max.to_string() aria-describedby="l-attempts-hint"/></div>
                <div class="field"><label for="l-wait">{c.retry_wait_label}</label>
                    <input id="l-wait" type="number" name="retry_wait_hours" min="0" max="720" value=l.attempt_limit.wait_hours.to_string() aria-describedby="l-attempts-hint"/>
                    <p class="hint" id="l-attempts-hint">{c.attempts_hint}</p></div>
                <div class="field">
                    <label class="check"><input type="checkbox" name="optional" checked=l.optional aria-describedby="l-optional-hint"/>" "{c.optional_label}</label>
                    <p class="hint" id="l-optional-hint">{c.optional_hint}</p>
                </div>
                <div class="field">
                    <label class="check"><input type="checkbox" name="final_assessment" checked=l.final_assessment aria-describedby="l-final-hint"/>" "{c.final_label}</label>
                    <p class="hint" id="l-final-hint">{c.final_hint}</p>
                </div>
                <FormError error=error_of(save.value())/>
                <FormStatus message=saved/>
                <SubmitButton label=c.save pending=save.pending()/>
            </ActionForm>

            <section class="card stack" aria-labelledby="media-h">
                <h2 id="media-h">{c.media_title}</h2>
                {l.media.clone().map(|m| view! { <p>{c.current_media}" "<strong>{m.name.clone()}</strong>" "<span class="muted">{format!("({} MB, {})", m.size / 1_048_576, m.mime)}</span></p> })}
                <form method="post" enctype="multipart/form-data" action=format!("/studio/lessons/{}/media", l.id) class="stack">
                    <input type="hidden" name="csrf" value=csrf.clone()/>
                    <label for="l-media">{c.media_label}</label>
                    <input id="l-media" type="file" name="file" accept="video/mp4,video/webm,audio/mpeg,audio/mp4,audio/ogg,audio/wav" required/>
                    <p class="hint">{c.media_hint}</p>
                    <button type="submit" class="button">{c.upload}</button>
                </form>
                <h3>{c.attachments}</h3>
                <ul>{l.attachments.iter().map(|a| view! { <li>{a.name.clone()}" "<span class="muted">{format!("({} KB)", a.size / 1024)}</span></li> }).collect_view()}</ul>
                <form method="post" enctype="multipart/form-data" action=format!("/studio/lessons/{}/attachments", l.id) class="stack">
                    <input type="hidden" name="csrf" value=csrf/>
                    <label for="l-file">{c.attachment_label}</label>
                    <input id="l-file" type="file" name="file" required/>
                    <p class="hint">{c.attachment_hint}</p>
                    <button type="submit" class="button">{c.upload}</button>
                </form>
            </section>
        </section>
    }
}

#[component]
fn Coupons(
    course_id: String,
    coupons: Vec<CouponView>,
    currency: Currency,
    changed: RwSignal<usize>,
) -> impl IntoView {
    let c = t().course;
    let save = ServerAction::<SaveCoupon>::new();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            changed.update(|n| *n += 1);
        }
    });
    view! {
        <section aria-labelledby="coupons-h" class="card stack">
            <h2 id="coupons-h">{c.coupons_title}</h2>
            {if coupons.is_empty() {
                view! { <p class="muted">{c.no_coupons}</p> }.into_any()
            } else {
                view! {
                    <ul role="list" class="stack">
                        {coupons.into_iter().map(|k| {
                            let off = match k.discount {
                                Discount::Percent(p) => format!("{p}%"),
                                Discount::Amount(a) => crate::money::Money::new(a, currency).to_string(),
                            };
                            let until = k.expires_at.map(|at| format!(" · {} {}", c.until, at.format("%Y-%m-%d"))).unwrap_or_default();
                            view! { <li><code>{k.code}</code>" − "{off}" · "{format!("{}/{} {}", k.used, k.max_uses, c.used_word)}{until}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <ActionForm action=save attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="course_id" value=course_id/>
                <div class="field"><label for="k-code">{c.coupon_code}</label><input id="k-code" name="code" required placeholder="LAUNCH-50"/></div>
                <div class="field"><label for="k-pct">{c.percent_off}</label><input id="k-pct" name="percent" inputmode="numeric"/></div>
                <div class="field"><label for="k-amt">{c.amount_off}</label><input id="k-amt" name="amount" inputmode="decimal"/>
                    <p class="hint">{c.coupon_hint}</p></div>
                <div class="field"><label for="k-max">{c.max_uses}</label><input id="k-max" name="max_uses" inputmode="numeric" value="100"/></div>
                <div class="field"><label for="k-exp">{c.expires_on}</label><input id="k-exp" type="date" name="expires_on"/></div>
                <FormError error=error_of(save.value())/>
                <SubmitButton label=c.save_coupon pending=save.pending()/>
            </ActionForm>
        </section>
    }
}
