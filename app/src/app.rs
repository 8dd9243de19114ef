//! The HTML shell and the route table.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::accounts::{
    ForgotPage, LoginPage, ProfilePage, ResetPage, SettingsPage, SignupPage, VerifyPage,
};
use crate::admin::OutboxPage;
use crate::campaigns::dashboard_page::DashboardPage;
use crate::campaigns::editor::EditorPage;
use crate::campaigns::pages::{
    CampaignPage, DiscoverPage, MyCampaignsPage, ReviewPage, UnsubscribePage,
};
use crate::courses::pages::{CataloguePage, CertificatePage, CoursePageView, LessonPageView};
use crate::courses::studio::{CourseStudioPage, LessonStudioPage, StudioPage};
use crate::i18n::Lang;
use crate::payments::pages::{LedgerPage, MyPledgesPage, PledgePage, PledgeReturnPage};
use crate::ui::{self, Footer, Header, HomePage, NotFound, SessionCtx};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = ui::request::current_lang();
    let csrf = ui::request::current_csrf();
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="csrf-token" content=csrf/>
                <meta name="theme-color" content="#3b2f8f"/>
                <meta name="description" content=lang.strings().home_lead/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href="/pkg/cohort.css"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// HTML pages get a policy whose script nonce matches the hydration scripts Leptos emits, so no
/// inline script runs unless this response wrote it.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use leptos::nonce::use_nonce;
    let (Some(nonce), Some(res)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let policy = format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    );
    if let Ok(v) = http::HeaderValue::from_str(&policy) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let lang: Lang = ui::request::current_lang();
    provide_context(lang);
    provide_context(ui::Csrf(ui::request::current_csrf()));
    SessionCtx::provide();
    let s = lang.strings();

    view! {
        <Title formatter=|title: String| if title.is_empty() { "Cohort".to_string() } else { format!("{title} · Cohort") }/>
        <Router>
            // A real fragment navigation (not the router's), so focus moves into <main>.
            <a class="skip-link" href="#main" rel="external">{s.skip_to_content}</a>
            <ui::FocusOnNavigate/>
            <Header/>
            <main id="main" tabindex="-1">
                <ErrorBoundary fallback=|errors| view! { <ui::ErrorPage errors/> }>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot") view=ForgotPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset/:token") view=ResetPage ssr=SsrMode::Async/>
                    <Route path=path!("/verify/:token") view=VerifyPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/u/:handle") view=ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/outbox") view=OutboxPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/payments") view=crate::payments::reconcile::ReconciliationPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/review") view=ReviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/reports") view=crate::admin::reports::page::ReportsPage ssr=SsrMode::Async/>
                    <Route path=path!("/discover") view=DiscoverPage ssr=SsrMode::Async/>
                    <Route path=path!("/c/:slug") view=CampaignPage ssr=SsrMode::Async/>
                    <Route path=path!("/c/:slug/pledge") view=PledgePage ssr=SsrMode::Async/>
                    <Route path=path!("/pledges") view=MyPledgesPage ssr=SsrMode::Async/>
                    <Route path=path!("/pledges/:id") view=PledgeReturnPage ssr=SsrMode::Async/>
                    <Route path=path!("/campaigns/:id/ledger") view=LedgerPage ssr=SsrMode::Async/>
                    <Route path=path!("/campaigns") view=MyCampaignsPage ssr=SsrMode::Async/>
                    <Route path=path!("/campaigns/:id/edit") view=EditorPage ssr=SsrMode::Async/>
                    <Route path=path!("/campaigns/:id/dashboard") view=DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/courses") view=CataloguePage ssr=SsrMode::Async/>
                    <Route path=path!("/courses/:slug") view=CoursePageView ssr=SsrMode::Async/>
                    <Route path=path!("/courses/:slug/lessons/:id") view=LessonPageView ssr=SsrMode::Async/>
                    <Route path=path!("/certificates/:code") view=CertificatePage ssr=SsrMode::Async/>
                    <Route path=path!("/studio/courses") view=StudioPage ssr=SsrMode::Async/>
                    <Route path=path!("/studio/courses/:id") view=CourseStudioPage ssr=SsrMode::Async/>
                    <Route path=path!("/studio/courses/:id/lessons/:lesson") view=LessonStudioPage ssr=SsrMode::Async/>
                    <Route path=path!("/unsubscribe/:token") view=UnsubscribePage ssr=SsrMode::Async/>
                </Routes>
                </ErrorBoundary>
            </main>
            <Footer/>
        </Router>
    }
}
