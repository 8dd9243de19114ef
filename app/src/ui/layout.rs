//! Header (navigation, account menu, language switch), footer and the 404 page.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use super::{use_session, CsrfField};
use crate::accounts::api::LogOut;
use crate::accounts::model::Role;
use crate::i18n::{t, use_lang, Lang};

#[component]
pub fn Header() -> impl IntoView {
    let s = t();
    let reports_nav = crate::admin::reports::text::text().nav;
    let session = use_session();
    let menu = NodeRef::<leptos::html::Details>::new();
    // Following a link in the menu closes it, so it does not cover the page it opens (the log
    // out button is left alone: its form still has to submit).
    let close_menu = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let on_link = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| el.closest("a").ok().flatten().is_some());
            if let (true, Some(d)) = (on_link, menu.get_untracked()) {
                let _ = d.remove_attribute("open");
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let logout = ServerAction::<LogOut>::new();
    session.refresh_after(move || logout.version().get());

    let account = move || {
        Suspend::new(async move {
            let viewer = session.info.await.ok().and_then(|i| i.viewer);
            match viewer {
                None => view! {
                    <a href="/login" class="nav-link">{s.nav_login}</a>
                    <a href="/signup" class="button primary small">{s.nav_signup}</a>
                }
                .into_any(),
                Some(v) => {
                    let is_admin = v.has(Role::Admin);
                    let is_creator = v.has(Role::Creator);
                    let profile = format!("/u/{}", v.handle);
                    view! {
                        <details class="account-menu" node_ref=menu>
                            <summary>
                                {v.avatar_url.clone().map(|src| view! { <img class="avatar tiny" src=src alt=""/> })}
                                <span>{v.display_name.to_string()}</span>
                            </summary>
                            <div class="menu" on:click=close_menu>
                                <a href=profile>{s.nav_profile}</a>
                                <a href="/settings">{s.nav_settings}</a>
                                <a href="/pledges">{s.pay.my_pledges}</a>
                                {is_creator.then(|| view! { <a href="/campaigns">{s.campaign.my_campaigns}</a> })}
                                {is_creator.then(|| view! { <a href="/studio/courses">{s.course.nav_studio}</a> })}
                                {is_admin.then(|| view! { <a href="/admin/review">{s.campaign.review_title}</a> })}
                                {is_admin.then(|| view! { <a href="/admin/reports">{reports_nav}</a> })}
                                {is_admin.then(|| view! { <a href="/admin/outbox">{s.nav_outbox}</a> })}
                                {is_admin.then(|| view! { <a href="/admin/payments">{s.pay.nav_recon}</a> })}
                                <ActionForm action=logout>
                                    <CsrfField/>
                                    <button type="submit" class="link-button">{s.nav_logout}</button>
                                </ActionForm>
                            </div>
                        </details>
                    }
                    .into_any()
                }
            }
        })
    };

    view! {
        <TestModeBanner/>
        <header class="site-header">
            <a href="/" class="brand" aria-label="Cohort">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Cohort"
            </a>
            <nav aria-label="Main" class="main-nav">
                <a href="/discover" class="nav-link">{s.nav_discover}</a>
                <a href="/courses" class="nav-link">{s.course.nav_courses}</a>
            </nav>
            <div class="account">
                <Transition fallback=|| ()>{account}</Transition>
            </div>
            <LangSwitch/>
        </header>
        <VerifyBanner/>
    }
}

/// After a client-side navigation to another page, focus goes to the new page's heading, as a
/// full page load would reset it, so keyboard and screen-reader users start at the content.
/// Focus the person put in the page (a field they are typing in) is left alone.
#[component]
pub fn FocusOnNavigate() -> impl IntoView {
    let location = use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        #[cfg(feature = "hydrate")]
        if previous.as_ref().is_some_and(|p| *p != path) {
            // After the new page has rendered.
            leptos::prelude::request_animation_frame(focus_heading);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = previous;
        path
    });
}

