//! Account pages: sign-up, log-in, verification, password reset, settings and public profiles.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{self, BecomeCreator, LogIn, RequestReset, ResetPassword, SaveProfile, SignUp};
use super::model::Role;
use crate::error::AppError;
use crate::i18n::t;
use crate::ui::{
    error_of, url_encode, use_session, CsrfField, Field, FormError, FormStatus, NotFound,
    SubmitButton, TextArea,
};

#[component]
pub fn SignupPage() -> impl IntoView {
    let s = t();
    let action = ServerAction::<SignUp>::new();
    use_session().refresh_after(move || action.version().get());
    let done = Signal::derive(move || match action.value().get() {
        Some(Ok(email)) => Some(format!("{} {email}.", s.signup_done)),
        _ => None,
    });
    view! {
        <Title text=s.signup_title/>
        <section class="page narrow card">
            <h1>{s.signup_title}</h1>
            <FormStatus message=done/>
            <Show when=move || done.get().is_none()>
                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                    <CsrfField/>
                    <Field id="signup-email" name="email" label=s.field_email kind="email" autocomplete="email"/>
                    <Field id="signup-name" name="display_name" label=s.field_display_name autocomplete="name"/>
                    <Field id="signup-handle" name="handle" label=s.field_handle hint=s.hint_handle autocomplete="username"/>
                    <Field
                        id="signup-password"
                        name="password"
                        label=s.field_password
                        kind="password"
                        hint=s.hint_password
                        autocomplete="new-password"
                    />
                    <FormError error=error_of(action.value())/>
                    <SubmitButton label=s.signup_submit pending=action.pending()/>
                </ActionForm>
                <p class="aside"><a href="/login">{s.signup_have_account}</a></p>
            </Show>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let s = t();
    let action = ServerAction::<LogIn>::new();
    let session = use_session();
    session.refresh_after(move || action.version().get());
    let query = use_query_map();
    let next = query.with_untracked(|q| q.get("next")).unwrap_or_default();
    let sso_problem = query
        .with_untracked(|q| q.get("sso"))
        .map(|code| match code.as_str() {
            "email" => s.err_sso_email_unverified,
            "verify" => s.err_sso_local_unverified,
            _ => s.err_sso_failed,
        });
    let sso_next = url_encode(&next);
    let sso = move || {
        let sso_next = sso_next.clone();
        Suspend::new(async move {
            let label = session.info.await.ok().and_then(|i| i.sso)?;
            let href = format!("/auth/oidc/start?next={sso_next}");
            Some(view! {
                <a class="button sso" href=href rel="external">{format!("{} {label}", s.login_sso)}</a>
                <p class="divider"><span>{s.login_or}</span></p>
            })
        })
    };
    view! {
        <Title text=s.login_title/>
        <section class="page narrow card">
            <h1>{s.login_title}</h1>
            {sso_problem.map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
            <Transition fallback=|| ()>{sso}</Transition>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <CsrfField/>
                <input type="hidden" name="next" value=next/>
                <Field id="login-email" name="email" label=s.field_email kind="email" autocomplete="email"/>
                <Field id="login-password" name="password" label=s.field_password kind="password" autocomplete="current-password"/>
                <FormError error=error_of(action.value())/>
                <SubmitButton label=s.login_submit pending=action.pending()/>
            </ActionForm>
            <p class="aside">
                <a href="/forgot">{s.login_forgot}</a>
                " · "
                <a href="/signup">{s.login_no_account}</a>
            </p>
        </section>
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let s = t();
    let action = ServerAction::<RequestReset>::new();
    let done = Signal::derive(move || {
        matches!(action.value().get(), Some(Ok(()))).then(|| s.forgot_done.to_string())
    });
    view! {
        <Title text=s.forgot_title/>
        <section class="page narrow card">
            <h1>{s.forgot_title}</h1>
            <p>{s.forgot_lead}</p>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <CsrfField/>
                <Field id="forgot-email" name="email" label=s.field_email kind="email" autocomplete="email"/>
                <FormError error=error_of(action.value())/>
                <FormStatus message=done/>
                <SubmitButton label=s.forgot_submit pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let s = t();
    let action = ServerAction::<ResetPassword>::new();
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token")).unwrap_or_default();
    let done = Signal::derive(move || {
        matches!(action.value().get(), Some(Ok(()))).then(|| s.reset_done.to_string())
    });
    view! {
        <Title text=s.reset_title/>
        <section class="page narrow card">
            <h1>{s.reset_title}</h1>
            <FormStatus message=done/>
            <Show
                when=move || done.get().is_none()
                fallback=move || view! { <a class="button primary" href="/login">{s.login_submit}</a> }
            >
                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                    <CsrfField/>
                    <input type="hidden" name="token" value=token/>
                    <Field
                        id="reset-password"
                        name="password"
                        label=s.field_new_password
                        kind="password"
                        hint=s.hint_password
                        autocomplete="new-password"
                    />
                    <FormError error=error_of(action.value())/>
                    <SubmitButton label=s.reset_submit pending=action.pending()/>
                </ActionForm>
            </Show>
        </section>
    }
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let s = t();
    let params = use_params_map();
    let result = Resource::new(
        move || params.with(|p| p.get("token")).unwrap_or_default(),
        api::verify_email,
    );
    view! {
        <Title text=s.verify_title/>
        <section class="page narrow card">
            <h1>{s.verify_title}</h1>
            <Suspense fallback=move || view! { <p aria-busy="true">{s.loading}</p> }>
                {move || Suspend::new(async move {
                    match result.await {
                        Ok(()) => view! {
                            <p class="form-status" role="status">{s.verify_done}</p>
                            <a class="button primary" href="/">{s.back_home}</a>
                        }
                        .into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let s = t();
    let session = use_session();
    let save = ServerAction::<SaveProfile>::new();
    let creator = ServerAction::<BecomeCreator>::new();
    session.refresh_after(move || save.version().get() + creator.version().get());
    let saved = Signal::derive(move || {
        matches!(save.value().get(), Some(Ok(()))).then(|| s.settings_saved.to_string())
    });
    let creator_done = Signal::derive(move || {
        matches!(creator.value().get(), Some(Ok(()))).then(|| s.settings_creator_done.to_string())
    });
    let query = use_query_map();
    let avatar_outcome = move || query.with(|q| q.get("avatar"));

    view! {
        <Title text=s.settings_title/>
        <section class="page narrow">
            <h1>{s.settings_title}</h1>
            <Transition fallback=move || view! { <p aria-busy="true">{s.loading}</p> }>
                {move || Suspend::new(async move {
                    let Some(v) = session.info.await.ok().and_then(|i| i.viewer) else {
                        return view! {
                            <p class="form-error" role="alert">{s.err_unauthenticated}</p>
                            <a class="button primary" href="/login?next=/settings">{s.nav_login}</a>
                        }
                        .into_any();
                    };
                    let is_creator = v.has(Role::Creator);
                    view! {
                        <div class="card">
                            <h2>{s.settings_profile}</h2>
                            <ActionForm action=save attr:class="stack" attr:novalidate=true>
                                <CsrfField/>
                                <Field id="settings-name" name="display_name" label=s.field_display_name value=v.display_name.to_string()/>
                                <Field id="settings-handle" name="handle" label=s.field_handle hint=s.hint_handle value=v.handle.to_string()/>
                                <TextArea id="settings-bio" name="bio" label=s.field_bio value=v.bio.to_string()/>
                                <FormError error=error_of(save.value())/>
                                <FormStatus message=saved/>
                                <SubmitButton label=s.settings_save pending=save.pending()/>
                            </ActionForm>
                        </div>
                        <div class="card">
                            <h2>{s.field_avatar}</h2>
                            {v.avatar_url.clone().map(|src| view! { <img class="avatar large" src=src alt=""/> })}
                            <form method="post" action="/settings/avatar" enctype="multipart/form-data" class="stack">
                                <CsrfField/>
                                <div class="field">
                                    <label for="settings-avatar">{s.field_avatar}</label>
                                    <input
                                        id="settings-avatar"
                                        name="avatar"
                                        type="file"
                                        accept="image/png,image/jpeg,image/gif,image/webp"
                                        required=true
                                        aria-describedby="settings-avatar-hint"
                                    />
                                    <p class="hint" id="settings-avatar-hint">{s.hint_avatar}</p>
                                </div>
                                {move || avatar_outcome().map(|o| match o.as_str() {
                                    "ok" => view! { <p class="form-status" role="status">{s.settings_avatar_done}</p> }.into_any(),
                                    other => view! { <p class="form-error" role="alert">{avatar_problem(other)}</p> }.into_any(),
                                })}
                                <button type="submit" class="button">{s.settings_avatar_upload}</button>
                            </form>
                        </div>
                        <div class="card">
                            <h2>{s.settings_creator}</h2>
                            <p>{s.settings_creator_lead}</p>
                            {if is_creator {
                                view! { <p class="badge-line">{s.settings_is_creator}</p> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=creator>
                                        <CsrfField/>
                                        <FormError error=error_of(creator.value())/>
                                        <button type="submit" class="button primary">{s.settings_become_creator}</button>
                                    </ActionForm>
                                }
                                .into_any()
                            }}
                            <FormStatus message=creator_done/>
                        </div>
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}

/// The avatar form posts to a plain route that redirects back with `?avatar=<outcome>`.
fn avatar_problem(code: &str) -> &'static str {
    let s = t();
    match code {
        "type" => s.err_avatar_type,
        "size" => s.err_avatar_size,
        "csrf" => s.err_csrf,
        "auth" => s.err_unauthenticated,
        "rate" => s.error_title,
        _ => s.err_internal,
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let s = t();
    let params = use_params_map();
    let profile = Resource::new(
        move || params.with(|p| p.get("handle")).unwrap_or_default(),
        api::get_profile,
    );
    view! {
        <Suspense fallback=move || view! { <p aria-busy="true">{s.loading}</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{t().error(&e)}</p> }.into_any(),
                    Ok(p) => {
                        let name = p.display_name.to_string();
                        let alt = format!("{} {}", s.avatar_of, name);
                        let joined = p.joined.format("%Y-%m-%d").to_string();
                        view! {
                            <Title text=name.clone()/>
                            <article class="page narrow profile">
                                <header class="profile-head">
                                    {match p.avatar_url {
                                        Some(src) => view! { <img class="avatar large" src=src alt=alt/> }.into_any(),
                                        None => view! {
                                            <span class="avatar large placeholder" aria-hidden="true">
                                                {name.chars().next().unwrap_or('?').to_string()}
                                            </span>
                                        }
                                        .into_any(),
                                    }}
                                    <div>
                                        <h1>{name.clone()}</h1>
                                        <p class="handle">"@"{p.handle.to_string()}</p>
                                        {p.is_creator.then(|| view! { <span class="badge">{s.profile_creator_badge}</span> })}
                                    </div>
                                </header>
                                {if p.bio.as_str().is_empty() {
                                    view! { <p class="muted">{s.profile_no_bio}</p> }.into_any()
                                } else {
                                    view! { <p class="bio">{p.bio.to_string()}</p> }.into_any()
                                }}
                                <p class="muted small">{s.profile_joined}" "<time datetime=joined.clone()>{joined.clone()}</time></p>
                            </article>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
