//! Cohort's isomorphic application: routes, pages, server functions and the model types both the
//! server and the browser share. Modules that touch the database, mail or the file system compile
//! only with feature `ssr` (see `backend`).

// Leptos view types of the larger pages (campaign editor, campaign page) nest deeper than
// rustc's default limit allows when computing their layout.
#![recursion_limit = "512"]

pub mod accounts;
pub mod admin;
pub mod campaigns;
pub mod courses;
pub mod error;
pub mod i18n;
pub mod money;
pub mod payments;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod backend;

mod app;
pub use app::{shell, App};