#[cfg(feature = "hydrate")]
fn focus_heading() {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let in_main = doc
        .active_element()
        .is_some_and(|el| el.closest("main").ok().flatten().is_some());
    if in_main {
        return;
    }
    let target = doc
        .query_selector("main h1")
        .ok()
        .flatten()
        .or_else(|| doc.get_element_by_id("main"));
    if let Some(el) = target.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
        if !el.has_attribute("tabindex") {
            let _ = el.set_attribute("tabindex", "-1");
        }
        let _ = el.focus();
    }
}

#[component]
fn LangSwitch() -> impl IntoView {
    let current = use_lang();
    let location = use_location();
    let next = move || {
        let path = location.pathname.get();
        let query = location.search.get();
        let full = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        url_encode(&full)
    };
    view! {
        <nav class="lang-switch" aria-label=t().nav_language>
            {Lang::ALL
                .into_iter()
                .map(|lang| {
                    let href = move || format!("/lang/{}?next={}", lang.tag(), next());
                    view! {
                        <a
                            href=href
                            rel="external"
                            hreflang=lang.tag()
                            lang=lang.tag()
                            aria-current=(lang == current).then_some("true")
                        >
                            {lang.native_name()}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// A slim line above every page while payments are pretend (the Stripe simulator or another
/// fake), so nobody believes they paid or were paid.
#[component]
fn TestModeBanner() -> impl IntoView {
    let session = use_session();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let test_mode = session.info.await.ok().is_some_and(|i| i.test_mode);
                test_mode.then(|| view! { <p class="test-mode" role="note">{t().test_mode_banner}</p> })
            })}
        </Transition>
    }
}

/// Reminds a signed-in, unverified user to verify, with a button to send the link again.
#[component]
fn VerifyBanner() -> impl IntoView {
    let session = use_session();
    let resend = ServerAction::<crate::accounts::api::ResendVerification>::new();
    let s = t();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let unverified = session
                    .info
                    .await
                    .ok()
                    .and_then(|i| i.viewer)
                    .is_some_and(|v| !v.email_verified);
                unverified.then(|| view! {
                    <div class="banner" role="note">
                        <span>{s.verify_banner}</span>
                        <ActionForm action=resend>
                            <CsrfField/>
                            <button type="submit" class="link-button">{s.verify_resend}</button>
                        </ActionForm>
                        {move || match resend.value().get() {
                            Some(Ok(())) => Some(view! { <span role="status">{s.verify_resent}</span> }.into_any()),
                            Some(Err(e)) => Some(view! { <span role="alert">{t().error(&e)}</span> }.into_any()),
                            None => None,
                        }}
                    </div>
                })
            })}
        </Transition>
    }
}

/// Percent-encodes a local path for use as a query value (`/` kept for readability).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>{t().footer_made}</p>
        </footer>
    }
}

/// The 404 page; on the server it also sets the status.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    let s = t();
    view! {
        <Title text=s.not_found_title/>
        <section class="page narrow empty-state">
            <h1>{s.not_found_title}</h1>
            <p>{s.not_found_body}</p>
            <a class="button" href="/">{s.back_home}</a>
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_paths_are_percent_encoded() {
        assert_eq!(
            super::url_encode("/u/ada?x=1&y=2"),
            "/u/ada%3Fx%3D1%26y%3D2"
        );
    }
}

/// What the error boundary shows when a page fails to render: a calm sentence and a way on,
/// never the cause (that is in the server log).
#[component]
pub fn ErrorPage(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let s = t();
    // Logged once here (in the browser console or the server log); people see a sentence.
    errors.with_untracked(|e| {
        for (_, err) in e.iter() {
            leptos::logging::error!("page error: {err}");
        }
    });
    view! {
        <section class="page narrow empty-state" role="alert">
            <h1>{s.error_title}</h1>
            <p>{s.err_internal}</p>
            <a class="button" href="/">{s.back_home}</a>
        </section>
    }
}
