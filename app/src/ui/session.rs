//! The signed-in viewer as a resource every page can read. It reloads whenever an action that
//! changes who is signed in (or what they look like) completes.

use leptos::prelude::*;

use crate::accounts::api::get_session;
use crate::accounts::model::SessionInfo;
use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct SessionCtx {
    pub info: Resource<Result<SessionInfo, AppError>>,
    generation: RwSignal<u32>,
}

impl SessionCtx {
    pub fn provide() -> SessionCtx {
        let generation = RwSignal::new(0u32);
        let info = Resource::new_blocking(move || generation.get(), |_| get_session());
        let ctx = SessionCtx { info, generation };
        provide_context(ctx);
        ctx
    }

    /// Reloads the session after `version` (an action's version signal) moves.
    pub fn refresh_after(self, version: impl Fn() -> usize + 'static) {
        Effect::new(move |prev: Option<usize>| {
            let v = version();
            if prev.is_some_and(|p| p != v) {
                self.generation.update(|g| *g += 1);
            }
            v
        });
    }
}

pub fn use_session() -> SessionCtx {
    expect_context::<SessionCtx>()
}
