//! Cohort's isomorphic application: routes, pages, server functions and the model types both the
//! server and the browser share. Modules that touch the database, mail or the file system compile
//! only with feature `ssr` (see `backend`).

pub mod accounts;
pub mod admin;
pub mod campaigns;
pub mod error;
pub mod i18n;
pub mod money;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod backend;

mod app;
pub use app::{shell, App};
