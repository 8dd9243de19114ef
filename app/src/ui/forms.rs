//! Form pieces with the accessibility wiring done once: labels, hints, live error regions.

use leptos::prelude::*;

use crate::error::AppError;
use crate::i18n::t;

/// The hidden CSRF field every state-changing form carries.
#[component]
pub fn CsrfField() -> impl IntoView {
    let token = use_context::<super::Csrf>()
        .map(|c| c.0)
        .unwrap_or_default();
    view! { <input type="hidden" name="csrf" value=token/> }
}

#[component]
pub fn Field(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let described = hint.map(|_| hint_id.clone());
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type=kind
                required=required
                autocomplete=autocomplete
                aria-describedby=described
                value=value
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
        </div>
    }
}

#[component]
pub fn TextArea(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(optional, into)] value: Option<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <textarea id=id name=name rows="4">{value}</textarea>
        </div>
    }
}

#[component]
pub fn SubmitButton(label: &'static str, #[prop(into)] pending: Signal<bool>) -> impl IntoView {
    view! {
        <button type="submit" class="button primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {move || if pending.get() { t().working } else { label }}
        </button>
    }
}

/// The error of an action's last result, for [`FormError`].
pub fn error_of<T: 'static>(
    value: impl Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
) -> Signal<Option<AppError>> {
    Signal::derive(move || value.get().and_then(|r| r.err()))
}

/// The error of the last submission, announced to screen readers.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <p class="form-error" role="alert">{t().error(&e)}</p> })
    }
}

/// A success message, announced politely.
#[component]
pub fn FormStatus(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p class="form-status" role="status">{m}</p> })
    }
}
