//! Facts the page needs synchronously on both sides: the language and the CSRF token. The
//! server reads them from the request; the browser reads what the server wrote into the page.

use crate::i18n::Lang;

#[cfg(feature = "ssr")]
pub fn current_lang() -> Lang {
    crate::backend::request::request_lang()
}

#[cfg(feature = "ssr")]
pub fn current_csrf() -> String {
    use leptos::prelude::use_context;
    use_context::<http::request::Parts>()
        .and_then(|p| {
            p.extensions
                .get::<crate::backend::request::CsrfToken>()
                .map(|t| t.0.clone())
        })
        .unwrap_or_default()
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
pub fn current_lang() -> Lang {
    document()
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .and_then(|tag| Lang::from_tag(&tag))
        .unwrap_or_default()
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
pub fn current_csrf() -> String {
    document()
        .and_then(|d| d.query_selector("meta[name=csrf-token]").ok().flatten())
        .and_then(|m| m.get_attribute("content"))
        .unwrap_or_default()
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
pub fn current_lang() -> Lang {
    Lang::default()
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
pub fn current_csrf() -> String {
    String::new()
}
