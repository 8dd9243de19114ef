//! The WebAssembly entry point: hydrates the server-rendered page.

// Leptos view types of the larger pages (campaign editor, campaign page) nest deeper than
// rustc's default limit allows when computing their layout.
#![recursion_limit = "512"]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // End-to-end tests (and curious people) can tell when the page became interactive.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
